import { ApiDisabledError, PermissionDeniedError, pages, type ReadContext, type ReadItem, type SourceRecord } from '@elder-sync/connector-sdk';
import type { compute_v1 } from '@googleapis/compute/build/v1.js';
import { callGoogle, gcpClients, SERVICES } from './clients.js';
import type { GcpConfig } from './config.js';
import { projectParamsOf } from './discovery.js';
import { mapBucket, mapInstance, mapNetwork, mapProject, mapSubnetwork, resourcePath, type BucketMetadata, type ResourceIndex } from './mapping.js';

/**
 * One project: the project as an organization, then networks, subnetworks, instances and buckets,
 * each streamed page by page in the API's order (stable for unchanged data). Networks and
 * subnetworks are read first and kept as a small index (resource path → id) so that instances and
 * subnetworks can name what they belong to by id; nothing else is held.
 *
 * A disabled API or a missing permission fails only the kinds it covers: they are reported
 * `incomplete` with Google's reason and the fix (`gcloud services enable compute.googleapis.com
 * --project p`), so the engine deletes none of them and fails the scope (exit 3) while the project's
 * other kinds are written. Any other failure (credentials, retries exhausted) ends the read: the
 * whole project fails, other projects carry on. There is no cursor: GCP has no change feed for these
 * resources, and a full read is cheap.
 */
