import { silentLogger, type ReadItem, type Scope, type ScopeDiscovery, type SourceRecord } from '@elder-sync/connector-sdk';
import {
  GcpServer,
  gcpEstate,
  mintServiceAccountKey,
  startGcpServer,
  startGoogleTokenServer,
  type GcpServer as GcpServerType,
  type GoogleTokenServer,
} from '@elder-sync/testkit/google';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { limiterStats } from './clients.js';
import { gcpConfigSchema, type GcpConfig } from './config.js';
import connector from './index.js';

/**
 * The real @googleapis/compute, @googleapis/cloudresourcemanager and @google-cloud/storage clients
 * against the testkit's loopback Google Cloud, with tokens from the loopback token endpoint that
 * verifies the service-account assertion. Pages of 2 everywhere.
 */
const sa = mintServiceAccountKey({ email: 'elder-sync@ops-tools.iam.gserviceaccount.com' });
const READER = 'reader@ops-tools.iam.gserviceaccount.com';
let tokens: GoogleTokenServer;
let gcp: GcpServerType;

beforeAll(async () => {
  tokens = await startGoogleTokenServer({ accounts: [sa], impersonation: { [READER]: [sa.email] } });
});
afterAll(() => tokens.close());
beforeEach(async () => {
  gcp = await startGcpServer(tokens, gcpEstate());
});
afterEach(() => gcp.close());

function config(extra: Record<string, unknown> = {}): GcpConfig {
  return gcpConfigSchema.parse({
    credentials: sa.json,
    parents: ['organizations/123456789'],
    excludeProjects: ['sandbox-*'],
    endpoints: gcp.endpoints,
    pageSize: 2,
    ...extra,
  });
}

const signal = new AbortController().signal;
const discover = (c: GcpConfig) => connector.scopes(c, { log: silentLogger, signal }) as Promise<ScopeDiscovery>;

async function readAll(c: GcpConfig, scope: Scope): Promise<ReadItem[]> {
  const items: ReadItem[] = [];
  for await (const item of connector.read({ config: c, scope, log: silentLogger, signal, mode: 'full', checkpoint: null })) items.push(item);
  return items;
}
const records = (items: ReadItem[]) => items.flatMap((i) => (i.type === 'record' ? [i.record] : []));
const ofKind = (rs: SourceRecord[], kind: string) => rs.filter((r) => r.kind === kind);

describe('discovery', () => {
  it('finds every ACTIVE project below the organization, through two folder levels, page by page', async () => {
    const { scopes, failed } = await discover(config());
    expect(failed).toEqual([]);
    expect(scopes.map((s) => [s.id, s.params?.path])).toEqual([
      ['data-prod', ['example.test', 'Data']],
      ['ops-tools', ['example.test', 'Engineering']],
      ['web-prod', ['example.test', 'Engineering', 'Platform']],
    ]);
    expect(scopes.find((s) => s.id === 'web-prod')?.params).toMatchObject({ projectNumber: '1001', displayName: 'Web (production)' });
    // The organization holds 3 ACTIVE projects (all excluded) and 3 ACTIVE folders: pages of 2 were followed.
    expect(gcp.requests.filter((r) => r.startsWith('GET /v3/folders?parent=organizations%2F123456789'))).toHaveLength(2);
    expect(gcp.requests.filter((r) => r.startsWith('GET /v3/projects?parent=organizations%2F123456789'))).toHaveLength(2);
  });

  it('takes named projects as they are, below the source root, and reports one it cannot read as failed', async () => {
    const { scopes, failed } = await discover(config({ parents: undefined, projects: ['web-prod', 'no-such-project'] }));
    expect(scopes.map((s) => [s.id, s.params?.path])).toEqual([['web-prod', []]]);
    expect(failed.map((f) => f.id)).toEqual(['no-such-project']);
    expect(failed[0]!.error).toMatchObject({ code: 'SOURCE_PERMISSION_DENIED', permission: 'resourcemanager.projects.get' });
  });

  it('reports a folder it cannot list as failed and keeps what it found elsewhere', async () => {
    gcp.deny('resourcemanager.projects.list', 'folders/20');
    const { scopes, failed } = await discover(config());
    expect(scopes.map((s) => s.id)).toEqual(['data-prod', 'ops-tools']);
    expect(failed).toEqual([
      expect.objectContaining({ id: 'folders/20', error: expect.objectContaining({ code: 'SOURCE_PERMISSION_DENIED', permission: 'resourcemanager.projects.list' }) }),
    ]);
  });

  it('places a project found under overlapping parents by the parent listed first', async () => {
    const byFolder = await discover(config({ parents: ['folders/20', 'organizations/123456789'] }));
    expect(byFolder.scopes.find((s) => s.id === 'web-prod')?.params?.path).toEqual(['Platform']);
    const byOrg = await discover(config({ parents: ['organizations/123456789', 'folders/20'] }));
    expect(byOrg.scopes.find((s) => s.id === 'web-prod')?.params?.path).toEqual(['example.test', 'Engineering', 'Platform']);
  });

  it('leaves out excluded projects and reports nothing for them', async () => {
    const { scopes } = await discover(config({ excludeProjects: ['*-prod'] }));
    expect(scopes.map((s) => s.id)).toEqual(['ops-tools', 'sandbox-alice', 'sandbox-bob', 'sandbox-carol']);
  });
});

