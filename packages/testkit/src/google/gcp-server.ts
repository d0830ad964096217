import { errorInfo, googleError, json, serveGoogle, type GoogleRequest, type GoogleResponse } from './http.js';
import type { GoogleTokenServer } from './token-server.js';

/**
 * A loopback Google Cloud: Compute Engine v1, Resource Manager v3 and the Cloud Storage JSON API at
 * their real paths, for the real `@googleapis/compute`, `@googleapis/cloudresourcemanager` and
 * `@google-cloud/storage` clients pointed at it (`rootUrl` / `apiEndpoint`). Every request needs a
 * bearer token from the given token server with a fitting scope. Lists page with opaque tokens and
 * per-API caps; errors are Google's bodies (permission denied naming the permission, a disabled API
 * with `accessNotConfigured` / `SERVICE_DISABLED`, throttling).
 */

export interface GcpOrganization {
  id: string;
  displayName: string;
}
export interface GcpFolder {
  id: string;
  displayName: string;
  parent: string;
  state?: 'ACTIVE' | 'DELETE_REQUESTED';
}
export interface GcpProject {
  projectId: string;
  number: string;
  displayName?: string;
  parent: string;
  state?: 'ACTIVE' | 'DELETE_REQUESTED';
  labels?: Record<string, string>;
}
export interface GcpNetwork {
  id: string;
  name: string;
  autoCreateSubnetworks?: boolean;
  routingMode?: 'REGIONAL' | 'GLOBAL';
  mtu?: number;
}
export interface GcpSubnetwork {
  id: string;
  name: string;
  region: string;
  network: string;
  ipCidrRange: string;
}
export interface GcpInstance {
  id: string;
  name: string;
  zone: string;
  machineType?: string;
  status?: string;
  /** Subnetwork name in the instance's region; its network follows. */
  subnetwork?: string;
  network?: string;
  networkIP?: string;
  natIP?: string;
  labels?: Record<string, string>;
  tags?: string[];
}
export interface GcpBucket {
  name: string;
  location?: string;
  storageClass?: string;
  labels?: Record<string, string>;
}

export interface GcpFixture {
  organizations?: GcpOrganization[];
  folders?: GcpFolder[];
  projects?: GcpProject[];
  networks?: Record<string, GcpNetwork[]>;
  subnetworks?: Record<string, GcpSubnetwork[]>;
  instances?: Record<string, GcpInstance[]>;
  buckets?: Record<string, GcpBucket[]>;
}

export type GcpApiName = 'compute' | 'cloudresourcemanager' | 'storage';

const SERVICE: Record<GcpApiName, string> = {
  compute: 'compute.googleapis.com',
  cloudresourcemanager: 'cloudresourcemanager.googleapis.com',
  storage: 'storage.googleapis.com',
};
const SCOPES: Record<GcpApiName, string[]> = {
  compute: [
    'https://www.googleapis.com/auth/cloud-platform',
    'https://www.googleapis.com/auth/cloud-platform.read-only',
    'https://www.googleapis.com/auth/compute',
    'https://www.googleapis.com/auth/compute.readonly',
  ],
  cloudresourcemanager: ['https://www.googleapis.com/auth/cloud-platform', 'https://www.googleapis.com/auth/cloud-platform.read-only'],
  storage: [
    'https://www.googleapis.com/auth/cloud-platform',
    'https://www.googleapis.com/auth/cloud-platform.read-only',
    'https://www.googleapis.com/auth/devstorage.read_only',
    'https://www.googleapis.com/auth/devstorage.full_control',
  ],
};
/** Page caps of the real APIs (maxResults / pageSize above them is lowered, not refused). */
const PAGE_CAP: Record<GcpApiName, number> = { compute: 500, cloudresourcemanager: 1000, storage: 1000 };
/** Zones the aggregated lists always report, as the real API reports every zone of the world. */
const EMPTY_ZONES = ['zones/asia-east1-a', 'zones/us-central1-f'];

interface Fault {
  match: RegExp;
  remaining: number;
  response: GoogleResponse;
}

