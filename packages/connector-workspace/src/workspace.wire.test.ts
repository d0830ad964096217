import { silentLogger, type ReadItem, type SourceRecord } from '@elder-sync/connector-sdk';
import { mintServiceAccountKey, startWorkspaceFake, WORKSPACE_READ_SCOPES, type DirectoryData, type WorkspaceFake } from '@elder-sync/testkit/google';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import connector, { directoryLimiterStats, workspaceConfigSchema, type WorkspaceConfig } from './index.js';

/**
 * The connector through the real @googleapis/admin client and google-auth-library, against the
 * testkit's loopback token endpoint (JWT-bearer assertion verified, delegation enforced) and Directory
 * API (real paths, page caps, error bodies), with small pages so every listing pages.
 */
let fake: WorkspaceFake;
let data: DirectoryData;

beforeAll(async () => {
  fake = await startWorkspaceFake({ generate: { users: 300, groups: 20, orgUnitLevels: 4 }, pageLimit: { users: 70, groups: 6, members: 7 } });
  data = fake.directory.directory.data;
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.directory.resetStats();
  fake.tokens.grants.length = 0;
  fake.setDelegatedScopes(WORKSPACE_READ_SCOPES);
});

const configOf = (extra: Record<string, unknown> = {}): WorkspaceConfig => workspaceConfigSchema.parse({ ...fake.config, ...extra });

async function read(config = configOf()): Promise<ReadItem[]> {
  const [scope] = await connector.scopes(config, { log: silentLogger, signal: new AbortController().signal }) as { id: string; label: string }[];
  const items: ReadItem[] = [];
  for await (const item of connector.read({ config, scope: scope!, log: silentLogger, signal: new AbortController().signal, mode: 'full', checkpoint: null })) items.push(item);
  return items;
}
const records = (items: ReadItem[], kind?: string) =>
  items.flatMap((i) => (i.type === 'record' && (kind === undefined || i.record.kind === kind) ? [i.record] : []));
const byId = (list: SourceRecord[]) => new Map(list.map((r) => [r.externalId, r]));

/** From the fixture: group id → ids of its direct USER / GROUP members. */
function expectedMemberships() {
  const userGroups = new Map<string, string[]>();
  const groupParents = new Map<string, string[]>();
  for (const [groupId, members] of Object.entries(data.members)) {
    for (const m of members) {
      const target = m.type === 'USER' && data.users.some((u) => u.id === m.id) ? userGroups : m.type === 'GROUP' ? groupParents : undefined;
      if (target) target.set(m.id, [...(target.get(m.id) ?? []), groupId].sort());
    }
  }
  return { userGroups, groupParents };
}

