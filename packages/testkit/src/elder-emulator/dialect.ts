/**
 * Stored rows → response objects, per dialect. v3.2.1 shapes are §3.2 (19-key Organization, 12-column
 * list items), §4.2 (16-key Entity) and §6.1 (Dependency); legacy shapes are §0.3's left column.
 */
import { httpDate } from './json.js';
import type { DependencyRow, ElderDialect, EntityRow, OrganizationRow } from './types.js';

export function organizationResponse(row: OrganizationRow, dialect: ElderDialect): Record<string, unknown> {
  if (dialect === 'legacy') return legacyOrganization(row);
  return {
    cloud_account_id: row.cloud_account_id,
    cloud_provider: row.cloud_provider,
    created_at: httpDate(row.created_at),
    description: row.description,
    display_name: row.display_name,
    id: row.id,
    is_active: row.is_active,
    metadata: row.metadata,
    name: row.name,
    owner_group_id: row.owner_group_id,
    owner_identity_id: row.owner_identity_id,
    parent_id: row.parent_id,
    region: row.region,
    settings: row.settings,
    slug: row.slug,
    tags: row.tags,
    tenant_id: row.tenant_id,
    type: row.type,
    updated_at: httpDate(row.updated_at),
  };
}

/** The list selects 12 columns; the DTO defaults fill the rest, so `is_active` is always true here (§3.2). */
export function organizationListItem(row: OrganizationRow, dialect: ElderDialect): Record<string, unknown> {
  if (dialect === 'legacy') return legacyOrganization(row);
  return {
    cloud_account_id: null,
    cloud_provider: null,
    created_at: httpDate(row.created_at),
    description: row.description,
    display_name: row.display_name,
    id: row.id,
    is_active: true,
    metadata: null,
    name: row.name,
    owner_group_id: row.owner_group_id,
    owner_identity_id: row.owner_identity_id,
    parent_id: row.parent_id,
    region: null,
    settings: null,
    slug: row.slug,
    tags: null,
    tenant_id: row.tenant_id,
    type: row.type,
    updated_at: httpDate(row.updated_at),
  };
}

function legacyOrganization(row: OrganizationRow): Record<string, unknown> {
  return {
    created_at: httpDate(row.created_at),
    description: row.description,
    id: row.id,
    ldap_dn: row.ldap_dn,
    name: row.name,
    organization_type: row.type,
    owner_group_id: row.owner_group_id,
    owner_identity_id: row.owner_identity_id,
    parent_id: row.parent_id,
    saml_group: row.saml_group,
    tenant_id: row.tenant_id,
    updated_at: httpDate(row.updated_at),
    village_id: null,
    village_segment: null,
  };
}

export function entityResponse(row: EntityRow, dialect: ElderDialect): Record<string, unknown> {
  if (dialect === 'legacy') {
    return {
      attributes: row.metadata,
      created_at: httpDate(row.created_at),
      default_metadata: row.default_metadata,
      description: row.description,
      entity_type: row.type,
      id: row.id,
      is_active: row.is_active,
      name: row.name,
      organization_id: row.organization_id,
      parent_id: row.parent_id,
      status_metadata: row.status_metadata,
      sub_type: row.sub_type,
      tags: row.tags,
      updated_at: httpDate(row.updated_at),
      village_id: null,
    };
  }
  return {
    cloud_provider: row.cloud_provider,
    created_at: httpDate(row.created_at),
    external_id: row.external_id,
    id: row.id,
    is_managed: row.is_managed,
    last_seen_at: httpDate(row.last_seen_at),
    metadata: row.metadata,
    name: row.name,
    organization_id: row.organization_id,
    parent_id: row.parent_id,
    region: row.region,
    status: row.status,
    sub_type: row.sub_type,
    tags: row.tags,
    type: row.type,
    updated_at: httpDate(row.updated_at),
  };
}

export function dependencyResponse(row: DependencyRow): Record<string, unknown> {
  return {
    created_at: httpDate(row.created_at),
    dependency_type: row.dependency_type,
    id: row.id,
    metadata: row.metadata,
    source_id: row.source_id,
    source_type: row.source_type,
    target_id: row.target_id,
    target_type: row.target_type,
    tenant_id: row.tenant_id,
    updated_at: httpDate(row.updated_at),
    village_id: row.village_id,
  };
}

export function outgoingEdge(row: DependencyRow): Record<string, unknown> {
  return { dependency_type: row.dependency_type, id: row.id, metadata: row.metadata, target_id: row.target_id, target_type: row.target_type };
}

export function incomingEdge(row: DependencyRow): Record<string, unknown> {
  return { dependency_type: row.dependency_type, id: row.id, metadata: row.metadata, source_id: row.source_id, source_type: row.source_type };
}