export class GcpServer {
  url = '';
  /** `METHOD /path?query` of every API request, in order (token requests excluded). */
  readonly requests: string[] = [];
  readonly fixture: Required<GcpFixture>;
  private readonly disabled = new Map<string, Set<GcpApiName>>();
  /** permission → resource names (`projects/<id>`, `folders/<n>`, `organizations/<n>`, `*`) where it is denied. */
  private readonly denied = new Map<string, Set<string>>();
  private readonly faults: Fault[] = [];
  /** project id → zones whose instances the aggregated list cannot reach (returnPartialSuccess). */
  private readonly unreachableZones = new Map<string, Set<string>>();
  private close_: () => Promise<void> = async () => undefined;

  constructor(
    private readonly tokens: GoogleTokenServer,
    fixture: GcpFixture = {},
  ) {
    this.fixture = {
      organizations: fixture.organizations ?? [],
      folders: fixture.folders ?? [],
      projects: fixture.projects ?? [],
      networks: fixture.networks ?? {},
      subnetworks: fixture.subnetworks ?? {},
      instances: fixture.instances ?? {},
      buckets: fixture.buckets ?? {},
    };
  }

  async start(): Promise<this> {
    const running = await serveGoogle((request) => this.handle(request));
    this.url = running.url;
    this.close_ = running.close;
    return this;
  }

  close(): Promise<void> {
    return this.close_();
  }

  /** The connector's `endpoints` block for this server and its token server. */
  get endpoints(): Record<'token' | 'iamcredentials' | GcpApiName, string> {
    return { token: this.tokens.tokenUrl, iamcredentials: this.tokens.iamCredentialsUrl, compute: `${this.url}/`, cloudresourcemanager: `${this.url}/`, storage: this.url };
  }

  disableApi(projectId: string, api: GcpApiName): void {
    let set = this.disabled.get(projectId);
    if (!set) this.disabled.set(projectId, (set = new Set()));
    set.add(api);
  }

  enableApi(projectId: string, api: GcpApiName): void {
    this.disabled.get(projectId)?.delete(api);
  }

  /** Removes `permission` on a resource (`projects/web-prod`, `folders/1`) or everywhere (`*`). */
  deny(permission: string, resource = '*'): void {
    let set = this.denied.get(permission);
    if (!set) this.denied.set(permission, (set = new Set()));
    set.add(resource);
  }

  allow(permission: string, resource = '*'): void {
    this.denied.get(permission)?.delete(resource);
  }

  /**
   * A zone the aggregated instance list cannot reach: with `returnPartialSuccess=true` its instances
   * are left out and the zone is named in `unreachables`; without it the whole call fails (503).
   */
  unreachable(projectId: string, zone: string): void {
    let set = this.unreachableZones.get(projectId);
    if (!set) this.unreachableZones.set(projectId, (set = new Set()));
    set.add(zone);
  }

  /** The next `times` requests whose `METHOD /path?query` matches get `response` instead. */
  fail(match: RegExp, times: number, response: GoogleResponse): void {
    this.faults.push({ match, remaining: times, response });
  }

  /** Google's throttling answers: `403 rateLimitExceeded` (Compute, Storage) or `429`. */
  static rateLimited(kind: '403' | '429' = '403', retryAfterSeconds?: number): GoogleResponse {
    const headers = retryAfterSeconds === undefined ? undefined : { 'retry-after': String(retryAfterSeconds) };
    return kind === '429'
      ? googleError(429, "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user'", { reason: 'rateLimitExceeded', ...(headers ? { headers } : {}) })
      : googleError(403, 'Rate Limit Exceeded', { reason: 'rateLimitExceeded', domain: 'usageLimits', ...(headers ? { headers } : {}) });
  }

  project(projectId: string): GcpProject | undefined {
    return this.fixture.projects.find((p) => p.projectId === projectId);
  }

  moveProject(projectId: string, parent: string): void {
    const project = this.project(projectId);
    if (!project) throw new Error(`no project ${projectId}`);
    project.parent = parent;
  }

  private handle(request: GoogleRequest): GoogleResponse {
    const { url } = request;
    const line = `${request.method} ${url.pathname}${url.search}`;
    this.requests.push(line);
    const api: GcpApiName | undefined = url.pathname.startsWith('/compute/v1/')
      ? 'compute'
      : url.pathname.startsWith('/v3/')
        ? 'cloudresourcemanager'
        : url.pathname.startsWith('/storage/v1/')
          ? 'storage'
          : undefined;
    if (api === undefined) return googleError(404, `The requested URL ${url.pathname} was not found on this server.`, { reason: 'notFound' });
    const auth = this.tokens.authorize(request.headers.authorization, SCOPES[api], SERVICE[api]);
    if (!auth.ok) return auth.response;
    const fault = this.faults.find((f) => f.remaining > 0 && f.match.test(line));
    if (fault) {
      fault.remaining--;
      return fault.response;
    }
    if (request.method !== 'GET') return googleError(405, `Method ${request.method} not allowed (this fake is read-only)`);
    if (api === 'compute') return this.compute(url, auth.token.principal);
    if (api === 'cloudresourcemanager') return this.resourceManager(url);
    return this.storage(url, auth.token.principal);
  }

