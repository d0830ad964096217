import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALL_PERMISSIONS,
  seedTenant,
  startElderEmulator,
  startMicrosoftFake,
  type ElderEmulator,
  type MicrosoftFake,
  type RequestLogEntry,
} from '@elder-sync/testkit';
import { assertBuilt, cliEnv, runCli, scratch, type CliResult } from '../testing/cli.js';
import { passwordAuth, writeConfig } from '../testing/config.js';

/**
 * The graph connector end to end, as an MSSP operator runs it: the built CLI (msal-node and undici
 * imported on first use) against the testkit's loopback HTTPS Microsoft fake, whose test CA reaches
 * Node through NODE_EXTRA_CA_CERTS, and the Elder emulator. Three tenants with paged data for every
 * resource; the tests run in order on one Elder and one state file.
 */

const ELDER_PASSWORD = 'Elder-Pw-4d2f-secret';
const TENANTS = [
  { id: '11111111-1111-4111-8111-111111111111', name: 'Contoso', clientId: 'aaaaaaaa-0000-4000-8000-000000000001', secret: 'Contoso-Secret-81f3', env: 'CONTOSO_SECRET' },
  { id: '22222222-2222-4222-8222-222222222222', name: 'Fabrikam', clientId: 'aaaaaaaa-0000-4000-8000-000000000002', secret: 'Fabrikam-Secret-02bd', env: 'FABRIKAM_SECRET' },
  { id: '33333333-3333-4333-8333-333333333333', name: 'Woodgrove', clientId: 'aaaaaaaa-0000-4000-8000-000000000003', secret: 'Woodgrove-Secret-77ae', env: 'WOODGROVE_SECRET' },
] as const;
const [CONTOSO, FABRIKAM, WOODGROVE] = TENANTS;
const SIZES = { users: 5, groups: 2, devices: 3, managedDevices: 3, machines: 2, alerts: 2, vulnerabilitiesPerMachine: 2, secureScores: 2 };

let fake: MicrosoftFake;
let elder: ElderEmulator;
let work: { dir: string; cleanup: () => void };
let transcript = '';

async function cli(args: string[]): Promise<CliResult> {
  const env = cliEnv(join(work.dir, 'data'), {
    ELDER_PASSWORD,
    NODE_EXTRA_CA_CERTS: fake.caFile,
    ...Object.fromEntries(TENANTS.map((t) => [t.env, t.secret])),
  });
  const r = await runCli([...args, '--config', 'elder-sync.yaml'], { cwd: work.dir, env, timeoutMs: 120_000 });
  transcript += r.stdout + r.stderr;
  return r;
}

const key = (e: Record<string, unknown>) => ((e['metadata'] ?? e['attributes']) as { elder_sync?: { key?: string } } | undefined)?.elder_sync?.key;
const keys = () => elder.entities().map(key).filter((k): k is string => typeof k === 'string').sort();
const writes = () => elder.stats().writes;
/** Full (initial) delta rounds start without a token: `/users/delta?$select=...`. */
const fullRounds = (log: RequestLogEntry[]) => log.filter((r) => /\/(users|groups|devices)\/delta\?\$select=/.test(r.url));

/** The keys the fake's data must produce, from the fake itself. */
function expectedKeys(): string[] {
  return TENANTS.flatMap(({ id }) => {
    const t = fake.tenant(id);
    return [
      ...t.users.all().map((u) => `customers-m365/user/${u.id}`),
      ...t.groups.all().map((g) => `customers-m365/group/${g.id}`),
      ...t.devices.all().map((d) => `customers-m365/device/${d.id}`),
      ...[...t.managedDevices.keys()].map((k) => `customers-m365/managed_device/${k}`),
      ...[...t.machines.keys()].map((k) => `customers-m365/machine/${k}`),
      ...[...t.alerts.keys()].map((k) => `customers-m365/alert/${k}`),
      ...[...t.vulnerabilities.keys()].map((k) => `customers-m365/vulnerability/${k}`),
      `customers-m365/secure_score/${id}/secure-score`,
    ];
  }).sort();
}

