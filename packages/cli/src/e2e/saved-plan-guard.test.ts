import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateUsersLdif, startElderEmulator, startSlapd, type ElderEmulator, type SlapdPeer } from '@elder-sync/testkit';
import { assertBuilt, cliEnv, runCli, scratch, type CliResult } from '../testing/cli.js';
import { ldapConfig, tokenAuth, writeConfig } from '../testing/config.js';

/**
 * A saved plan that cannot be applied as it stands says so when it is saved and when it is
 * applied (non-zero, naming the scope and the reason); `diff --allow-mass-delete --out` carries a
 * reviewed mass delete through `apply` end to end.
 */

const TOKEN = 'Guard-Token-9f3a-secret';
const USERS = 20;
let slapd: SlapdPeer;
let elder: ElderEmulator;
let work: { dir: string; cleanup: () => void };

const cli = (args: string[]): Promise<CliResult> =>
  runCli([...args, '--config', 'elder-sync.yaml'], {
    cwd: work.dir,
    env: cliEnv(join(work.dir, 'data'), { ELDER_TOKEN: TOKEN, LDAP_PW: slapd.bindPassword }),
    timeoutMs: 120_000,
  });
const users = () => elder.entities().filter((e) => String(e['name']).startsWith('Bulk User '));

beforeAll(async () => {
  assertBuilt();
  work = scratch('elder-sync-guard');
  slapd = await startSlapd();
  await slapd.add(generateUsersLdif(USERS, 'bulk', slapd.baseDn));
  elder = await startElderEmulator({ staticTokens: [TOKEN] });
  writeConfig(join(work.dir, 'elder-sync.yaml'), {
    elder: { url: elder.url, ...tokenAuth, organization: { path: ['Guarded'] } },
    state: { path: './state.db' },
    sources: [{ name: 'dir', connector: 'ldap', config: ldapConfig(slapd) }],
  });
  const first = await cli(['run']);
  expect(first.code, first.stderr).toBe(0);
  expect(users()).toHaveLength(USERS);
  // 6 of 20 owned objects gone (30 % > 20 %), 6 new ones.
  for (let i = 1; i <= 6; i++) await slapd.delete(`uid=bulk${String(i).padStart(5, '0')},ou=bulk,${slapd.baseDn}`);
  await slapd.add(generateUsersLdif(6, 'fresh', slapd.baseDn));
});

afterAll(async () => {
  await slapd?.stop();
  await elder?.close();
  work?.cleanup();
});

describe('a saved plan whose delete guard tripped', () => {
  it('diff --out saves it but exits 1 naming the scope, the reason and the fix', async () => {
    const writes = elder.stats().writes;
    const saved = await cli(['diff', '--out', 'guarded.json']);
    expect(saved.code).toBe(1);
    expect(saved.stderr).toMatch(
      /^error: dir · ldap:\/\/\S+ dc=example,dc=test: deletes withheld: they would remove 6 of 20 owned objects .*\(guarded\.json cannot be applied as saved: review the deletes, then save the plan with --allow-mass-delete\)$/m,
    );
    expect(elder.stats().writes).toBe(writes);
  });

  it('apply makes its creates, withholds the deletes, and exits 1 naming the scope and the reason', async () => {
    const applied = await cli(['apply', 'guarded.json']);
    expect(applied.code).toBe(1);
    expect(applied.stdout).not.toContain('(no scopes ran)');
    expect(applied.stdout).toMatch(/^dir · ldap:\/\/\S+ dc=example,dc=test failed: deletes withheld: they would remove 6 of 20/m);
    expect(users()).toHaveLength(USERS + 6);
  });

  it('diff --allow-mass-delete --out, reviewed, then apply carries the mass delete end to end', async () => {
    const saved = await cli(['diff', '--allow-mass-delete', '--out', 'reviewed.json']);
    expect(saved.code, saved.stderr).toBe(0);
    expect(saved.stderr).not.toContain('cannot be applied');
    expect(saved.stdout).toContain('Plan: 0 to create, 0 to update, 6 to delete');
    const applied = await cli(['apply', 'reviewed.json']);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(users()).toHaveLength(USERS);
    expect((await cli(['diff', '--detailed-exitcode'])).code).toBe(0);
  });

  it('a plan whose scope could not be read: diff --out exits 1, apply writes nothing of it and exits 1 naming it', async () => {
    const port = await closedPort();
    writeConfig(join(work.dir, 'down.yaml'), {
      elder: { url: elder.url, ...tokenAuth, organization: { path: ['Guarded'] } },
      state: { path: './state.db' },
      sources: [{ name: 'dir', connector: 'ldap', config: { ...ldapConfig(slapd), url: `ldap://127.0.0.1:${port}`, timeoutMs: 3000 } }],
    });
    const env = cliEnv(join(work.dir, 'data'), { ELDER_TOKEN: TOKEN, LDAP_PW: slapd.bindPassword });
    const saved = await runCli(['diff', '--out', 'down.json', '--config', 'down.yaml'], { cwd: work.dir, env, timeoutMs: 120_000 });
    expect(saved.code).toBe(1);
    expect(saved.stderr).toMatch(/^error: dir · ldap:\/\/127\.0\.0\.1:\d+ .*\(down\.json cannot be applied as saved: fix the cause and make a new plan\)$/m);
    const writes = elder.stats().writes;
    const applied = await runCli(['apply', 'down.json', '--config', 'down.yaml'], { cwd: work.dir, env, timeoutMs: 120_000 });
    expect(applied.code).toBe(1);
    expect(applied.stdout).toMatch(/^dir · ldap:\/\/127\.0\.0\.1:\d+ \S+ failed: not applied: the plan has no complete plan of this scope/m);
    expect(elder.stats().writes).toBe(writes);
  });
});

/** A loopback port nobody listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