  private isDenied(permission: string, resource: string): boolean {
    const set = this.denied.get(permission);
    return set !== undefined && (set.has('*') || set.has(resource));
  }

  private disabledAnswer(project: GcpProject, api: GcpApiName): GoogleResponse {
    const title = api === 'compute' ? 'Compute Engine API' : api === 'storage' ? 'Cloud Storage JSON API' : 'Cloud Resource Manager API';
    return googleError(
      403,
      `${title} has not been used in project ${project.number} before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/${SERVICE[api]}/overview?project=${project.number} then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.`,
      {
        reason: 'accessNotConfigured',
        domain: 'usageLimits',
        details: [
          errorInfo('SERVICE_DISABLED', 'googleapis.com', {
            service: SERVICE[api],
            consumer: `projects/${project.number}`,
            activationUrl: `https://console.developers.google.com/apis/api/${SERVICE[api]}/overview?project=${project.number}`,
          }),
        ],
      },
    );
  }

  // --- Compute Engine v1 -------------------------------------------------------------------------

  private compute(url: URL, principal: string): GoogleResponse {
    const m = /^\/compute\/v1\/projects\/([^/]+)\/(aggregated\/instances|global\/networks|aggregated\/subnetworks)$/.exec(url.pathname);
    if (!m) return googleError(404, `The resource '${url.pathname}' was not found`, { reason: 'notFound' });
    const projectId = decodeURIComponent(m[1]!);
    const project = this.project(projectId);
    if (!project || project.state === 'DELETE_REQUESTED') {
      return googleError(404, `The resource 'projects/${projectId}' was not found`, { reason: 'notFound' });
    }
    if (this.disabled.get(projectId)?.has('compute')) return this.disabledAnswer(project, 'compute');
    const what = m[2]!;
    const permission = what === 'global/networks' ? 'compute.networks.list' : what === 'aggregated/subnetworks' ? 'compute.subnetworks.list' : 'compute.instances.list';
    if (this.isDenied(permission, `projects/${projectId}`)) {
      void principal;
      return googleError(403, `Required '${permission}' permission for 'projects/${projectId}'`, { reason: 'forbidden' });
    }
    const base = `https://www.googleapis.com/compute/v1/projects/${projectId}`;
    const q = url.searchParams;
    if (what === 'global/networks') {
      const all = [...(this.fixture.networks[projectId] ?? [])].sort((a, b) => a.name.localeCompare(b.name));
      const page = this.page('compute', `networks:${projectId}`, all, q.get('maxResults'), q.get('pageToken'));
      if ('status' in page) return page;
      return json(200, {
        kind: 'compute#networkList',
        id: `projects/${projectId}/global/networks`,
        items: page.items.map((n) => ({
          kind: 'compute#network',
          id: n.id,
          creationTimestamp: '2024-01-02T03:04:05.000-08:00',
          name: n.name,
          selfLink: `${base}/global/networks/${n.name}`,
          selfLinkWithId: `${base}/global/networks/${n.id}`,
          autoCreateSubnetworks: n.autoCreateSubnetworks ?? false,
          subnetworks: (this.fixture.subnetworks[projectId] ?? []).filter((s) => s.network === n.name).map((s) => `${base}/regions/${s.region}/subnetworks/${s.name}`),
          routingConfig: { routingMode: n.routingMode ?? 'REGIONAL' },
          mtu: n.mtu ?? 1460,
          networkFirewallPolicyEnforcementOrder: 'AFTER_CLASSIC_FIREWALL',
        })),
        selfLink: `${base}/global/networks`,
        ...(page.next ? { nextPageToken: page.next } : {}),
      });
    }
    if (what === 'aggregated/subnetworks') {
      const all = [...(this.fixture.subnetworks[projectId] ?? [])].sort((a, b) => a.region.localeCompare(b.region) || a.name.localeCompare(b.name));
      const page = this.page('compute', `subnetworks:${projectId}`, all, q.get('maxResults'), q.get('pageToken'));
      if ('status' in page) return page;
      const items: Record<string, unknown> = {};
      for (const s of page.items) {
        const key = `regions/${s.region}`;
        const bucket = (items[key] ??= { subnetworks: [] }) as { subnetworks: unknown[] };
        bucket.subnetworks.push({
          kind: 'compute#subnetwork',
          id: s.id,
          creationTimestamp: '2024-01-02T03:04:05.000-08:00',
          name: s.name,
          network: `${base}/global/networks/${s.network}`,
          ipCidrRange: s.ipCidrRange,
          gatewayAddress: s.ipCidrRange.replace(/\.0\/\d+$/, '.1'),
          region: `${base}/regions/${s.region}`,
          selfLink: `${base}/regions/${s.region}/subnetworks/${s.name}`,
          privateIpGoogleAccess: false,
          fingerprint: 'abc=',
          purpose: 'PRIVATE',
          stackType: 'IPV4_ONLY',
        });
      }
      for (const key of ['regions/asia-east1', 'regions/us-central1']) items[key] ??= noResults(key);
      return json(200, {
        kind: 'compute#subnetworkAggregatedList',
        id: `projects/${projectId}/aggregated/subnetworks`,
        items,
        selfLink: `${base}/aggregated/subnetworks`,
        ...(page.next ? { nextPageToken: page.next } : {}),
      });
    }
    const unreachable = [...(this.unreachableZones.get(projectId) ?? [])].sort();
    if (unreachable.length > 0 && q.get('returnPartialSuccess') !== 'true') {
      return googleError(503, `The zone 'projects/${projectId}/zones/${unreachable[0]}' is currently unavailable.`, { reason: 'backendError' });
    }
    const all = [...(this.fixture.instances[projectId] ?? [])]
      .filter((i) => !unreachable.includes(i.zone))
      .sort((a, b) => a.zone.localeCompare(b.zone) || a.name.localeCompare(b.name));
    const page = this.page('compute', `instances:${projectId}`, all, q.get('maxResults'), q.get('pageToken'));
    if ('status' in page) return page;
    const items: Record<string, unknown> = {};
    for (const i of page.items) {
      const key = `zones/${i.zone}`;
      const bucket = (items[key] ??= { instances: [] }) as { instances: unknown[] };
      const region = i.zone.replace(/-[a-z]$/, '');
      const subnetwork = i.subnetwork ?? (this.fixture.subnetworks[projectId] ?? []).find((s) => s.region === region)?.name;
      const network = i.network ?? (this.fixture.subnetworks[projectId] ?? []).find((s) => s.name === subnetwork && s.region === region)?.network ?? 'default';
      bucket.instances.push({
        kind: 'compute#instance',
        id: i.id,
        creationTimestamp: '2024-02-03T04:05:06.000-08:00',
        name: i.name,
        tags: { items: i.tags ?? [], fingerprint: '42WmSpB8rSM=' },
        machineType: `${base}/zones/${i.zone}/machineTypes/${i.machineType ?? 'e2-small'}`,
        status: i.status ?? 'RUNNING',
        zone: `${base}/zones/${i.zone}`,
        networkInterfaces: [
          {
            kind: 'compute#networkInterface',
            network: `${base}/global/networks/${network}`,
            ...(subnetwork ? { subnetwork: `${base}/regions/${region}/subnetworks/${subnetwork}` } : {}),
            networkIP: i.networkIP ?? '10.0.0.2',
            name: 'nic0',
            accessConfigs: i.natIP ? [{ kind: 'compute#accessConfig', type: 'ONE_TO_ONE_NAT', name: 'External NAT', natIP: i.natIP, networkTier: 'PREMIUM' }] : [],
            fingerprint: 'xyz=',
            stackType: 'IPV4_ONLY',
          },
        ],
        disks: [],
        metadata: { kind: 'compute#metadata', fingerprint: 'm=' },
        serviceAccounts: [{ email: `${project.number}-compute@developer.gserviceaccount.com`, scopes: ['https://www.googleapis.com/auth/cloud-platform'] }],
        selfLink: `${base}/zones/${i.zone}/instances/${i.name}`,
        scheduling: { onHostMaintenance: 'MIGRATE', automaticRestart: true, preemptible: false },
        cpuPlatform: 'Intel Broadwell',
        labels: i.labels ?? {},
        labelFingerprint: 'l=',
        startRestricted: false,
        deletionProtection: false,
        fingerprint: 'f=',
        lastStartTimestamp: '2024-02-03T04:06:00.000-08:00',
      });
    }
    for (const key of EMPTY_ZONES) items[key] ??= noResults(key);
    return json(200, {
      kind: 'compute#instanceAggregatedList',
      id: `projects/${projectId}/aggregated/instances`,
      items,
      selfLink: `${base}/aggregated/instances`,
      ...(page.next ? { nextPageToken: page.next } : {}),
      ...(unreachable.length > 0 ? { unreachables: unreachable.map((z) => `zones/${z}`) } : {}),
    });
  }

