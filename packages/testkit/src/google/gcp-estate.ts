import type { GcpFixture, GcpProject } from './gcp-server.js';

export interface GcpEstateOptions {
  /** Instances per project (default 5). */
  instances?: number;
  /** Networks per project (default 2), each with `subnetworksPerNetwork` subnetworks. */
  networks?: number;
  subnetworksPerNetwork?: number;
  /** Buckets per project (default 3). */
  buckets?: number;
  /** Extra projects under the Platform folder, for scale (bench). */
  extraProjects?: number;
}

const ZONES = ['europe-west1-b', 'europe-west1-c', 'us-east1-b'];

/**
 * A small organization as GCP has them: `organizations/123456789` (example.test) with folders two
 * levels deep and three ACTIVE projects, one in each level:
 *
 *   example.test ─┬─ Engineering ─┬─ Platform ── web-prod (1001)
 *                 │               └─ ops-tools (1003)
 *                 ├─ Data ── data-prod (1002)
 *                 ├─ old-project (1004, DELETE_REQUESTED)
 *                 └─ sandbox-alice, -bob, -carol (1005-1007, for excludeProjects)
 *
 * plus an empty folder `Archive`. Every id is GCP-shaped (numeric strings) and deterministic.
 */
export function gcpEstate(options: GcpEstateOptions = {}): GcpFixture {
  const instances = options.instances ?? 5;
  const networks = options.networks ?? 2;
  const perNetwork = options.subnetworksPerNetwork ?? 2;
  const buckets = options.buckets ?? 3;
  const projects: GcpProject[] = [
    { projectId: 'web-prod', number: '1001', displayName: 'Web (production)', parent: 'folders/20', labels: { env: 'prod', team: 'web' } },
    { projectId: 'data-prod', number: '1002', displayName: 'Data (production)', parent: 'folders/30', labels: { env: 'prod' } },
    { projectId: 'ops-tools', number: '1003', displayName: 'Ops tools', parent: 'folders/10' },
    { projectId: 'old-project', number: '1004', parent: 'organizations/123456789', state: 'DELETE_REQUESTED' },
    { projectId: 'sandbox-alice', number: '1005', parent: 'organizations/123456789' },
    { projectId: 'sandbox-bob', number: '1006', parent: 'organizations/123456789' },
    { projectId: 'sandbox-carol', number: '1007', parent: 'organizations/123456789' },
  ];
  for (let i = 1; i <= (options.extraProjects ?? 0); i++) {
    projects.push({ projectId: `load-${String(i).padStart(4, '0')}`, number: String(5000 + i), parent: 'folders/20' });
  }
  const fixture: Required<GcpFixture> = {
    organizations: [{ id: '123456789', displayName: 'example.test' }],
    folders: [
      { id: '10', displayName: 'Engineering', parent: 'organizations/123456789' },
      { id: '20', displayName: 'Platform', parent: 'folders/10' },
      { id: '30', displayName: 'Data', parent: 'organizations/123456789' },
      { id: '40', displayName: 'Archive', parent: 'organizations/123456789' },
      { id: '50', displayName: 'Retired', parent: 'organizations/123456789', state: 'DELETE_REQUESTED' },
    ],
    projects,
    networks: {},
    subnetworks: {},
    instances: {},
    buckets: {},
  };
  for (const project of projects) {
    if ((project.state ?? 'ACTIVE') !== 'ACTIVE') continue;
    const p = project.number;
    const id = (kind: number, n: number) => `${p}${kind}${String(n).padStart(6, '0')}`;
    fixture.networks[project.projectId] = Array.from({ length: networks }, (_, n) => ({ id: id(1, n), name: n === 0 ? 'default' : `vpc-${n}` }));
    fixture.subnetworks[project.projectId] = fixture.networks[project.projectId]!.flatMap((network, n) =>
      Array.from({ length: perNetwork }, (_, s) => ({
        id: id(2, n * perNetwork + s),
        name: `${network.name}-${s === 0 ? 'europe-west1' : s === 1 ? 'us-east1' : `r${s}`}`,
        region: s === 1 ? 'us-east1' : 'europe-west1',
        network: network.name,
        ipCidrRange: `10.${n}.${s}.0/24`,
      })),
    );
    const subnets = fixture.subnetworks[project.projectId]!;
    fixture.instances[project.projectId] = Array.from({ length: instances }, (_, n) => {
      const zone = ZONES[n % ZONES.length]!;
      const region = zone.replace(/-[a-z]$/, '');
      const subnet = subnets.find((s) => s.region === region);
      return {
        id: id(3, n),
        name: `${project.projectId}-vm-${String(n).padStart(3, '0')}`,
        zone,
        machineType: n % 2 ? 'e2-medium' : 'e2-small',
        ...(subnet ? { subnetwork: subnet.name, network: subnet.network } : {}),
        networkIP: `10.0.${Math.floor(n / 250)}.${(n % 250) + 2}`,
        ...(n % 3 === 0 ? { natIP: `34.1.${Math.floor(n / 250)}.${(n % 250) + 1}` } : {}),
        labels: { env: project.labels?.env ?? 'dev', role: n % 2 ? 'worker' : 'web', ...(n % 4 === 0 ? { pinned: '' } : {}) },
        tags: ['http-server'],
      };
    });
    fixture.buckets[project.projectId] = Array.from({ length: buckets }, (_, n) => ({
      name: `${project.projectId}-bucket-${n}`,
      location: n % 2 ? 'US' : 'EU',
      ...(n === 0 ? { labels: { backup: 'true' } } : {}),
    }));
  }
  return fixture;
}
