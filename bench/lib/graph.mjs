// The Graph scenario (issue 12): many tenants in the testkit's loopback Microsoft fake, synced by the
// real CLI into the Elder emulator. A first sync, then a delta run after changing about 1 % of the
// objects: Graph requests of the delta-capable families and Elder writes must follow the changes,
// not the estate. Each sync is its own process (peak RSS is the sync's).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** How one tenant's objects split across the resources (fractions of the per-tenant total). */
const MIX = { users: 0.4, groups: 0.02, devices: 0.14, managedDevices: 0.14, machines: 0.14, alerts: 0.02 };

export function graphSizes(objects, tenants) {
  const per = Math.max(10, Math.floor(objects / tenants));
  const s = Object.fromEntries(Object.entries(MIX).map(([k, f]) => [k, Math.max(1, Math.round(per * f))]));
  // One vulnerability per machine, one secure score per tenant.
  return { ...s, vulnerabilitiesPerMachine: 1, secureScores: 1 };
}

function tenantsOf(n) {
  return Array.from({ length: n }, (_, i) => {
    const hex = (i + 1).toString(16).padStart(12, '0');
    return {
      id: `00000000-0000-4000-8000-${hex}`,
      name: `Customer ${String(i + 1).padStart(3, '0')}`,
      clientId: `aaaaaaaa-0000-4000-8000-${hex}`,
      clientSecret: `bench-secret-${i + 1}`,
    };
  });
}

/**
 * @param {{ testkit: any, cli: Function, emit: Function, round: Function, mkWork: () => string, tenants: number, objects: number }} o
 */
export async function graphSeries(o) {
  const { testkit, cli, emit, round } = o;
  const tenants = tenantsOf(o.tenants);
  const sizes = graphSizes(o.objects, o.tenants);
  const fake = await testkit.startMicrosoftFake({ pageSize: 999, membersPerEntry: 500 });
  const t0 = performance.now();
  for (const t of tenants) testkit.seedTenant(fake.addTenant(t), sizes, t.name);
  const seedS = (performance.now() - t0) / 1000;
  const objects = tenants.reduce((n, t) => {
    const f = fake.tenant(t.id);
    return n + f.users.size + f.groups.size + f.devices.size + f.managedDevices.size + f.machines.size + f.alerts.size + f.vulnerabilities.size + 1;
  }, 0);
  const emulator = await testkit.startElderEmulator({ latencyMs: 0 });
  const work = o.mkWork();
  const base = { tenants: o.tenants, objects };
  try {
    const config = {
      elder: { url: emulator.url, email: 'admin@localhost.local', password: 'admin123', organization: { path: ['Bench'] } },
      state: { path: './state.db' },
      sources: [
        {
          name: 'bench-graph',
          connector: 'graph',
          concurrency: 8,
          config: { tenants, endpoints: fake.endpoints, caFile: fake.caFile },
        },
      ],
    };
    writeFileSync(join(work, 'elder-sync.yaml'), JSON.stringify(config, null, 2));

    fake.clearLog();
    const first = await cli(work, emulator, ['run']);
    const firstGraph = fake.requests().length;
    const entities = emulator.entities().length;
    if (entities !== objects) throw new Error(`graph first sync left ${entities} entities in Elder, expected ${objects}`);
    emit({
      scenario: 'graph-first-sync', ...base, seedS: round(seedS), wallS: round(first.wallS), entitiesPerS: round(objects / first.wallS, 0),
      graphRequests: firstGraph, reads: first.reads, writes: first.writes, peakRssMb: round(first.maxRssMb, 1), cpuSeconds: round(first.cpuSeconds),
    });

    // About 1 % changed: users edited and deleted, group memberships, Intune compliance, an alert.
    let changed = 0;
    const per = Math.max(1, Math.round(objects / 100 / tenants.length));
    for (const t of tenants) {
      const f = fake.tenant(t.id);
      const users = f.users.all();
      for (let i = 0; i < per && i < users.length; i++) {
        if (i % 4 === 3) f.deleteUser(users[i].id);
        else f.addUser({ ...users[i], department: 'Changed' });
        changed++;
      }
      const managed = [...f.managedDevices.values()][0];
      if (managed) {
        f.managedDevices.set(managed.id, { ...managed, complianceState: 'inGracePeriod' });
        changed++;
      }
    }
    fake.clearLog();
    const delta = await cli(work, emulator, ['run']);
    const log = fake.requests();
    const family = (name) => log.filter((r) => r.family === name).length;
    emit({
      scenario: 'graph-delta', ...base, changed, wallS: round(delta.wallS), graphRequests: log.length, directoryRequests: family('directory'),
      intuneRequests: family('intune'), defenderRequests: family('defender') + family('vulnerability-export'), reads: delta.reads, writes: delta.writes,
      peakRssMb: round(delta.maxRssMb, 1), cpuSeconds: round(delta.cpuSeconds),
      // Elder writes follow the changes (a deleted user also loses its member_of dependency first).
      // Directory: per tenant three delta links and the $batch re-reads of the changed (20 per request, two each).
      ok: delta.writes <= changed * 3 && family('directory') <= tenants.length * 6 + Math.ceil((changed * 2) / 20),
    });
  } finally {
    await emulator.close();
    await fake.close();
  }
}
