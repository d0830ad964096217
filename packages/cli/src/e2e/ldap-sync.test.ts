import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_LDIF, startElderEmulator, startSlapd, type ElderEmulator, type SlapdPeer } from '@elder-sync/testkit';
import { assertBuilt, cliEnv, runCli, scratch, type CliResult } from '../testing/cli.js';
import { ldapConfig, passwordAuth, writeConfig } from '../testing/config.js';

/**
 * End to end, as an operator would: the built CLI against a real slapd (sample directory) and the
 * Elder emulator. One directory, one Elder, one state file, changed step by step; the tests depend
 * on their order.
 */

// Distinctive secrets, so a leak is found by plain text search (slapd's default "reader" is a word
// that also appears in the bind DN).
const ELDER_PASSWORD = 'Elder-Pw-7c1e-secret';
const LDAP_PASSWORD = 'Reader-Pw-3b9d-secret';
const SECRETS = [ELDER_PASSWORD, LDAP_PASSWORD];

const PEOPLE = 10;
const GROUPS = 4;
const OUS = ['Corp', 'People', 'Engineering', 'Platform', 'Sales', 'Finance', 'Former', 'Groups'];

let slapd: SlapdPeer;
let elder: ElderEmulator;
let work: { dir: string; cleanup: () => void };
let statePath: string;
/** Everything the CLI printed in this suite, searched for secrets at the end. */
let transcript = '';

async function cli(args: string[], config = 'elder-sync.yaml'): Promise<CliResult> {
  const r = await runCli([...args, '--config', config], {
    cwd: work.dir,
    env: cliEnv(join(work.dir, 'data'), { ELDER_PASSWORD, LDAP_PW: LDAP_PASSWORD }),
    timeoutMs: 120_000,
  });
  transcript += r.stdout + r.stderr;
  return r;
}

function writeSyncConfig(file: string, sources: Array<{ name: string; url: string }>): void {
  writeConfig(join(work.dir, file), {
    elder: { url: elder.url, ...passwordAuth('sync@example.test'), organization: { path: ['Acme'] } },
    state: { path: './state.db' },
    sources: sources.map((s) => ({ name: s.name, connector: 'ldap', config: { ...ldapConfig(slapd), url: s.url, timeoutMs: 5000 } })),
  });
}