beforeAll(async () => {
  assertBuilt();
  work = scratch('elder-sync-graph-e2e');
  fake = await startMicrosoftFake({ pageSize: 2 });
  for (const t of TENANTS) seedTenant(fake.addTenant({ id: t.id, clientId: t.clientId, clientSecret: t.secret }), SIZES, t.name.toLowerCase());
  elder = await startElderEmulator({ users: [{ email: 'sync@example.test', password: ELDER_PASSWORD, globalRole: 'admin' }] });
  writeConfig(join(work.dir, 'elder-sync.yaml'), {
    elder: { url: elder.url, ...passwordAuth('sync@example.test'), organization: { path: ['MSSP'] } },
    state: { path: './state.db' },
    sources: [
      {
        name: 'customers-m365',
        connector: 'graph',
        config: {
          tenants: TENANTS.map((t) => ({ id: t.id, name: t.name, clientId: t.clientId, clientSecret: `\${${t.env}}` })),
          endpoints: fake.endpoints,
        },
      },
    ],
  });
});

afterAll(async () => {
  await fake?.close();
  await elder?.close();
  work?.cleanup();
});

describe('elder-sync run with the graph connector', () => {
  it('test-connectivity signs in to every tenant for Graph and Defender and reads each resource', async () => {
    const r = await cli(['test-connectivity']);
    expect(r.stdout).not.toMatch(/^✗/m);
    for (const t of TENANTS) expect(r.stdout).toMatch(new RegExp(`^✓\\s+customers-m365 · ${t.name}`, 'm'));
    expect(r.code).toBe(0);
    expect(writes()).toBe(0);
  });

  it('three tenants sync exactly: one organization each, every resource, with their relations', async () => {
    const r = await cli(['run']);
    expect(r.stderr).not.toMatch(/"level":"error"/);
    expect(r.code).toBe(0);
    expect(keys()).toEqual(expectedKeys());
    const orgs = elder.organizations().map((o) => o['name']);
    for (const t of TENANTS) expect(orgs.filter((n) => n === t.name)).toHaveLength(1);
    const types = new Set(elder.dependencies().map((d) => d['dependency_type']));
    expect(types).toEqual(new Set(['member_of', 'related', 'affects']));
  });

  it('a second run writes nothing and reads only the deltas', async () => {
    elder.resetStats();
    fake.clearLog();
    const r = await cli(['run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^No changes\. \d+ unchanged\.$/m);
    expect(writes()).toBe(0);
    expect(fullRounds(fake.requests())).toEqual([]);
    expect(fake.requests().filter((x) => x.url.includes('$deltatoken=')).length).toBe(TENANTS.length * 3);
  });

  it('diff and run --dry-run never advance a delta cursor; run applies what they showed', async () => {
    const t = fake.tenant(CONTOSO.id);
    const user = t.users.all()[0]!;
    t.addUser({ ...user, jobTitle: 'Chief Delta Officer' });
    for (const args of [['diff', '--detailed-exitcode'], ['run', '--dry-run'], ['diff', '--detailed-exitcode']]) {
      const r = await cli(args);
      expect(r.stdout, args.join(' ')).toContain('Chief Delta Officer');
    }
    const run = await cli(['run']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Plan: 0 to create, 1 to update, 0 to delete, \d+ unchanged\.$/m);
    const entity = elder.entities().find((e) => key(e) === `customers-m365/user/${user.id}`)!;
    expect(JSON.stringify(entity)).toContain('Chief Delta Officer');
  });

  it('run --only user leaves the delta cursors where they were: the group change it skipped is applied by the next run', async () => {
    const t = fake.tenant(CONTOSO.id);
    const group = t.groups.all()[0]!;
    t.addGroup({ ...group, description: 'Renamed while only users synced' });
    const only = await cli(['run', '--only', 'user']);
    expect(only.code).toBe(0);
    const entity = () => JSON.stringify(elder.entities().find((e) => key(e) === `customers-m365/group/${group.id}`));
    expect(entity()).not.toContain('Renamed while only users synced');
    const run = await cli(['run']);
    expect(run.code).toBe(0);
    expect(entity()).toContain('Renamed while only users synced');
  });

  it('a user deleted in Entra (delta @removed) is deleted in Elder without a full read', async () => {
    const t = fake.tenant(FABRIKAM.id);
    const victim = t.users.all()[1]!;
    t.deleteUser(victim.id);
    fake.clearLog();
    const r = await cli(['run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Plan: 0 to create, \d+ to update, 1 to delete, \d+ unchanged\.$/m);
    expect(keys()).not.toContain(`customers-m365/user/${victim.id}`);
    expect(keys()).toEqual(expectedKeys());
    expect(fullRounds(fake.requests())).toEqual([]);
  });

  it('an expired delta token (410) falls back to a full read transparently', async () => {
    fake.tenant(WOODGROVE.id).expireDeltaTokens();
    fake.clearLog();
    elder.resetStats();
    const r = await cli(['run']);
    expect(r.code).toBe(0);
    const log = fake.requests().filter((x) => x.tenant === WOODGROVE.id);
    expect(log.some((x) => x.status === 410)).toBe(true);
    expect(fullRounds(log).length).toBeGreaterThan(0);
    expect(writes()).toBe(0);
    expect(keys()).toEqual(expectedKeys());
  });

  it('obeys a throttling storm: no request goes to a throttled family before the time its Retry-After names', async () => {
    fake.throttle(CONTOSO.id, 'directory', 2, 1);
    fake.throttle(CONTOSO.id, 'intune', 1, 2);
    fake.throttle(FABRIKAM.id, 'defender', 2, 1);
    fake.clearLog();
    const r = await cli(['run']);
    expect(r.code).toBe(0);
    const throttles = fake.throttles();
    expect(throttles).toHaveLength(5);
    const early = throttles.flatMap((t) =>
      fake.requests().filter((x) => x.tenant === t.tenant && x.family === t.family && x.at > t.at && x.at < t.until).map((x) => `${x.url} ${x.at - t.at} ms after a ${t.until - t.at} ms Retry-After`),
    );
    expect(early).toEqual([]);
    for (const t of throttles) expect(fake.requests().some((x) => x.tenant === t.tenant && x.family === t.family && x.at >= t.until)).toBe(true);
  });

  it('a tenant whose consent was revoked fails alone (exit 3), naming the tenant and the missing permissions', async () => {
    const woodgrove = fake.tenant(WOODGROVE.id);
    woodgrove.roles = [];
    const fabrikam = fake.tenant(FABRIKAM.id);
    const user = fabrikam.users.all()[0]!;
    fabrikam.addUser({ ...user, department: 'Applied despite Woodgrove' });
    const r = await cli(['run']);
    woodgrove.roles = [...ALL_PERMISSIONS];
    expect(r.code).toBe(3);
    const out = r.stdout + r.stderr;
    expect(out).toMatch(/Woodgrove/);
    expect(out).toMatch(/User\.Read\.All/);
    expect(out).toMatch(/SecurityAlert\.Read\.All/);
    const entity = elder.entities().find((e) => key(e) === `customers-m365/user/${user.id}`)!;
    expect(JSON.stringify(entity)).toContain('Applied despite Woodgrove');
    // Nothing of Woodgrove was deleted.
    expect(keys()).toEqual(expectedKeys());
  });

  it('never prints a client secret', () => {
    for (const t of TENANTS) expect(transcript).not.toContain(t.secret);
    expect(transcript).not.toContain(ELDER_PASSWORD);
  });
});