describe('read of one project', () => {
  it('yields the project, then networks, subnetworks, instances and buckets, every page, keyed by GCP ids', async () => {
    const c = config();
    const scope = (await discover(c)).scopes.find((s) => s.id === 'web-prod')!;
    const rs = records(await readAll(c, scope));
    expect(rs.map((r) => r.kind)).toEqual(['project', 'network', 'network', ...Array(4).fill('subnetwork'), ...Array(5).fill('instance'), 'bucket', 'bucket', 'bucket']);
    expect(rs[0]).toMatchObject({ kind: 'project', externalId: '1001', name: 'web-prod', organizationPath: ['example.test', 'Engineering', 'Platform'] });
    const fixture = gcp.fixture;
    expect(ofKind(rs, 'instance').map((r) => r.externalId).sort()).toEqual(fixture.instances['web-prod']!.map((i) => i.id).sort());
    expect(ofKind(rs, 'bucket').map((r) => r.externalId)).toEqual(['1001/web-prod-bucket-0', '1001/web-prod-bucket-1', '1001/web-prod-bucket-2']);
    for (const r of rs.slice(1)) expect(r.organizationPath).toEqual(['example.test', 'Engineering', 'Platform', 'web-prod']);
    // aggregatedList of 5 instances in pages of 2: 3 requests.
    expect(gcp.requests.filter((r) => r.startsWith('GET /compute/v1/projects/web-prod/aggregated/instances'))).toHaveLength(3);
  });

  it('links instance → subnetwork → network by id', async () => {
    const c = config();
    const scope = (await discover(c)).scopes.find((s) => s.id === 'web-prod')!;
    const rs = records(await readAll(c, scope));
    const subnets = new Map(ofKind(rs, 'subnetwork').map((s) => [s.externalId, s]));
    const networks = new Set(ofKind(rs, 'network').map((n) => n.externalId));
    for (const instance of ofKind(rs, 'instance')) {
      expect(instance.relations).toHaveLength(1);
      const subnet = subnets.get(instance.relations![0]!.externalId);
      expect(subnet?.name).toBe(`default-${String(instance.attributes.zone).startsWith('us-east1') ? 'us-east1' : 'europe-west1'}`);
      expect(networks.has(subnet!.relations![0]!.externalId)).toBe(true);
      expect(subnet!.relations![0]).toMatchObject({ type: 'member_of', kind: 'network' });
    }
  });

  it('maps labels to a labels attribute and key=value tags', async () => {
    const c = config();
    const scope = (await discover(c)).scopes.find((s) => s.id === 'web-prod')!;
    const vm0 = ofKind(records(await readAll(c, scope)), 'instance').find((r) => r.name === 'web-prod-vm-000')!;
    expect(vm0.attributes).toMatchObject({
      instance_id: '10013000000',
      labels: { env: 'prod', pinned: '', role: 'web' },
      zone: 'europe-west1-b',
      machine_type: 'e2-small',
      status: 'RUNNING',
      internal_ip: '10.0.0.2',
      external_ip: '34.1.0.1',
      subnetwork: 'default-europe-west1',
      network_tags: ['http-server'],
    });
    expect(vm0.tags).toEqual(['gcp', 'compute', 'env=prod', 'pinned', 'role=web']);
  });

  it('reports only the Compute kinds incomplete, with the gcloud fix, when Compute is disabled there, and still reads the buckets', async () => {
    const c = config();
    const scope = (await discover(c)).scopes.find((s) => s.id === 'data-prod')!;
    gcp.disableApi('data-prod', 'compute');
    const items = await readAll(c, scope);
    expect(records(items).map((r) => r.kind)).toEqual(['project', 'bucket', 'bucket', 'bucket']);
    const incomplete = items.filter((i) => i.type === 'incomplete');
    expect(incomplete.map((i) => i.type === 'incomplete' && i.kind)).toEqual(['network', 'subnetwork', 'instance']);
    for (const i of incomplete) {
      expect(i.type === 'incomplete' && i.reason).toContain('enable it with: gcloud services enable compute.googleapis.com --project data-prod');
    }
    // Compute was asked once: the other Compute kinds are known to be off.
    expect(gcp.requests.filter((r) => r.startsWith('GET /compute/v1/projects/data-prod/'))).toHaveLength(1);
    // Other projects are unaffected.
    const web = (await discover(c)).scopes.find((s) => s.id === 'web-prod')!;
    expect(records(await readAll(c, web)).length).toBe(15);
  });

  it('reports instances incomplete when a zone is unreachable, and reads the rest', async () => {
    const c = config();
    const scope = (await discover(c)).scopes.find((s) => s.id === 'web-prod')!;
    gcp.unreachable('web-prod', 'us-east1-b');
    const items = await readAll(c, scope);
    expect(ofKind(records(items), 'instance').map((r) => r.attributes.zone)).not.toContain('us-east1-b');
    expect(ofKind(records(items), 'instance')).toHaveLength(4);
    // Named on every page; reported once.
    expect(items.filter((i) => i.type === 'incomplete')).toEqual([{ type: 'incomplete', kind: 'instance', reason: 'zones unreachable: zones/us-east1-b' }]);
  });

  it('reads buckets alone without touching Compute', async () => {
    const c = config({ resources: ['buckets'] });
    const scope = (await discover(c)).scopes.find((s) => s.id === 'web-prod')!;
    gcp.disableApi('web-prod', 'compute');
    expect(records(await readAll(c, scope)).map((r) => r.kind)).toEqual(['project', 'bucket', 'bucket', 'bucket']);
  });

  it('names the missing permission, and fails only the kind it covers', async () => {
    const c = config();
    const scope = (await discover(c)).scopes.find((s) => s.id === 'web-prod')!;
    gcp.deny('compute.instances.list', 'projects/web-prod');
    const items = await readAll(c, scope);
    expect(items.filter((i) => i.type === 'incomplete')).toEqual([
      { type: 'incomplete', kind: 'instance', reason: expect.stringContaining('the credentials lack compute.instances.list on project web-prod') },
    ]);
    expect(records(items).filter((r) => r.kind !== 'instance')).toHaveLength(10);
  });

  it('fails the whole project when the credentials are refused', async () => {
    const c = config();
    const scope = (await discover(c)).scopes.find((s) => s.id === 'web-prod')!;
    gcp.fail(/global\/networks/, 1, { status: 401, body: { error: { code: 401, message: 'Request had invalid authentication credentials.', status: 'UNAUTHENTICATED' } } });
    await expect(readAll(c, scope)).rejects.toMatchObject({ code: 'SOURCE_AUTH' });
  });

  it('slows down and retries on 403 rateLimitExceeded and 429, then reads everything', async () => {
    const c = config();
    const scope = (await discover(c)).scopes.find((s) => s.id === 'ops-tools')!;
    gcp.fail(/aggregated\/instances/, 2, GcpServer.rateLimited('403'));
    gcp.fail(/storage\/v1\/b\?/, 1, GcpServer.rateLimited('429', 1));
    const before = limiterStats();
    const rs = records(await readAll(c, scope));
    expect(ofKind(rs, 'instance')).toHaveLength(5);
    expect(ofKind(rs, 'bucket')).toHaveLength(3);
    const after = limiterStats();
    expect(after.throttled - before.throttled).toBe(3);
    expect(after.keys['ops-tools/compute']?.throttled).toBeGreaterThanOrEqual(2);
  });
});

