import type { JsonObject, RecordRelation, SourceRecord } from '@elder-sync/connector-sdk';
import type { compute_v1 } from '@googleapis/compute/build/v1.js';
import type { ProjectScopeParams } from './discovery.js';

/**
 * How GCP labels land in Elder (the documented rule, README "Labels"):
 * - attributes: `labels`, the whole map, keys sorted;
 * - tags: `gcp`, the kind's tag (`compute`, `vpc`, `subnet`, `storage`), then one tag per label,
 *   `key=value`, or `key` alone when the value is empty (GCP allows empty values), sorted.
 * Label keys and values are already restricted by GCP to lower-case letters, digits, `_` and `-`,
 * so a tag is never ambiguous.
 */
export function labelsOf(labels: Record<string, string> | null | undefined): { labels: Record<string, string>; tags: string[] } {
  const entries = Object.entries(labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    labels: Object.fromEntries(entries),
    tags: entries.map(([k, v]) => (v === '' ? k : `${k}=${v}`)),
  };
}

/** The last segment of a resource URL: `.../zones/europe-west1-b` → `europe-west1-b`. */
export function lastSegment(url: string | null | undefined): string | null {
  if (!url) return null;
  const parts = url.split('/');
  return parts[parts.length - 1] || null;
}

/**
 * A resource URL without scheme, host and API version, so the same resource compares equal whichever
 * endpoint or version returned it: `projects/p/regions/r/subnetworks/s`.
 */
export function resourcePath(url: string | null | undefined): string | null {
  if (!url) return null;
  const m = /(projects\/.+)$/.exec(url);
  return m ? m[1]! : null;
}

/** The organization path of everything in a project: the folder path, then the project. */
export function projectOrganizationPath(project: ProjectScopeParams): string[] {
  return [...project.path, project.projectId];
}

/** The project as an organization, keyed by its number so a move between folders moves it in place. */
export function mapProject(project: ProjectScopeParams): SourceRecord {
  return {
    kind: 'project',
    externalId: project.projectNumber,
    name: project.projectId,
    organizationPath: project.path,
    attributes: {
      project_id: project.projectId,
      project_number: project.projectNumber,
      display_name: project.displayName,
      parent: project.parent,
      labels: project.labels,
    },
  };
}

/** Relations resolved within the project: resource path of a network or subnetwork → its numeric id. */
export interface ResourceIndex {
  networks: Map<string, string>;
  subnetworks: Map<string, string>;
}

export function mapNetwork(network: compute_v1.Schema$Network, project: ProjectScopeParams): SourceRecord | undefined {
  if (!network.id || !network.name) return undefined;
  return {
    kind: 'network',
    externalId: network.id,
    name: network.name,
    organizationPath: projectOrganizationPath(project),
    attributes: {
      network_id: network.id,
      project_id: project.projectId,
      description: network.description ?? null,
      routing_mode: network.routingConfig?.routingMode ?? null,
      auto_create_subnetworks: network.autoCreateSubnetworks ?? null,
      mtu: network.mtu ?? null,
      creation_timestamp: network.creationTimestamp ?? null,
      self_link: resourcePath(network.selfLink),
    },
    tags: ['gcp', 'vpc'],
  };
}

export function mapSubnetwork(subnetwork: compute_v1.Schema$Subnetwork, project: ProjectScopeParams, index: ResourceIndex): SourceRecord | undefined {
  if (!subnetwork.id || !subnetwork.name) return undefined;
  const networkId = index.networks.get(resourcePath(subnetwork.network) ?? '');
  const relations: RecordRelation[] = networkId ? [{ type: 'member_of', kind: 'network', externalId: networkId }] : [];
  return {
    kind: 'subnetwork',
    externalId: subnetwork.id,
    name: subnetwork.name,
    organizationPath: projectOrganizationPath(project),
    attributes: {
      subnetwork_id: subnetwork.id,
      project_id: project.projectId,
      region: lastSegment(subnetwork.region),
      network: lastSegment(subnetwork.network),
      ip_cidr_range: subnetwork.ipCidrRange ?? null,
      secondary_ip_ranges: (subnetwork.secondaryIpRanges ?? []).map((r) => ({ name: r.rangeName ?? null, ip_cidr_range: r.ipCidrRange ?? null })),
      private_ip_google_access: subnetwork.privateIpGoogleAccess ?? null,
      purpose: subnetwork.purpose ?? null,
      stack_type: subnetwork.stackType ?? null,
      gateway_address: subnetwork.gatewayAddress ?? null,
      self_link: resourcePath(subnetwork.selfLink),
    },
    relations,
    tags: ['gcp', 'subnet'],
  };
}

