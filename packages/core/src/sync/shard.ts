import { createHash } from 'node:crypto';
import { ConfigError } from '../errors.js';

/** This process's part of the work: shard `index` of `count` (1-based, as operators count). */
export interface Shard {
  index: number;
  count: number;
}

/**
 * `--shard i/N` (i counts from 1), or `auto/N`, which takes Kubernetes Indexed Jobs'
 * `JOB_COMPLETION_INDEX` (0-based) + 1. Anything else is a usage error naming the flag and the fix.
 */
export function parseShard(text: string, env: NodeJS.ProcessEnv = process.env): Shard {
  const match = /^(\d+|auto)\/(\d+)$/.exec(text.trim());
  const fail = (message: string): never => {
    throw new ConfigError([{ path: '--shard', message }]);
  };
  if (!match) return fail(`"${text}" is not i/N (e.g. --shard 2/4, or --shard auto/4 in a Kubernetes Indexed Job)`);
  const count = Number(match[2]);
  if (!Number.isSafeInteger(count) || count < 1) return fail(`N in "${text}" must be 1 or more`);
  let index: number;
  if (match[1] === 'auto') {
    const raw = env['JOB_COMPLETION_INDEX'];
    if (raw === undefined || !/^\d+$/.test(raw)) {
      return fail(`auto/${count} needs JOB_COMPLETION_INDEX (0-based, set by a Kubernetes Indexed Job)${raw === undefined ? '' : `; got "${raw}"`}; or give the shard as i/${count}`);
    }
    index = Number(raw) + 1;
  } else {
    index = Number(match[1]);
  }
  if (index < 1 || index > count) return fail(`shard ${index} of ${count} does not exist; shards count from 1 to ${count}`);
  return { index, count };
}

/**
 * The shard a work unit belongs to: a stable hash of its key (`<source>/<scope>`), so every shard
 * computes the same partition with no coordination, run after run.
 */
export function shardOf(unitKey: string, count: number): number {
  const digest = createHash('sha256').update(unitKey).digest();
  return (digest.readUInt32BE(0) % count) + 1;
}

export function unitKey(source: string, scope: string): string {
  return `${source}/${scope}`;
}

export function inShard(shard: Shard | undefined, source: string, scope: string): boolean {
  return !shard || shard.count === 1 || shardOf(unitKey(source, scope), shard.count) === shard.index;
}

/**
 * Source-wide steps (creating the root organization, deleting what vanished scopes left) run in
 * exactly one place: shard 1, or the one process when not sharded.
 */
export function runsSourceWideSteps(shard: Shard | undefined): boolean {
  return !shard || shard.index === 1;
}

/** Each shard keeps its own state file: `state.db` → `state.shard-2-of-4.db`. */
export function shardStatePath(path: string, shard: Shard | undefined): string {
  if (!shard || shard.count === 1 || path === ':memory:') return path;
  const tag = `shard-${shard.index}-of-${shard.count}`;
  const slash = path.lastIndexOf('/');
  const dot = path.lastIndexOf('.');
  return dot > slash + 1 ? `${path.slice(0, dot)}.${tag}${path.slice(dot)}` : `${path}.${tag}`;
}