describe('reading a Workspace through the real Admin SDK client', () => {
  it('reads the whole OU tree, every user and every group, with exactly the memberships of the directory', async () => {
    const items = await read();
    const ous = records(items, 'orgunit');
    expect(ous.map((r) => r.externalId).sort()).toEqual(data.orgUnits.map((o) => o.orgUnitId).sort());
    expect(ous.map((r) => r.organizationPath!.length)).toEqual([...ous.map((r) => r.organizationPath!.length)].sort()); // parents first
    expect(Math.max(...ous.map((r) => r.organizationPath!.length))).toBe(3); // 4 levels below the root

    const users = byId(records(items, 'user'));
    expect(users.size).toBe(300);
    const { userGroups, groupParents } = expectedMemberships();
    for (const user of data.users) {
      const record = users.get(user.id)!;
      expect(record.organizationPath, user.primaryEmail).toEqual(user.orgUnitPath.split('/').filter(Boolean));
      expect(record.relations!.map((r) => r.externalId), user.primaryEmail).toEqual(userGroups.get(user.id) ?? []);
    }
    const groups = byId(records(items, 'group'));
    expect(groups.size).toBe(20);
    for (const group of data.groups) {
      const record = groups.get(group.id)!;
      expect(record.relations!.map((r) => r.externalId), group.email).toEqual(groupParents.get(group.id) ?? []);
      const members = data.members[group.id]!;
      expect(record.attributes, group.email).toMatchObject({
        direct_members_count: members.length,
        external_member_count: members.filter((m) => m.email?.endsWith('@partner.test')).length,
        group_member_count: members.filter((m) => m.type === 'GROUP').length,
        all_users_member: members.some((m) => m.type === 'CUSTOMER'),
      });
    }
    expect(items.some((i) => i.type === 'checkpoint')).toBe(false);
  });

  it('asks for the API maximum everywhere, follows every page token, and lists the OU tree with type=all', async () => {
    await read();
    const requests = fake.directory.requests;
    const of = (route: string) => requests.filter((r) => r.route === route);
    expect(new Set(of('users').map((r) => r.query['maxResults']))).toEqual(new Set(['500']));
    expect(new Set([...of('groups'), ...of('members')].map((r) => r.query['maxResults']))).toEqual(new Set(['200']));
    expect(of('users')).toHaveLength(Math.ceil(300 / 70));
    expect(of('groups')).toHaveLength(2 * Math.ceil(20 / 6)); // indexed, then emitted
    const memberPages = Object.values(data.members).reduce((n, list) => n + Math.max(1, Math.ceil(list.length / 7)), 0);
    expect(of('members')).toHaveLength(memberPages);
    expect(of('orgunits').map((r) => r.query['type'])).toEqual(['all']);
    expect(requests.every((r) => r.status === 200 && r.subject === fake.subject)).toBe(true);
  });

  it('authenticates by a signed JWT-bearer assertion with the admin as sub and only the read-only scopes', async () => {
    await read();
    expect(fake.tokens.grants).toEqual([
      expect.objectContaining({ ok: true, signatureValid: true, iss: fake.account.email, sub: fake.subject, scopes: [...WORKSPACE_READ_SCOPES] }),
    ]);
  });

  it('gives identical output twice', async () => {
    expect(await read()).toEqual(await read());
  });

  it('reads only one domain of a multi-domain customer when asked', async () => {
    fake.directory.directory.addUser({ id: '300000000000000000001', primaryEmail: 'zoe@other.test', name: { givenName: 'Zoe', familyName: 'Other' }, orgUnitPath: '/' });
    data.customer.secondaryDomains = ['other.test'];
    try {
      const users = records(await read(configOf({ domain: 'other.test' })), 'user');
      expect(users.map((u) => u.attributes['email'])).toEqual(['zoe@other.test']);
      expect(fake.directory.requests.filter((r) => r.route === 'users').every((r) => r.query['domain'] === 'other.test' && !('customer' in r.query))).toBe(true);
    } finally {
      fake.directory.directory.deleteUser('300000000000000000001');
      data.customer.secondaryDomains = [];
    }
  });
});

