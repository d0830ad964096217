/** Turning seeds (rows "written by someone else": another tool, the Python worker, a DBA) into stored rows. */
import type { ElderStore } from './store.js';
import type { DependencyRow, DependencySeed, EntityRow, EntitySeed, OrganizationRow, OrganizationSeed } from './types.js';

export class SeedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SeedError';
  }
}

function toEpochMs(value: Date | number | null | undefined, fallback: number | null): number | null {
  if (value === undefined) return fallback;
  if (value === null) return null;
  return value instanceof Date ? value.getTime() : value;
}

export function seedOrganizationRow(store: ElderStore, seed: OrganizationSeed): OrganizationRow {
  if (typeof seed.name !== 'string') throw new SeedError('seedOrganization needs a name');
  return store.insertOrganization({
    tenant_id: seed.tenant_id === undefined ? 1 : seed.tenant_id,
    parent_id: seed.parent_id ?? null,
    name: seed.name,
    slug: seed.slug ?? null,
    display_name: seed.display_name ?? null,
    description: seed.description ?? null,
    type: seed.type ?? seed.organization_type ?? 'organization',
    cloud_provider: seed.cloud_provider ?? null,
    cloud_account_id: seed.cloud_account_id ?? null,
    region: seed.region ?? null,
    owner_identity_id: seed.owner_identity_id ?? null,
    owner_group_id: seed.owner_group_id ?? null,
    is_active: seed.is_active ?? true,
    settings: seed.settings ?? null,
    tags: seed.tags ?? null,
    metadata: seed.metadata ?? null,
    created_at: toEpochMs(seed.created_at, null),
    updated_at: toEpochMs(seed.updated_at, null),
    ldap_dn: seed.ldap_dn ?? null,
    saml_group: seed.saml_group ?? null,
  });
}

export function seedEntityRow(store: ElderStore, seed: EntitySeed, now: number): EntityRow {
  const type = seed.type ?? seed.entity_type;
  if (typeof type !== 'string') throw new SeedError('seedEntity needs a type (or entity_type)');
  return store.insertEntity({
    organization_id: seed.organization_id ?? null,
    parent_id: seed.parent_id ?? null,
    name: seed.name ?? null,
    type,
    sub_type: seed.sub_type ?? null,
    external_id: seed.external_id ?? null,
    cloud_provider: seed.cloud_provider ?? null,
    region: seed.region ?? null,
    status: seed.status === undefined ? 'active' : seed.status,
    is_managed: seed.is_managed ?? false,
    tags: seed.tags === undefined ? [] : seed.tags,
    metadata: seed.metadata ?? seed.attributes ?? null,
    last_seen_at: toEpochMs(seed.last_seen_at, null),
    created_at: toEpochMs(seed.created_at, now),
    updated_at: toEpochMs(seed.updated_at, now),
    description: seed.description ?? null,
    is_active: seed.is_active ?? true,
    default_metadata: seed.default_metadata ?? null,
    status_metadata: seed.status_metadata ?? null,
  });
}

export function seedDependencyRow(store: ElderStore, seed: DependencySeed): DependencyRow {
  return store.insertDependency({
    tenant_id: seed.tenant_id === undefined ? 1 : seed.tenant_id,
    source_type: seed.source_type,
    source_id: seed.source_id,
    target_type: seed.target_type,
    target_id: seed.target_id,
    dependency_type: seed.dependency_type ?? 'depends',
    metadata: seed.metadata ?? null,
    created_at: toEpochMs(seed.created_at, null),
    updated_at: toEpochMs(seed.updated_at, null),
    village_id: seed.village_id ?? null,
  });
}
