/**
 * Throttling over the wire: a 429's Retry-After blocks that tenant's API family until the time it
 * names (the fake records when it asked and when every request arrived), other tenants and families
 * go on, and 429s of single items inside a $batch are sent again alone, after their own Retry-After.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MicrosoftFake, RequestLogEntry, ThrottleRecord } from '@elder-sync/testkit';
import { TENANTS, configFor, lastCursor, parse, readTenant, records, startFake } from './test-support.js';

const [CONTOSO, FABRIKAM] = TENANTS;

/** Requests of the throttled tenant and family that arrived after the 429 but before the time it named. */
function early(log: RequestLogEntry[], throttles: ThrottleRecord[]): string[] {
  return throttles.flatMap((t) =>
    log
      .filter((r) => r.tenant === t.tenant && r.family === t.family && r.at > t.at && r.at < t.until)
      .map((r) => `${r.method} ${r.url} at +${r.at - t.at} ms (Retry-After named +${t.until - t.at} ms)`),
  );
}

describe('throttling', () => {
  let fake: MicrosoftFake;
  beforeAll(async () => {
    fake = await startFake([CONTOSO, FABRIKAM], { users: 6, managedDevices: 6, machines: 4 });
  });
  afterAll(async () => {
    await fake?.close();
  });
  const config = () => parse(configFor(fake, [CONTOSO, FABRIKAM]));

  it('obeys Retry-After exactly in a storm: no request to that family before the time it names', async () => {
    fake.clearLog();
    fake.throttle(CONTOSO.id, 'defender', 2, 1);
    fake.throttle(CONTOSO.id, 'intune', 2, 1);
    const contoso = await readTenant(config(), CONTOSO.id);
    const throttles = fake.throttles();
    expect(throttles.map((t) => t.family).sort()).toEqual(['defender', 'defender', 'intune', 'intune']);
    expect(early(fake.requests(), throttles)).toEqual([]);
    // Each throttled family was asked again after its wait, and everything arrived.
    for (const t of throttles) expect(fake.requests().some((r) => r.tenant === t.tenant && r.family === t.family && r.at >= t.until)).toBe(true);
    expect(records(contoso, 'machine')).toHaveLength(fake.tenant(CONTOSO.id).machines.size);
    expect(records(contoso, 'managed_device')).toHaveLength(fake.tenant(CONTOSO.id).managedDevices.size);
  });

  it("holds only the throttled tenant: another tenant's same API family goes on meanwhile", async () => {
    fake.clearLog();
    fake.throttle(CONTOSO.id, 'defender', 1, 4);
    const blocked = readTenant(config(), CONTOSO.id);
    while (!fake.throttles().some((t) => t.tenant === CONTOSO.id)) await new Promise((r) => setTimeout(r, 20));
    const block = fake.throttles()[0]!;
    const fabrikam = await readTenant(config(), FABRIKAM.id);
    expect(records(fabrikam, 'machine')).toHaveLength(fake.tenant(FABRIKAM.id).machines.size);
    const theirs = fake.requests().filter((r) => r.tenant === FABRIKAM.id && r.family === 'defender');
    expect(theirs.length).toBeGreaterThan(0);
    expect(theirs.filter((r) => r.at >= block.until)).toEqual([]);
    await blocked;
    expect(early(fake.requests(), fake.throttles())).toEqual([]);
  });

  it('sends 429ed $batch items again, alone and after their Retry-After, and loses none', async () => {
    const first = await readTenant(config(), CONTOSO.id);
    const t = fake.tenant(CONTOSO.id);
    const users = t.users.all();
    for (const u of users) t.addUser({ ...u, department: 'Renamed' });
    fake.clearLog();
    fake.throttleBatchItems(CONTOSO.id, 3, 1);
    const delta = await readTenant(config(), CONTOSO.id, 'incremental', lastCursor(first));
    expect(records(delta, 'user').map((u) => [u.externalId, u.attributes.department])).toEqual(users.map((u) => [u.id, 'Renamed']));
    const batches = fake.requests().filter((r) => r.url.endsWith('/$batch'));
    const throttled = batches[0]!.batch!.filter((i) => i.status === 429).map((i) => i.url);
    expect(throttled).toHaveLength(3);
    // The retry carries exactly the throttled items, and waited for their Retry-After.
    expect(batches[1]!.batch!.map((i) => i.url)).toEqual(throttled);
    expect(batches[1]!.at - batches[0]!.at).toBeGreaterThanOrEqual(1000);
    expect(early(fake.requests(), fake.throttles())).toEqual([]);
  });
});
