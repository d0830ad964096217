import { describe, expect, it } from 'vitest';
import { inShard, parseShard, shardOf, shardStatePath } from './shard.js';

describe('--shard i/N', () => {
  it('parses i/N and auto/N (JOB_COMPLETION_INDEX is 0-based)', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    expect(parseShard('auto/3', { JOB_COMPLETION_INDEX: '0' })).toEqual({ index: 1, count: 3 });
    expect(parseShard('auto/3', { JOB_COMPLETION_INDEX: '2' })).toEqual({ index: 3, count: 3 });
  });

  it('refuses what is not a shard, naming the flag and the fix', () => {
    const message = (text: string, env: NodeJS.ProcessEnv = {}) => {
      try {
        parseShard(text, env);
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    expect(message('0/3')).toBe('--shard: shard 0 of 3 does not exist; shards count from 1 to 3');
    expect(message('4/3')).toBe('--shard: shard 4 of 3 does not exist; shards count from 1 to 3');
    expect(message('1-3')).toMatch(/^--shard: "1-3" is not i\/N/);
    expect(message('2/0')).toMatch(/N in "2\/0" must be 1 or more/);
    expect(message('auto/3')).toMatch(/auto\/3 needs JOB_COMPLETION_INDEX/);
    expect(message('auto/3', { JOB_COMPLETION_INDEX: '3' })).toMatch(/shard 4 of 3 does not exist/);
  });

  it('puts every unit in exactly one shard, the same one every time, spread over all shards', () => {
    const units = Array.from({ length: 400 }, (_, i) => [`aws`, `1111${i}/eu-west-${i % 3}`] as const);
    const counts = [0, 0, 0, 0];
    for (const [source, scope] of units) {
      const owners = [1, 2, 3, 4].filter((index) => inShard({ index, count: 4 }, source, scope));
      expect(owners.length).toBe(1);
      expect(shardOf(`${source}/${scope}`, 4)).toBe(owners[0]);
      counts[owners[0]! - 1]!++;
    }
    for (const n of counts) expect(n).toBeGreaterThan(60);
  });

  it('gives each shard its own state file', () => {
    expect(shardStatePath('./.elder-sync/state.db', { index: 2, count: 4 })).toBe('./.elder-sync/state.shard-2-of-4.db');
    expect(shardStatePath('/var/lib/elder-sync/state', { index: 1, count: 2 })).toBe('/var/lib/elder-sync/state.shard-1-of-2');
    expect(shardStatePath('/a.b/state', { index: 1, count: 2 })).toBe('/a.b/state.shard-1-of-2');
    expect(shardStatePath('./state.db', undefined)).toBe('./state.db');
    expect(shardStatePath(':memory:', { index: 1, count: 2 })).toBe(':memory:');
  });
});