  // --- Resource Manager v3 -----------------------------------------------------------------------

  private resourceManager(url: URL): GoogleResponse {
    const path = url.pathname;
    const q = url.searchParams;
    const denied = googleError(403, 'The caller does not have permission', { legacy: false });
    if (path === '/v3/projects' || path === '/v3/folders') {
      const parent = q.get('parent');
      if (!parent) return googleError(400, 'Request contains an invalid argument.', { legacy: false });
      const listing = path === '/v3/projects' ? 'projects' : 'folders';
      if (this.isDenied(`resourcemanager.${listing}.list`, parent)) return denied;
      const showDeleted = q.get('showDeleted') === 'true';
      if (listing === 'projects') {
        const all = this.fixture.projects
          .filter((p) => p.parent === parent && (showDeleted || (p.state ?? 'ACTIVE') === 'ACTIVE'))
          .sort((a, b) => a.number.localeCompare(b.number));
        const page = this.page('cloudresourcemanager', `projects:${parent}`, all, q.get('pageSize'), q.get('pageToken'));
        if ('status' in page) return page;
        return json(200, { projects: page.items.map((p) => projectResource(p)), ...(page.next ? { nextPageToken: page.next } : {}) });
      }
      const all = this.fixture.folders
        .filter((f) => f.parent === parent && (showDeleted || (f.state ?? 'ACTIVE') === 'ACTIVE'))
        .sort((a, b) => a.id.localeCompare(b.id));
      const page = this.page('cloudresourcemanager', `folders:${parent}`, all, q.get('pageSize'), q.get('pageToken'));
      if ('status' in page) return page;
      return json(200, { folders: page.items.map((f) => folderResource(f)), ...(page.next ? { nextPageToken: page.next } : {}) });
    }
    const project = /^\/v3\/projects\/([^/]+)$/.exec(path);
    if (project) {
      const key = decodeURIComponent(project[1]!);
      const p = this.fixture.projects.find((x) => x.projectId === key || x.number === key);
      // Google answers 403 for a project that does not exist, so as not to reveal which ids are taken.
      if (!p || this.isDenied('resourcemanager.projects.get', `projects/${p.projectId}`)) return denied;
      return json(200, projectResource(p));
    }
    const folder = /^\/v3\/folders\/(\d+)$/.exec(path);
    if (folder) {
      const f = this.fixture.folders.find((x) => x.id === folder[1]);
      if (!f || this.isDenied('resourcemanager.folders.get', `folders/${f.id}`)) return denied;
      return json(200, folderResource(f));
    }
    const organization = /^\/v3\/organizations\/(\d+)$/.exec(path);
    if (organization) {
      const o = this.fixture.organizations.find((x) => x.id === organization[1]);
      if (!o || this.isDenied('resourcemanager.organizations.get', `organizations/${o.id}`)) return denied;
      return json(200, {
        name: `organizations/${o.id}`,
        displayName: o.displayName,
        directoryCustomerId: 'C0abc123',
        state: 'ACTIVE',
        createTime: '2020-01-01T00:00:00.000Z',
        updateTime: '2020-01-01T00:00:00.000Z',
        etag: 'W/"o"',
      });
    }
    return googleError(404, `Method not found: ${path}`, { legacy: false });
  }