/** A loopback port nobody listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const field = (row: Record<string, unknown>, ...names: string[]) => names.map((n) => row[n]).find((v) => v !== undefined);
const entities = () => elder.entities();
const entityNamed = (name: string) => entities().find((e) => e['name'] === name);
const changeLines = (stdout: string) => stdout.split('\n').filter((l) => /^ {2}[+~!-] /.test(l));
const writes = () => elder.stats().writes;
const routeCount = (route: string) => elder.stats().byRoute[route] ?? 0;

beforeAll(async () => {
  assertBuilt();
  work = scratch('elder-sync-e2e');
  statePath = join(work.dir, 'state.db');
  slapd = await startSlapd({ ldif: [SAMPLE_LDIF] });
  await slapd.modify(`dn: ${slapd.bindDn}\nchangetype: modify\nreplace: userPassword\nuserPassword: ${LDAP_PASSWORD}\n`);
  elder = await startElderEmulator({
    users: [{ email: 'sync@example.test', password: ELDER_PASSWORD, globalRole: 'admin' }],
  });
  writeSyncConfig('elder-sync.yaml', [{ name: 'corp-ldap', url: slapd.url }]);
});

afterAll(async () => {
  await slapd?.stop();
  await elder?.close();
  work?.cleanup();
});

describe('elder-sync against slapd and the Elder emulator', () => {
  it('config validate accepts the config offline', async () => {
    const r = await cli(['config', 'validate']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^config OK: 1 source/);
    expect(r.code).toBe(0);
    expect(elder.stats().requests).toBe(0);
  });

  it('test-connectivity passes and writes nothing anywhere', async () => {
    const r = await cli(['test-connectivity']);
    expect(r.stdout).toMatch(/^✓\s+elder\s+reachable/m);
    expect(r.stdout).toMatch(/^✓\s+corp-ldap · /m);
    expect(r.stdout).not.toMatch(/^✗/m);
    expect(r.code).toBe(0);
    expect(writes()).toBe(0);
    expect(existsSync(statePath)).toBe(false);
  });

  it('test-connectivity checks that the configured organization exists', async () => {
    const base = JSON.parse(readFileSync(join(work.dir, 'elder-sync.yaml'), 'utf8')) as { elder: Record<string, unknown> };
    writeConfig(join(work.dir, 'org999.yaml'), { ...base, elder: { ...base.elder, organization: { id: 999 } } });
    const r = await cli(['test-connectivity'], 'org999.yaml');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^✗\s+elder\s+organization\s+elder\.organization\.id: Elder has no organization 999/m);
    expect(r.stdout).not.toContain('All checks passed.');
    const ok = await cli(['test-connectivity']);
    expect(ok.stdout).toMatch(/^✓\s+elder\s+organization\s+organization "Acme" does not exist yet; the first run creates Acme/m);
    expect(writes()).toBe(0);
  });

  it('diff --detailed-exitcode exits 2 before the first sync, writing nothing', async () => {
    const r = await cli(['diff', '--detailed-exitcode']);
    expect(r.stderr).not.toMatch(/"level":"error"/);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^# corp-ldap · /m);
    expect(r.stdout).toContain('  + user "Alice Archer"');
    expect(r.stdout).toMatch(/^Plan: \d+ to create, 0 to update, 0 to delete, 0 unchanged\.$/m);
    expect(writes()).toBe(0);
    expect(existsSync(statePath)).toBe(false);
  });

  it('run --dry-run prints the plan and writes nothing (no Elder writes, no state file)', async () => {
    const r = await cli(['run', '--dry-run']);
    expect(r.stderr).not.toMatch(/"level":"error"/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Plan: \d+ to create/m);
    expect(r.stdout).toMatch(/^source\s+scope\s+status/m);
    expect(writes()).toBe(0);
    expect(existsSync(statePath)).toBe(false);
  });

  it('run creates one entity per person and group, one organization per OU, and member_of dependencies', async () => {
    const r = await cli(['run', '--log-level', 'debug', '--log-format', 'json']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Plan: \d+ to create, 0 to update, 0 to delete, 0 unchanged\.$/m);
    expect(existsSync(statePath)).toBe(true);

    const all = entities();
    const subType = (e: Record<string, unknown>) => field(e, 'sub_type', 'subType');
    expect(all.filter((e) => subType(e) === 'person')).toHaveLength(PEOPLE);
    expect(all.filter((e) => subType(e) === 'group')).toHaveLength(GROUPS);
    expect(all).toHaveLength(PEOPLE + GROUPS);

    const orgNames = elder.organizations().map((o) => o['name']);
    for (const ou of OUS) expect(orgNames.filter((n) => n === ou)).toHaveLength(1);

    const deps = elder.dependencies();
    expect(deps.length).toBeGreaterThan(0);
    expect(new Set(deps.map((d) => d['dependency_type']))).toEqual(new Set(['member_of']));
    const alice = entityNamed('Alice Archer');
    const engineering = entityNamed('engineering');
    const allStaff = entityNamed('all-staff');
    const has = (from: unknown, to: unknown) => deps.some((d) => d['source_id'] === from && d['target_id'] === to);
    expect(has(alice?.['id'], engineering?.['id'])).toBe(true);
    // a nested group is itself a member of its parent group
    expect(has(engineering?.['id'], allStaff?.['id'])).toBe(true);
  });

  it('state list and state show report what the run stored', async () => {
    const list = await cli(['state', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^corp-ldap\s+\S+\s+\d+/m);
    const show = await cli(['state', 'show', 'corp-ldap']);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/^corp-ldap\/user\/\S+\tuser\tentity#\d+\towned\t/m);
    expect(show.stdout).toMatch(/^\d+ mappings\.$/m);
  });

  it('a second run writes nothing', async () => {
    elder.resetStats();
    const r = await cli(['run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^No changes\. \d+ unchanged\.$/m);
    expect(writes()).toBe(0);
    const diff = await cli(['diff', '--detailed-exitcode']);
    expect(diff.code).toBe(0);
  });

  it('after one add, one change and one delete in LDAP, diff shows exactly those and run applies exactly them', async () => {
    await slapd.add(
      [
        `dn: uid=kim,ou=Sales,ou=People,ou=Corp,${slapd.baseDn}`,
        'objectClass: inetOrgPerson',
        'uid: kim',
        'cn: Kim Kowalski',
        'sn: Kowalski',
        'mail: kim@example.test',
        '',
      ].join('\n'),
    );
    await slapd.modify(
      [`dn: uid=bob,ou=Engineering,ou=People,ou=Corp,${slapd.baseDn}`, 'changetype: modify', 'replace: mail', 'mail: robert@example.test', ''].join('\n'),
    );
    await slapd.delete(`uid=judy,ou=Former,ou=People,ou=Corp,${slapd.baseDn}`);
    const bob = entityNamed('Bob Baker') ?? entities().find((e) => String(e['name']).startsWith('Bob'));

    elder.resetStats();
    const diff = await cli(['diff', '--detailed-exitcode']);
    expect(diff.code).toBe(2);
    expect(writes()).toBe(0);
    const lines = changeLines(diff.stdout);
    expect(lines).toHaveLength(3);
    expect(lines.some((l) => l.startsWith('  + user "Kim Kowalski"'))).toBe(true);
    expect(lines.some((l) => l.startsWith(`  ~ user "${String(bob?.['name'])}"`))).toBe(true);
    expect(lines.some((l) => l.startsWith('  - user "Judy Jones"'))).toBe(true);
    expect(diff.stdout).toMatch(/~ attributes\.\S*mail\S*: ".*@example\.test" -> "robert@example\.test"/);
    expect(diff.stdout).toMatch(/^Plan: 1 to create, 1 to update, 1 to delete, \d+ unchanged\.$/m);

    const run = await cli(['run', '--json']);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout) as {
      plan: { formatVersion: number; totals: Record<string, number>; changes: Array<{ action: string; name: string }> };
      summary: { scopes: Array<{ status: string }> };
    };
    expect(doc.plan.formatVersion).toBe(1);
    expect(doc.plan.totals).toMatchObject({ create: 1, update: 1, delete: 1 });
    expect(doc.plan.changes.map((c) => `${c.action} ${c.name}`).sort()).toEqual(
      ['create Kim Kowalski', `update ${String(bob?.['name'])}`, 'delete Judy Jones'].sort(),
    );
    expect(doc.summary.scopes.every((s) => s.status === 'ok')).toBe(true);

    expect(entityNamed('Kim Kowalski')).toBeDefined();
    expect(entityNamed('Judy Jones')).toBeUndefined();
    const newBob = entities().find((e) => e['id'] === bob?.['id']);
    expect(JSON.stringify(field(newBob ?? {}, 'metadata', 'attributes'))).toContain('robert@example.test');
    expect(entities()).toHaveLength(PEOPLE + GROUPS);
  });

  it('with the state file deleted, a run re-adopts what exists and creates nothing new', async () => {
    for (const suffix of ['', '-wal', '-shm']) rmSync(statePath + suffix, { force: true });
    const before = entities().length;
    const orgsBefore = elder.organizations().length;
    elder.resetStats();
    const r = await cli(['run']);
    expect(r.code).toBe(0);
    expect(routeCount('POST /api/v1/entities')).toBe(0);
    expect(routeCount('POST /api/v1/organizations')).toBe(0);
    expect(entities()).toHaveLength(before);
    expect(elder.organizations()).toHaveLength(orgsBefore);
    expect(existsSync(statePath)).toBe(true);
  });

  it('an unresponsive LDAP server fails its scope (exit 1) and deletes nothing', async () => {
    // Same URL, so the same scope and the objects it owns; SIGSTOP makes slapd accept connections
    // (the kernel does) but never answer, like a hung server: the bind times out (timeoutMs 5000).
    const before = entities().length;
    elder.resetStats();
    process.kill(slapd.pid, 'SIGSTOP');
    let r: CliResult;
    try {
      r = await cli(['run']);
    } finally {
      process.kill(slapd.pid, 'SIGCONT');
    }
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^corp-ldap\s+.*\s+failed\s/m);
    expect(r.stdout).toMatch(/^corp-ldap · .* failed: /m);
    expect(routeCount('DELETE /api/v1/entities/{id}')).toBe(0);
    expect(routeCount('DELETE /api/v1/organizations/{id}')).toBe(0);
    expect(entities()).toHaveLength(before);
  });

  it('one unreachable source among good ones: exit 3, the good one applied, nothing deleted', async () => {
    writeSyncConfig('mixed.yaml', [
      { name: 'corp-ldap', url: slapd.url },
      { name: 'branch-ldap', url: `ldap://127.0.0.1:${await closedPort()}` },
    ]);
    const before = entities().length;
    elder.resetStats();
    const r = await cli(['run'], 'mixed.yaml');
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^branch-ldap\s+.*\s+failed\s/m);
    expect(r.stdout).toMatch(/^corp-ldap\s+.*\s+ok\s/m);
    expect(routeCount('DELETE /api/v1/entities/{id}')).toBe(0);
    expect(entities()).toHaveLength(before);
  });

  it('no password or token appears in stdout, stderr or the state file', () => {
    expect(transcript.length).toBeGreaterThan(0);
    const state = [statePath, `${statePath}-wal`]
      .filter((f) => existsSync(f))
      .map((f) => readFileSync(f).toString('latin1'))
      .join('');
    expect(state.length).toBeGreaterThan(0);
    for (const secret of SECRETS) {
      expect(transcript).not.toContain(secret);
      expect(state).not.toContain(secret);
    }
    // An Elder JWT (three base64url parts starting with eyJ) must not be printed either.
    expect(transcript).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/);
  });
});
