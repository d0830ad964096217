import { existsSync } from 'node:fs';
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

  it('refuses a shard that does not exist, naming the flag, exit 64', async () => {
    const r = await cli(['run', '--shard', '3/2']);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('--shard: shard 3 of 2 does not exist; shards count from 1 to 2');
    const auto = await cli(['diff', '--shard', 'auto/2']);
    expect(auto.code).toBe(64);
    expect(auto.stderr).toContain('auto/2 needs JOB_COMPLETION_INDEX');
  });
});