  // --- Cloud Storage JSON API --------------------------------------------------------------------

  private storage(url: URL, principal: string): GoogleResponse {
    if (url.pathname !== '/storage/v1/b') return googleError(404, 'Not Found', { reason: 'notFound' });
    const q = url.searchParams;
    const projectId = q.get('project');
    if (!projectId) return googleError(400, 'Required parameter: project', { reason: 'required' });
    const project = this.project(projectId);
    if (!project) return googleError(404, 'The requested project was not found.', { reason: 'notFound' });
    if (this.disabled.get(projectId)?.has('storage')) return this.disabledAnswer(project, 'storage');
    if (this.isDenied('storage.buckets.list', `projects/${projectId}`)) {
      return googleError(
        403,
        `${principal} does not have storage.buckets.list access to the Google Cloud project. Permission 'storage.buckets.list' denied on resource (or it may not exist).`,
        { reason: 'forbidden' },
      );
    }
    const all = [...(this.fixture.buckets[projectId] ?? [])].sort((a, b) => a.name.localeCompare(b.name));
    const page = this.page('storage', `buckets:${projectId}`, all, q.get('maxResults'), q.get('pageToken'));
    if ('status' in page) return page;
    return json(200, {
      kind: 'storage#buckets',
      items: page.items.map((b) => ({
        kind: 'storage#bucket',
        selfLink: `https://www.googleapis.com/storage/v1/b/${b.name}`,
        id: b.name,
        name: b.name,
        projectNumber: project.number,
        generation: '1712345678901234',
        metageneration: '1',
        location: b.location ?? 'EU',
        storageClass: b.storageClass ?? 'STANDARD',
        etag: 'CAE=',
        timeCreated: '2024-03-04T05:06:07.890Z',
        updated: '2024-03-04T05:06:07.890Z',
        ...(b.labels ? { labels: b.labels } : {}),
        iamConfiguration: { bucketPolicyOnly: { enabled: true }, uniformBucketLevelAccess: { enabled: true }, publicAccessPrevention: 'inherited' },
        locationType: 'multi-region',
        rpo: 'DEFAULT',
      })),
      ...(page.next ? { nextPageToken: page.next } : {}),
    });
  }