export function mapInstance(instance: compute_v1.Schema$Instance, project: ProjectScopeParams, index: ResourceIndex): SourceRecord | undefined {
  if (!instance.id || !instance.name) return undefined;
  const nics = instance.networkInterfaces ?? [];
  const first = nics[0];
  const relations: RecordRelation[] = [];
  const seen = new Set<string>();
  for (const nic of nics) {
    // Every interface's subnetwork; in a legacy network (no subnetworks), the network itself.
    const subnetworkId = index.subnetworks.get(resourcePath(nic.subnetwork) ?? '');
    const networkId = index.networks.get(resourcePath(nic.network) ?? '');
    const relation: RecordRelation | undefined = subnetworkId
      ? { type: 'member_of', kind: 'subnetwork', externalId: subnetworkId }
      : networkId && !nic.subnetwork
        ? { type: 'member_of', kind: 'network', externalId: networkId }
        : undefined;
    if (relation && !seen.has(`${relation.kind}/${relation.externalId}`)) {
      seen.add(`${relation.kind}/${relation.externalId}`);
      relations.push(relation);
    }
  }
  relations.sort((a, b) => (a.kind + a.externalId < b.kind + b.externalId ? -1 : 1));
  const { labels, tags } = labelsOf(instance.labels);
  const attributes: JsonObject = {
    instance_id: instance.id,
    project_id: project.projectId,
    zone: lastSegment(instance.zone),
    machine_type: lastSegment(instance.machineType),
    status: instance.status ?? null,
    internal_ip: first?.networkIP ?? null,
    external_ip: first?.accessConfigs?.find((c) => c.natIP)?.natIP ?? null,
    network: lastSegment(first?.network),
    subnetwork: lastSegment(first?.subnetwork),
    cpu_platform: instance.cpuPlatform ?? null,
    creation_timestamp: instance.creationTimestamp ?? null,
    deletion_protection: instance.deletionProtection ?? null,
    network_tags: [...(instance.tags?.items ?? [])].sort(),
    service_accounts: (instance.serviceAccounts ?? []).map((s) => s.email ?? '').filter(Boolean).sort(),
    labels,
    self_link: resourcePath(instance.selfLink),
  };
  return {
    kind: 'instance',
    externalId: instance.id,
    name: instance.name,
    organizationPath: projectOrganizationPath(project),
    attributes,
    relations,
    tags: ['gcp', 'compute', ...tags],
  };
}

/** What this connector reads of a bucket (Storage's JSON API resource). */
export interface BucketMetadata {
  id?: string;
  name?: string;
  projectNumber?: string | number;
  location?: string;
  locationType?: string;
  storageClass?: string;
  timeCreated?: string;
  labels?: Record<string, string> | null;
  versioning?: { enabled?: boolean };
  iamConfiguration?: { uniformBucketLevelAccess?: { enabled?: boolean }; publicAccessPrevention?: string };
}

/**
 * A bucket, keyed by project number and name: GCP has no numeric bucket id, and a name is never
 * reused while its bucket exists; the project number keeps a deleted-and-recreated name in another
 * project a different object.
 */
export function mapBucket(bucket: BucketMetadata, project: ProjectScopeParams): SourceRecord | undefined {
  if (!bucket.name) return undefined;
  const projectNumber = String(bucket.projectNumber ?? project.projectNumber);
  const { labels, tags } = labelsOf(bucket.labels);
  return {
    kind: 'bucket',
    externalId: `${projectNumber}/${bucket.name}`,
    name: bucket.name,
    organizationPath: projectOrganizationPath(project),
    attributes: {
      bucket_name: bucket.name,
      project_id: project.projectId,
      project_number: projectNumber,
      location: bucket.location ?? null,
      location_type: bucket.locationType ?? null,
      storage_class: bucket.storageClass ?? null,
      time_created: bucket.timeCreated ?? null,
      versioning: bucket.versioning?.enabled ?? false,
      uniform_bucket_level_access: bucket.iamConfiguration?.uniformBucketLevelAccess?.enabled ?? null,
      public_access_prevention: bucket.iamConfiguration?.publicAccessPrevention ?? null,
      labels,
    },
    tags: ['gcp', 'storage', ...tags],
  };
}
