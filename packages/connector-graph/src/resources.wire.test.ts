/**
 * Intune, Defender, alerts, vulnerabilities and secure score over the wire, with relations to the
 * Entra devices, machines and users they name; the fake's data is the expectation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MicrosoftFake } from '@elder-sync/testkit';
import { TENANTS, configFor, lastCursor, parse, readTenant, records, startFake } from './test-support.js';

const [CONTOSO, FABRIKAM] = TENANTS;

describe('Intune, Defender and security resources', () => {
  let fake: MicrosoftFake;
  beforeAll(async () => {
    fake = await startFake([CONTOSO, FABRIKAM], { devices: 4, managedDevices: 4, machines: 3, alerts: 3, vulnerabilitiesPerMachine: 2, secureScores: 3 });
  });
  afterAll(async () => {
    await fake?.close();
  });
  const config = () => parse(configFor(fake, [CONTOSO, FABRIKAM]));

  it('links Intune devices and Defender machines to their Entra device, alerts to machines and users, vulnerabilities to machines', async () => {
    const items = await readTenant(config(), CONTOSO.id);
    const t = fake.tenant(CONTOSO.id);
    const entraByDeviceId = new Map(t.devices.all().map((d) => [d.deviceId, d.id]));

    const managed = records(items, 'managed_device');
    expect(managed.map((r) => r.externalId).sort()).toEqual([...t.managedDevices.keys()].sort());
    for (const r of managed) {
      const source = t.managedDevices.get(r.externalId)!;
      expect(r.attributes.compliance_state).toBe(source.complianceState);
      expect(r.relations).toEqual([{ type: 'related', kind: 'device', externalId: entraByDeviceId.get(source.azureADDeviceId as string) }]);
    }
    const machines = records(items, 'machine');
    expect(machines.map((r) => r.externalId).sort()).toEqual([...t.machines.keys()].sort());
    for (const r of machines) {
      expect(r.relations).toEqual([{ type: 'related', kind: 'device', externalId: entraByDeviceId.get(t.machines.get(r.externalId)!.aadDeviceId as string) }]);
    }
    const alerts = records(items, 'alert');
    expect(alerts.map((r) => r.externalId).sort()).toEqual([...t.alerts.keys()].sort());
    for (const r of alerts) {
      const evidence = t.alerts.get(r.externalId)!.evidence as { mdeDeviceId?: string; userAccount?: { azureAdUserId: string } }[];
      const expected = [
        ...evidence.filter((e) => e.mdeDeviceId).map((e) => ({ type: 'affects', kind: 'machine', externalId: e.mdeDeviceId })),
        ...evidence.filter((e) => e.userAccount).map((e) => ({ type: 'affects', kind: 'user', externalId: e.userAccount!.azureAdUserId })),
      ];
      expect(r.relations).toEqual(expected);
    }
    const vulns = records(items, 'vulnerability');
    expect(vulns.map((r) => r.externalId).sort()).toEqual([...t.vulnerabilities.keys()].sort());
    for (const r of vulns) expect(r.relations).toEqual([{ type: 'affects', kind: 'machine', externalId: t.vulnerabilities.get(r.externalId)!.deviceId }]);

    const scores = records(items, 'secure_score');
    const latest = [...t.secureScores].sort((a, b) => String(b.createdDateTime).localeCompare(String(a.createdDateTime)))[0]!;
    expect(scores).toHaveLength(1);
    expect(scores[0]!.externalId).toBe(`${CONTOSO.id}/secure-score`);
    expect(scores[0]!.attributes.current_score).toBe(latest.currentScore);
    // A Defender token is a second audience; Graph tokens cannot call the Defender API.
    expect(fake.tokensIssued().filter((x) => x.tenant === CONTOSO.id).map((x) => x.audience).sort()).toEqual([
      'https://api.securitycenter.microsoft.com',
      'https://graph.microsoft.com',
    ]);
  });

  it('keeps per-tenant objects apart: keys never collide across tenants', async () => {
    const a = records(await readTenant(config(), CONTOSO.id));
    const b = records(await readTenant(config(), FABRIKAM.id));
    const keys = (rs: typeof a) => new Set(rs.map((r) => `${r.kind}/${r.externalId}`));
    const overlap = [...keys(a)].filter((k) => keys(b).has(k));
    expect(overlap).toEqual([]);
    expect(b.every((r) => r.organizationPath?.[0] === 'Fabrikam')).toBe(true);
  });

  it('reads again only what changed: hashed full pulls, the alert window, the vulnerability change feed, a new score', async () => {
    const first = await readTenant(config(), FABRIKAM.id);
    const quiet = await readTenant(config(), FABRIKAM.id, 'incremental', lastCursor(first));
    expect(records(quiet)).toEqual([]);

    const t = fake.tenant(FABRIKAM.id);
    const [m0, m1] = [...t.managedDevices.values()];
    t.managedDevices.set(m0!.id, { ...m0!, complianceState: 'inGracePeriod' });
    t.managedDevices.delete(m1!.id);
    const alert = [...t.alerts.values()][0]!;
    t.upsertAlert({ id: alert.id, status: 'resolved' });
    const [v0, v1] = [...t.vulnerabilities.values()];
    t.vulnerabilityEvent(v0!, 'Fixed');
    t.vulnerabilityEvent({ ...v1!, cvssScore: 9.8 }, 'Updated');
    t.secureScores.push({ ...t.secureScores[0]!, id: `${t.id}_2026-12-06`, createdDateTime: '2026-12-06T00:00:00Z', currentScore: 77 });

    const delta = await readTenant(config(), FABRIKAM.id, 'incremental', lastCursor(quiet));
    const keys = records(delta).map((r) => `${r.kind}/${r.externalId}`).sort();
    expect(keys).toEqual(
      [`managed_device/${m0!.id}`, `alert/${alert.id}`, `vulnerability/${v1!.id}`, `secure_score/${FABRIKAM.id}/secure-score`].sort(),
    );
    expect(records(delta, 'alert')[0]!.attributes.status).toBe('resolved');
    expect(delta.filter((i) => i.type === 'deleted')).toEqual([
      { type: 'deleted', kind: 'managed_device', externalId: m1!.id },
      { type: 'deleted', kind: 'vulnerability', externalId: v0!.id },
    ]);
    const again = await readTenant(config(), FABRIKAM.id, 'incremental', lastCursor(delta));
    expect(records(again)).toEqual([]);
  });

  it('names only relation targets that exist: an alert about a deleted user or an unknown machine links to neither', async () => {
    const first = await readTenant(config(), CONTOSO.id);
    const t = fake.tenant(CONTOSO.id);
    const [kept, gone] = t.users.all();
    const machine = [...t.machines.keys()][0]!;
    t.deleteUser(gone!.id);
    t.upsertAlert({
      id: 'da-new-alert',
      title: 'New alert',
      evidence: [
        { '@odata.type': '#microsoft.graph.security.deviceEvidence', mdeDeviceId: machine },
        { '@odata.type': '#microsoft.graph.security.deviceEvidence', mdeDeviceId: 'f'.repeat(40) },
        { '@odata.type': '#microsoft.graph.security.userEvidence', userAccount: { azureAdUserId: kept!.id } },
        { '@odata.type': '#microsoft.graph.security.userEvidence', userAccount: { azureAdUserId: gone!.id } },
      ],
    });
    fake.clearLog();
    const delta = await readTenant(config(), CONTOSO.id, 'incremental', lastCursor(first));
    expect(records(delta, 'alert').find((a) => a.externalId === 'da-new-alert')?.relations).toEqual([
      { type: 'affects', kind: 'machine', externalId: machine },
      { type: 'affects', kind: 'user', externalId: kept!.id },
    ]);
  });
});
