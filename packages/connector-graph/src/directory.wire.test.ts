/**
 * Entra users, groups and devices over the wire: the real msal-node signs in at the loopback
 * Microsoft fake (HTTPS, test CA through caFile), delta rounds page along @odata.nextLink, and the
 * fake's data is the expectation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MicrosoftFake } from '@elder-sync/testkit';
import { TENANTS, configFor, lastCursor, parse, readTenant, records, startFake } from './test-support.js';

const [CONTOSO] = TENANTS;

describe('Entra directory through delta queries', () => {
  let fake: MicrosoftFake;
  beforeAll(async () => {
    fake = await startFake([CONTOSO], { users: 7, groups: 3, devices: 3 });
  });
  afterAll(async () => {
    await fake?.close();
  });
  const config = () => parse(configFor(fake, [CONTOSO], { resources: ['users', 'groups', 'devices'] }));

  it('reads every user, group and device of the tenant, with memberships as member_of relations', async () => {
    const items = await readTenant(config(), CONTOSO.id);
    const t = fake.tenant(CONTOSO.id);
    expect(records(items, 'user').map((r) => r.externalId).sort()).toEqual(t.users.all().map((u) => u.id));
    expect(records(items, 'group').map((r) => r.externalId).sort()).toEqual(t.groups.all().map((g) => g.id));
    expect(records(items, 'device').map((r) => r.externalId).sort()).toEqual(t.devices.all().map((d) => d.id));
    for (const u of records(items, 'user')) {
      expect(u.relations?.map((r) => r.externalId), `groups of ${u.name}`).toEqual(t.memberships.groupsOf(u.externalId));
      expect(u.organizationPath).toEqual(['Contoso']);
    }
    const nested = records(items, 'group').find((g) => g.relations?.length);
    expect(nested?.relations).toEqual(t.memberships.groupsOf(nested!.externalId).map((g) => ({ type: 'member_of', kind: 'group', externalId: g })));
    // Small pages: the delta rounds really paged, and group 0's members came split across entries.
    const deltaPages = fake.requests().filter((r) => r.url.includes('/users/delta'));
    expect(deltaPages.length).toBeGreaterThan(2);
    expect(fake.tokensIssued()).toEqual([{ tenant: CONTOSO.id, audience: 'https://graph.microsoft.com' }]);
  });

  it('reads only the delta next time: nothing when nothing changed, then exactly what changed', async () => {
    const first = await readTenant(config(), CONTOSO.id);
    const quiet = await readTenant(config(), CONTOSO.id, 'incremental', lastCursor(first));
    expect(quiet.filter((i) => i.type !== 'checkpoint')).toEqual([]);

    const t = fake.tenant(CONTOSO.id);
    const [u0, u1, u2] = t.users.all();
    const g2 = t.groups.all()[2]!;
    t.addUser({ ...u0!, jobTitle: 'Director' });
    t.deleteUser(u1!.id);
    t.addMember(g2.id, u2!.id, 'user');
    fake.clearLog();
    const delta = await readTenant(config(), CONTOSO.id, 'incremental', lastCursor(quiet));
    const users = records(delta, 'user');
    expect(users.map((u) => u.externalId).sort()).toEqual([u0!.id, u2!.id].sort());
    expect(users.find((u) => u.externalId === u0!.id)?.attributes.job_title).toBe('Director');
    expect(users.find((u) => u.externalId === u2!.id)?.relations?.map((r) => r.externalId)).toEqual(t.memberships.groupsOf(u2!.id));
    expect(delta.filter((i) => i.type === 'deleted')).toEqual([{ type: 'deleted', kind: 'user', externalId: u1!.id }]);
    // The groups that changed are read again (their own parents); no full round was made.
    expect(records(delta, 'group').map((g) => g.externalId).sort()).toEqual(expect.arrayContaining([g2.id]));
    expect(fake.requests().filter((r) => /\/(users|groups|devices)\/delta\?\$select/.test(r.url))).toEqual([]);
  });

  it('starts over with a full read when the delta token has expired (410)', async () => {
    const first = await readTenant(config(), CONTOSO.id);
    const t = fake.tenant(CONTOSO.id);
    t.expireDeltaTokens();
    fake.clearLog();
    const again = await readTenant(config(), CONTOSO.id, 'incremental', lastCursor(first));
    expect(fake.requests().some((r) => r.status === 410)).toBe(true);
    expect(records(again, 'user').map((r) => r.externalId).sort()).toEqual(t.users.all().map((u) => u.id));
    expect(records(again, 'device').map((r) => r.externalId).sort()).toEqual(t.devices.all().map((d) => d.id));
    const after = await readTenant(config(), CONTOSO.id, 'incremental', lastCursor(again));
    expect(records(after)).toEqual([]);
  });

  it('reports a deleted device from the delta without a full read', async () => {
    const first = await readTenant(config(), CONTOSO.id);
    const t = fake.tenant(CONTOSO.id);
    const victim = t.devices.all()[0]!;
    t.devices.remove(victim.id);
    fake.clearLog();
    const delta = await readTenant(config(), CONTOSO.id, 'incremental', lastCursor(first));
    expect(delta.filter((i) => i.type === 'deleted')).toEqual([{ type: 'deleted', kind: 'device', externalId: victim.id }]);
    expect(fake.requests().filter((r) => r.url.includes('/devices/delta?$select'))).toEqual([]);
  });
});