describe('throttling and errors', () => {
  it('slows down on 429 and 403 rate-limit answers, honours Retry-After, and still reads everything', async () => {
    fake.directory.failNext('members', { kind: 'rateLimitExceeded', retryAfterSeconds: 1 });
    fake.directory.failNext('users', { kind: 'userRateLimitExceeded' });
    fake.directory.failNext('groups', { kind: 'quotaExceeded' });
    const items = await read();
    expect(records(items, 'user')).toHaveLength(300);
    expect(records(items, 'group')).toHaveLength(20);
    const requests = fake.directory.requests;
    const throttled = requests.findIndex((r) => r.status === 429);
    expect(throttled).toBeGreaterThanOrEqual(0);
    // The throttled call is tried again, and not before the Retry-After has passed.
    const retry = requests.slice(throttled + 1).find((r) => r.url === requests[throttled]!.url);
    expect(retry?.status).toBe(200);
    expect(retry!.at - requests[throttled]!.at).toBeGreaterThanOrEqual(950);
    expect(requests.filter((r) => r.status === 403)).toHaveLength(2);
  });

  it("retries a 503 in the customer's limiter only: the Google client's own retries are off", async () => {
    const key = `my_customer@example.test`;
    const before = directoryLimiterStats().keys[key]?.retries ?? 0;
    fake.directory.failNext('users', { kind: 'backendError' });
    expect(records(await read(), 'user')).toHaveLength(300);
    // Had gaxios retried the 503 itself, the limiter would never have seen it.
    expect(directoryLimiterStats().keys[key]!.retries - before).toBe(1);
    expect(fake.directory.requests.filter((r) => r.status === 503)).toHaveLength(1);
  });

  it('reads the members of different groups at once, within the limiter\'s concurrency', async () => {
    const slow = await startWorkspaceFake({ generate: { users: 60, groups: 12, orgUnitLevels: 1 }, latencyMs: 30 });
    try {
      const items = await read(workspaceConfigSchema.parse({ ...slow.config }));
      expect(records(items, 'group')).toHaveLength(12);
      expect(slow.directory.maxInFlight('members')).toBeGreaterThan(1);
      expect(slow.directory.maxInFlight('members')).toBeLessThanOrEqual(10);
    } finally {
      await slow.close();
    }
  });

  it('does not retry a refused permission: a subject who is no administrator fails at once, named with the fix', async () => {
    const error = await read(configOf({ subject: 'user00001@example.test' })).then(() => undefined, (e: unknown) => e as Error & { code: string });
    expect(error).toMatchObject({ code: 'SOURCE_PERMISSION_DENIED' });
    expect(error!.message).toContain('user00001@example.test may not read this');
    expect(error!.message).toContain('Admin roles');
    // Each refusal answered once: org units (held as incomplete), then the group listing, which ends the read.
    expect(fake.directory.requests.map((r) => [r.route, r.status])).toEqual([
      ['orgunits', 403],
      ['groups', 403],
    ]);
  });

  it('reads users and groups for a delegated admin whose role cannot read org units, and holds the org units as incomplete', async () => {
    const id = '200000000000000000009';
    fake.directory.directory.addUser({ id, primaryEmail: 'helpdesk@example.test', name: { givenName: 'Help', familyName: 'Desk' }, orgUnitPath: '/', isDelegatedAdmin: true, adminReads: ['users', 'groups', 'members'] });
    try {
      const items = await read(configOf({ subject: 'helpdesk@example.test' }));
      expect(items.filter((i) => i.type === 'incomplete')).toEqual([{ type: 'incomplete', kind: 'orgunit', reason: expect.stringContaining('helpdesk@example.test may not read this') }]);
      expect(records(items, 'orgunit')).toEqual([]);
      expect(records(items, 'user')).toHaveLength(301);
      expect(records(items, 'group')).toHaveLength(20);
      const deep = records(items, 'user').find((u) => (u.attributes['org_unit_path'] as string).split('/').length === 5)!;
      expect(deep.organizationPath).toEqual((deep.attributes['org_unit_path'] as string).split('/').filter(Boolean));
    } finally {
      fake.directory.directory.deleteUser(id);
    }
  });

  it('spends no members.list call on a group that has no members', async () => {
    fake.directory.directory.addGroup({ id: '0emptygroup0001', email: 'empty@example.test', name: 'Empty' });
    try {
      const items = await read();
      expect(records(items, 'group').find((g) => g.externalId === '0emptygroup0001')?.attributes).toMatchObject({ direct_members_count: 0 });
      expect(fake.directory.requests.filter((r) => r.route === 'members' && r.url.includes('0emptygroup0001'))).toEqual([]);
    } finally {
      fake.directory.directory.deleteGroup('0emptygroup0001');
    }
  });

  it('fails before any Directory call when delegation lacks a scope, naming where to grant it', async () => {
    fake.setDelegatedScopes(WORKSPACE_READ_SCOPES.filter((s) => !s.includes('orgunit')));
    const error = await read().then(() => undefined, (e: unknown) => e as Error & { code: string });
    expect(error).toMatchObject({ code: 'SOURCE_AUTH' });
    expect(error!.message).toMatch(/unauthorized_client.*Manage domain-wide delegation/s);
    expect(fake.directory.requests).toHaveLength(0);
  });

  it('refuses a key that is not the service account\'s without echoing either key', async () => {
    const forged = mintServiceAccountKey({ email: fake.account.email });
    const error = await read(configOf({ credentials: forged.json })).then(
      () => undefined,
      (e: unknown) => e as Error & { code: string },
    );
    expect(error).toMatchObject({ code: 'SOURCE_AUTH', message: expect.stringContaining('invalid_grant') });
    const text = JSON.stringify({ message: error!.message, stack: error!.stack, error });
    expect(text).not.toContain(forged.privateKeyPem.slice(40, 100));
    expect(text).not.toContain(fake.account.privateKeyPem.slice(40, 100));
    expect(fake.directory.requests).toHaveLength(0);
  });
});

