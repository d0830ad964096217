import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_LDIF, startElderEmulator, startSlapd, type ElderEmulator, type SlapdPeer } from '@elder-sync/testkit';
import { assertBuilt, cliEnv, runCli, scratch, type CliResult } from '../testing/cli.js';
import { ldapConfig, passwordAuth, writeConfig } from '../testing/config.js';

/**
 * `--shard i/N` as N cron entries use it: the same config, the same directory, started together.
 * Three sources over one directory are three work units; two shards split them, each with its own
 * state file, and together they leave Elder exactly as one unsharded run does.
 */
const ELDER_PASSWORD = 'Elder-Pw-5e2a-secret';
const LDAP_PASSWORD = 'Reader-Pw-8c4f-secret';
let slapd: SlapdPeer;
let elder: ElderEmulator;
let work: { dir: string; cleanup: () => void };

const cli = (args: string[], env: Record<string, string> = {}): Promise<CliResult> =>
  runCli(args, { cwd: work.dir, env: cliEnv(join(work.dir, 'data'), { ELDER_PASSWORD, LDAP_PW: LDAP_PASSWORD, ...env }), timeoutMs: 120_000 });

beforeAll(async () => {
  assertBuilt();
  work = scratch('elder-sync-shard');
  slapd = await startSlapd({ ldif: [SAMPLE_LDIF] });
  await slapd.modify(`dn: ${slapd.bindDn}\nchangetype: modify\nreplace: userPassword\nuserPassword: ${LDAP_PASSWORD}\n`);
  elder = await startElderEmulator({ users: [{ email: 'sync@example.test', password: ELDER_PASSWORD, globalRole: 'admin' }] });
  writeConfig(join(work.dir, 'elder-sync.yaml'), {
    elder: { url: elder.url, ...passwordAuth('sync@example.test'), organization: { path: ['Acme'] } },
    state: { path: './state.db' },
    sources: ['east', 'west', 'north'].map((name) => ({ name, connector: 'ldap', organization: { path: ['Acme', name] }, config: ldapConfig(slapd) })),
  });
}, 120_000);
afterAll(async () => {
  await elder?.close();
  await slapd?.stop();
  work?.cleanup();
});

/** Elder's content by name and parent, without ids. */
function content(): string[] {
  const orgs = new Map(elder.organizations().map((o) => [o['id'], o]));
  const path = (id: unknown): string => {
    const o = orgs.get(id);
    return o ? `${path(o['parent_id'])}/${String(o['name'])}` : '';
  };
  return [
    ...[...orgs.keys()].map((id) => `org ${path(id)}`),
    ...elder.entities().map((e) => `entity ${path(e['organization_id'])}/${String(e['name'])}`),
    `${elder.dependencies().length} dependencies`,
  ].sort();
}

describe('run --shard i/N', () => {
  it('two shards started together leave Elder as one unsharded run does, each with its own state file', async () => {
    expect((await cli(['run'])).code).toBe(0);
    const expected = content();
    expect(expected.filter((l) => l.startsWith('entity')).length).toBeGreaterThan(20);

    elder.reset();
    const [one, two] = await Promise.all([cli(['run', '--shard', '1/2']), cli(['run', '--shard', 'auto/2'], { JOB_COMPLETION_INDEX: '1' })]);
    expect([one.code, two.code], one.stderr + two.stderr).toEqual([0, 0]);
    expect(content()).toEqual(expected);
    expect(existsSync(join(work.dir, 'state.shard-1-of-2.db'))).toBe(true);
    expect(existsSync(join(work.dir, 'state.shard-2-of-2.db'))).toBe(true);

    const again = await Promise.all([cli(['diff', '--shard', '1/2', '--detailed-exitcode']), cli(['diff', '--shard', '2/2', '--detailed-exitcode'])]);
    expect(again.map((r) => r.code)).toEqual([0, 0]);
  });

  it("applies a shard's saved plan with that shard's state, and only that shard's units", async () => {
    await slapd.modify(`dn: uid=bob,ou=Engineering,ou=People,ou=Corp,${slapd.baseDn}\nchangetype: modify\nreplace: mail\nmail: robert@example.test\n`);
    const saved = await cli(['diff', '--shard', '2/2', '--out', 'shard-2.json', '--detailed-exitcode']);
    expect(saved.code, saved.stderr).toBe(2);
    const plan = JSON.parse(readFileSync(join(work.dir, 'shard-2.json'), 'utf8'));
    expect(plan.options.shard).toEqual({ index: 2, count: 2 });
    const planned = plan.changes.map((c: { source: string; action: string; name: string }) => `${c.source} ${c.action} ${c.name}`);
    expect(planned.length).toBeGreaterThan(0);
    expect(planned.every((line: string) => line.endsWith('update Bob Baker'))).toBe(true);

    // Naming another shard in the plan does not make another state's key sign it.
    const text = readFileSync(join(work.dir, 'shard-2.json'), 'utf8');
    const moved = text.replace(/("shard": \{\s*"index": )2/, '$11');
    expect(moved).not.toBe(text);
    writeFileSync(join(work.dir, 'shard-moved.json'), moved);
    const before = elder.stats().writes;
    const refused = await cli(['apply', 'shard-moved.json']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('the state file of shard 1 of 2, which the plan names,');
    expect(elder.stats().writes).toBe(before);
    // A shard that cannot be is refused before any state is opened: exit 64, naming the field.
    writeFileSync(join(work.dir, 'shard-bad.json'), text.replace(/("shard": \{\s*"index": )2/, '$15'));
    const bad = await cli(['apply', 'shard-bad.json']);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain('options.shard: must be {"index": i, "count": N} with 1 ≤ i ≤ N and N ≥ 2');
    expect(existsSync(join(work.dir, 'state.shard-5-of-2.db'))).toBe(false);

    const applied = await cli(['apply', 'shard-2.json']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(elder.stats().writes - before).toBe(planned.length);
    expect((await cli(['diff', '--shard', '2/2', '--detailed-exitcode'])).code).toBe(0);
    // Shard 1's units are its own to apply: still pending.
    expect((await cli(['diff', '--shard', '1/2', '--detailed-exitcode'])).code).toBe(2);
    expect((await cli(['run', '--shard', '1/2'])).code).toBe(0);
    // Also over the unsharded state file, from before Elder was reset: its organization ids now name
    // other organizations, and none is taken for the one it remembers (see mappedOrganization).
    expect((await cli(['diff', '--detailed-exitcode'])).code).toBe(0);
  });

  it('refuses a shard that does not exist, naming the flag, exit 64', async () => {
    const r = await cli(['run', '--shard', '3/2']);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('--shard: shard 3 of 2 does not exist; shards count from 1 to 2');
    const auto = await cli(['diff', '--shard', 'auto/2']);
    expect(auto.code).toBe(64);
    expect(auto.stderr).toContain('auto/2 needs JOB_COMPLETION_INDEX');
  });
});