  /** One page of `all`: opaque tokens bound to the listing, so a token from elsewhere is refused as Google does. */
  private page<T>(api: GcpApiName, listing: string, all: T[], size: string | null, token: string | null): { items: T[]; next: string | undefined } | GoogleResponse {
    const requested = size === null ? PAGE_CAP[api] : Number(size);
    if (!Number.isInteger(requested) || requested < 0) return googleError(400, `Invalid value for field 'maxResults': '${size}'. Must be a non-negative integer.`, { reason: 'invalid' });
    const limit = Math.min(requested === 0 ? PAGE_CAP[api] : requested, PAGE_CAP[api]);
    let start = 0;
    if (token) {
      const decoded = Buffer.from(token, 'base64url').toString('utf8');
      const [owner, offset] = [decoded.slice(0, decoded.lastIndexOf('#')), Number(decoded.slice(decoded.lastIndexOf('#') + 1))];
      if (owner !== listing || !Number.isInteger(offset)) return googleError(400, 'Invalid page token', { reason: 'invalid' });
      start = offset;
    }
    const end = Math.min(all.length, start + limit);
    return { items: all.slice(start, end), next: end < all.length ? Buffer.from(`${listing}#${end}`).toString('base64url') : undefined };
  }
}

function noResults(scope: string): Record<string, unknown> {
  return {
    warning: {
      code: 'NO_RESULTS_ON_PAGE',
      message: 'There are no results for scope \'' + scope + '\' on this page.',
      data: [{ key: 'scope', value: scope }],
    },
  };
}

function projectResource(p: GcpProject): Record<string, unknown> {
  return {
    name: `projects/${p.number}`,
    parent: p.parent,
    projectId: p.projectId,
    state: p.state ?? 'ACTIVE',
    displayName: p.displayName ?? p.projectId,
    createTime: '2021-05-06T07:08:09.123Z',
    updateTime: '2021-05-06T07:08:09.123Z',
    etag: 'W/"p"',
    labels: p.labels ?? {},
  };
}

function folderResource(f: GcpFolder): Record<string, unknown> {
  return {
    name: `folders/${f.id}`,
    parent: f.parent,
    displayName: f.displayName,
    state: f.state ?? 'ACTIVE',
    createTime: '2021-01-02T03:04:05.678Z',
    updateTime: '2021-01-02T03:04:05.678Z',
    etag: 'W/"f"',
  };
}

export async function startGcpServer(tokens: GoogleTokenServer, fixture: GcpFixture = {}): Promise<GcpServer> {
  return new GcpServer(tokens, fixture).start();
}