describe('testConnection', () => {
  const check = async (config = configOf()) => {
    const [scope] = (await connector.scopes(config, { log: silentLogger, signal: new AbortController().signal })) as { id: string; label: string }[];
    return connector.testConnection({ config, scope: scope!, log: silentLogger, signal: new AbortController().signal });
  };

  it('checks the credentials, the delegated token, then one read per kind', async () => {
    const checks = await check();
    expect(checks.map((c) => [c.name, c.ok])).toEqual([
      ['credentials', true],
      ['delegation', true],
      ['orgunits', true],
      ['users', true],
      ['groups', true],
      ['members', true],
    ]);
    expect(checks[0]!.detail).toContain(fake.account.clientId);
  });

  it('names the delegated scope that is missing and the admin console path to add it', async () => {
    const missing = WORKSPACE_READ_SCOPES[3];
    fake.setDelegatedScopes(WORKSPACE_READ_SCOPES.filter((s) => s !== missing));
    const checks = await check();
    const delegation = checks.find((c) => c.name === 'delegation')!;
    expect(delegation).toMatchObject({ ok: false, missing: [missing] });
    expect(delegation.detail).toContain(`client id ${fake.account.clientId}`);
    expect(delegation.detail).toContain('Security → Access and data control → API controls → Manage domain-wide delegation');
    expect(checks.slice(2).every((c) => !c.ok && c.detail?.startsWith('not checked'))).toBe(true);
  });

  it('says delegation is missing altogether when no scope is granted', async () => {
    fake.setDelegatedScopes([]);
    const delegation = (await check()).find((c) => c.name === 'delegation')!;
    expect(delegation.ok).toBe(false);
    expect(delegation.missing).toEqual([`domain-wide delegation for client id ${fake.account.clientId}`, ...WORKSPACE_READ_SCOPES]);
  });

  it('asks only for what the kinds need: org units alone need only the org-unit scope', async () => {
    fake.setDelegatedScopes([WORKSPACE_READ_SCOPES[0]]);
    const config = configOf({ kinds: ['orgunit'] });
    expect((await check(config)).map((c) => [c.name, c.ok])).toEqual([
      ['credentials', true],
      ['delegation', true],
      ['orgunits', true],
    ]);
    const items = await read(config);
    expect(records(items, 'orgunit')).toHaveLength(data.orgUnits.length);
    expect(records(items).every((r) => r.kind === 'orgunit')).toBe(true);
    expect(new Set(fake.directory.requests.map((r) => r.route))).toEqual(new Set(['orgunits']));
  });

  it('names a subject without admin rights on the reads', async () => {
    const checks = await check(configOf({ subject: 'user00001@example.test' }));
    expect(checks.find((c) => c.name === 'delegation')!.ok).toBe(true);
    expect(checks.find((c) => c.name === 'users')).toMatchObject({ ok: false, missing: ['admin role of the subject'] });
  });
});
