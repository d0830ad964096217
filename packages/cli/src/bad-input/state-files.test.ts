import { existsSync, readdirSync, readFileSync, truncateSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_LDIF, startElderEmulator, startSlapd, type ElderEmulator, type SlapdPeer } from '@elder-sync/testkit';
import { assertBuilt, scratch, type CliResult } from '../testing/cli.js';
import { ldapProject } from '../testing/config.js';

/**
 * Bad-input corpus, state side (issue 13): a state file that is cut short, scrambled, another
 * program's database, or from a newer elder-sync is reported with its path and the fix, by every
 * command that opens it, and is never written into; `state reset --yes` moves it aside (nothing is
 * deleted) and the next run re-adopts every object from the keys stored on it in Elder, creating no
 * duplicates.
 */

let slapd: SlapdPeer;
let elder: ElderEmulator;
let work: { dir: string; cleanup: () => void };
let cli: (args: string[]) => Promise<CliResult>;
const statePath = () => join(work.dir, 'state.db');

beforeAll(async () => {
  assertBuilt();
  work = scratch('elder-sync-state-files');
  slapd = await startSlapd({ ldif: [SAMPLE_LDIF] });
  elder = await startElderEmulator();
  cli = ldapProject(work.dir, slapd, elder);
});

afterAll(async () => {
  await elder?.close();
  await slapd?.stop();
  work?.cleanup();
});

const keys = () => elder.entities().map((e) => (e['metadata'] as { elder_sync?: { key?: string } } | null)?.elder_sync?.key ?? '');
const FIX = /elder-sync state reset --yes/;

const DAMAGE: Array<{ name: string; reason: RegExp; damage: (path: string) => void }> = [
  { name: 'cut short (a full disk, a partial copy)', reason: /it is cut short/, damage: (p) => truncateSync(p, Math.floor(statSync(p).size / 2)) },
  {
    name: 'scrambled inside',
    reason: /it is corrupt/,
    damage: (p) => {
      const bytes = readFileSync(p);
      bytes.fill(0x5a, 100, 4096);
      writeFileSync(p, bytes);
    },
  },
  { name: 'overwritten by something else', reason: /it is not an SQLite database/, damage: (p) => writeFileSync(p, 'elder:\n  url: https://elder.example.com\n') },
];

describe('a state file that cannot be used', () => {
  it('first, a normal sync to recover', async () => {
    const r = await cli(['run']);
    expect(r.code, r.stderr.slice(0, 3000)).toBe(0);
    expect(elder.entities().length).toBeGreaterThan(0);
  });

  it.each(DAMAGE)('$name: named with path and fix everywhere; reset moves it aside; the next run converges with no duplicates', async ({ reason, damage }) => {
    const before = [...keys()].sort();
    const entities = elder.entities().length;
    // The last close folded the WAL into the file; no leftover may paper over the damage.
    for (const suffix of ['-wal', '-shm']) if (existsSync(statePath() + suffix)) writeFileSync(statePath() + suffix, '');
    damage(statePath());
    const damaged = readFileSync(statePath());

    for (const args of [['run'], ['diff'], ['state', 'list']]) {
      const r = await cli(args);
      const context = `${args.join(' ')}: exit ${r.code}\n${r.stderr.slice(0, 3000)}`;
      expect(r.code, context).toBe(1);
      expect(r.stderr, context).toContain(`the state file ${statePath()} cannot be used: `);
      expect(r.stderr, context).toMatch(reason);
      expect(r.stderr, context).toMatch(FIX);
      expect(r.stderr + r.stdout, context).not.toMatch(/^\s+at .+\(|node:internal/m);
    }
    // Refused, never repaired or written into, and Elder untouched.
    expect(readFileSync(statePath()).equals(damaged)).toBe(true);
    expect(elder.entities()).toHaveLength(entities);

    const one = await cli(['state', 'reset', 'corp', '--yes']);
    expect(one.code, one.stderr).toBe(64);
    expect(one.stderr).toMatch(/without SOURCE to move the whole file aside/);

    const reset = await cli(['state', 'reset', '--yes']);
    expect(reset.code, reset.stderr).toBe(0);
    expect(reset.stdout).toMatch(/moved it aside to .*state\.db\.unreadable-/);
    const aside = readdirSync(work.dir).filter((f) => /^state\.db\.unreadable-[^-]+.*Z$/.test(f) && readFileSync(join(work.dir, f)).equals(damaged));
    expect(aside, 'the damaged file is kept, not deleted').toHaveLength(1);

    const again = await cli(['run']);
    expect(again.code, again.stderr.slice(0, 3000)).toBe(0);
    expect(elder.entities()).toHaveLength(entities);
    expect([...keys()].sort()).toEqual(before);
    const diff = await cli(['diff', '--detailed-exitcode']);
    expect(diff.code, diff.stdout.slice(0, 2000)).toBe(0);
  });
});