describe('impersonation', () => {
  it('reads as the impersonated account, whose token the IAM Credentials endpoint minted', async () => {
    const c = config({ impersonate: READER, projects: ['ops-tools'], parents: undefined });
    const { scopes } = await discover(c);
    expect(records(await readAll(c, scopes[0]!)).length).toBe(15);
    expect(tokens.impersonations.at(-1)).toEqual({ target: READER, by: sa.email, ok: true });
  });

  it('names the missing Token Creator permission when impersonation is refused', async () => {
    const c = config({ impersonate: 'other@ops-tools.iam.gserviceaccount.com', projects: ['ops-tools'], parents: undefined });
    const { scopes, failed } = await discover(c);
    expect(scopes).toEqual([]);
    expect(failed[0]?.error).toMatchObject({ code: 'SOURCE_PERMISSION_DENIED', permission: 'iam.serviceAccounts.getAccessToken' });
  });
});

describe('production token path', () => {
  // No token override: google-auth-library posts to https://oauth2.googleapis.com/token itself; msw
  // intercepts that one host and answers from the loopback authority. The APIs stay on loopback.
  const tokenHost = setupServer(
    http.post('https://oauth2.googleapis.com/token', async ({ request }) => {
      const answer = tokens.exchange(await request.text());
      return HttpResponse.json(answer.body as Record<string, unknown>, { status: answer.status });
    }),
  );
  beforeAll(() => tokenHost.listen({ onUnhandledRequest: 'bypass' }));
  afterAll(() => tokenHost.close());

  it('discovers and reads with the key alone', async () => {
    const { token: _token, iamcredentials: _iam, ...apis } = gcp.endpoints;
    const c = gcpConfigSchema.parse({ credentials: sa.json, projects: ['ops-tools'], endpoints: apis, pageSize: 2 });
    const granted = tokens.grants.length;
    const { scopes } = await discover(c);
    expect(records(await readAll(c, scopes[0]!)).length).toBe(15);
    expect(tokens.grants.slice(granted)).toEqual([expect.objectContaining({ ok: true, iss: sa.email, signatureValid: true })]);
  });
});