export async function* readProject(ctx: ReadContext<GcpConfig>): AsyncGenerator<ReadItem> {
  const { config, signal, log } = ctx;
  const project = projectParamsOf(ctx.scope);
  const { projectId } = project;
  const clients = await gcpClients(config);
  const resources = new Set(config.resources);
  const maxResults = config.pageSize;
  const index: ResourceIndex = { networks: new Map(), subnetworks: new Map() };
  const record = (r: SourceRecord | undefined): ReadItem[] => (r ? [{ type: 'record', record: r }] : []);
  const computeKey = `${projectId}/compute`;
  const computeCall = <T>(method: string, permission: string, call: () => Promise<{ data: T }>) =>
    callGoogle(computeKey, { what: `${method} in project ${projectId}`, project: projectId, service: SERVICES.compute, permission }, signal, () =>
      call().then((r) => r.data),
    );

  yield* record(mapProject(project));

  /** The first disabled-API answer of an API: its other kinds are not asked again. */
  const disabled = new Map<string, ApiDisabledError>();
  /** Runs one kind's listing; a disabled API or a missing permission makes just that kind incomplete. */
  async function* kindOf(kind: string, api: string, listing: () => AsyncGenerator<ReadItem>): AsyncGenerator<ReadItem> {
    const off = disabled.get(api);
    if (off) {
      yield { type: 'incomplete', kind, reason: reasonOf(off, projectId) };
      return;
    }
    try {
      yield* listing();
    } catch (error) {
      if (!(error instanceof ApiDisabledError || error instanceof PermissionDeniedError)) throw error;
      if (error instanceof ApiDisabledError) disabled.set(api, error);
      log.warn(`${kind} not read: ${error.message}`, { project: projectId, kind });
      yield { type: 'incomplete', kind, reason: reasonOf(error, projectId) };
    }
  }

  if (resources.has('networks') || resources.has('subnetworks') || resources.has('instances')) {
    const compute = await clients.compute();
    if (resources.has('networks')) yield* kindOf('network', 'compute', async function* () {
      for await (const page of pages<compute_v1.Schema$NetworkList>({
        what: `compute.networks.list in ${projectId}`,
        fetchPage: (pageToken) =>
          computeCall('compute.networks.list', 'compute.networks.list', () =>
            compute.networks.list({ project: projectId, maxResults, ...(pageToken ? { pageToken } : {}) }, { signal }),
          ),
        nextToken: (page) => page.nextPageToken,
      })) {
        for (const network of page.items ?? []) {
          const path = resourcePath(network.selfLink);
          if (path && network.id) index.networks.set(path, network.id);
          yield* record(mapNetwork(network, project));
        }
      }
    });
    if (resources.has('subnetworks')) yield* kindOf('subnetwork', 'compute', async function* () {
      const unreachable = new Set<string>();
      for await (const page of pages<compute_v1.Schema$SubnetworkAggregatedList>({
        what: `compute.subnetworks.aggregatedList in ${projectId}`,
        fetchPage: (pageToken) =>
          computeCall('compute.subnetworks.aggregatedList', 'compute.subnetworks.list', () =>
            compute.subnetworks.aggregatedList({ project: projectId, maxResults, returnPartialSuccess: true, ...(pageToken ? { pageToken } : {}) }, { signal }),
          ),
        nextToken: (page) => page.nextPageToken,
      })) {
        for (const scoped of Object.values(page.items ?? {})) {
          for (const subnetwork of scoped.subnetworks ?? []) {
            const path = resourcePath(subnetwork.selfLink);
            if (path && subnetwork.id) index.subnetworks.set(path, subnetwork.id);
            yield* record(mapSubnetwork(subnetwork, project, index));
          }
        }
        for (const u of page.unreachables ?? []) unreachable.add(u);
      }
      if (unreachable.size > 0) yield { type: 'incomplete', kind: 'subnetwork', reason: `regions unreachable: ${[...unreachable].sort().join(', ')}` };
    });
    if (resources.has('instances')) yield* kindOf('instance', 'compute', async function* () {
      const unreachable = new Set<string>();
      for await (const page of pages<compute_v1.Schema$InstanceAggregatedList>({
        what: `compute.instances.aggregatedList in ${projectId}`,
        fetchPage: (pageToken) =>
          computeCall('compute.instances.aggregatedList', 'compute.instances.list', () =>
            compute.instances.aggregatedList({ project: projectId, maxResults, returnPartialSuccess: true, ...(pageToken ? { pageToken } : {}) }, { signal }),
          ),
        nextToken: (page) => page.nextPageToken,
      })) {
        // Zones without instances come as { warning: NO_RESULTS_ON_PAGE }; an unreachable zone is listed
        // in `unreachables` (returnPartialSuccess): its instances must not be taken as deleted.
        for (const scoped of Object.values(page.items ?? {})) {
          for (const instance of scoped.instances ?? []) yield* record(mapInstance(instance, project, index));
        }
        for (const u of page.unreachables ?? []) unreachable.add(u);
      }
      if (unreachable.size > 0) {
        log.warn('zones unreachable; their instances are kept', { project: projectId, unreachables: [...unreachable].sort() });
        yield { type: 'incomplete', kind: 'instance', reason: `zones unreachable: ${[...unreachable].sort().join(', ')}` };
      }
    });
  }

  if (resources.has('buckets')) {
    const storage = await clients.storage(projectId);
    yield* kindOf('bucket', 'storage', async function* () {
      for await (const page of pages<{ items?: BucketMetadata[]; nextPageToken?: string }>({
        what: `storage.buckets.list in ${projectId}`,
        fetchPage: (pageToken) =>
          callGoogle(
            `${projectId}/storage`,
            { what: `storage.buckets.list in project ${projectId}`, project: projectId, service: SERVICES.storage, permission: 'storage.buckets.list' },
            signal,
            async () => {
              const [, , response] = await storage.getBuckets({ autoPaginate: false, maxResults, ...(pageToken ? { pageToken } : {}) });
              return (response ?? {}) as { items?: BucketMetadata[]; nextPageToken?: string };
            },
          ),
        nextToken: (page) => page.nextPageToken,
      })) {
        for (const bucket of page.items ?? []) yield* record(mapBucket(bucket, project));
      }
    });
  }
}

/** Why a kind is incomplete, in one short sentence with the fix (the engine repeats it per kind). */
function reasonOf(error: ApiDisabledError | PermissionDeniedError, projectId: string): string {
  if (error instanceof ApiDisabledError) {
    return `${error.api} is disabled in project ${projectId}${error.fix ? `; enable it with: ${error.fix}` : ''}`;
  }
  return error.permission ? `the credentials lack ${error.permission} on project ${projectId}` : error.message;
}
