/**
 * Elder's wire format ↔ elder-sync's normalised types. Reads both API dialects (elder-api.md §0.3:
 * legacy ≤ v3.2.0 returns `attributes`/`entity_type`/`organization_type`, v3.2.1 returns
 * `metadata`/`type`); writes only the v3.2.1 request names (§3.3, §4.3), and only known fields, because
 * request models are `extra="forbid"` (§0.1 item 4).
 */
import { isJsonObject, type JsonObject, type JsonValue } from '../json.js';
import type { ElderValidationIssue } from './errors.js';
import type {
  ElderDependency,
  ElderEntity,
  ElderOrganization,
  EntityPatch,
  NewEntity,
  NewOrganization,
  OrganizationPatch,
} from './types.js';

/** Raised when Elder's answer does not have the shape we rely on (not Elder, or an incompatible version). */
export class WireFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireFormatError';
  }
}

type Raw = Record<string, unknown>;

function asRecord(value: unknown, what: string): Raw {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new WireFormatError(`expected ${what} to be a JSON object`);
  }
  return value as Raw;
}

/** Ids are ints in both dialects; tolerate numeric strings (portal-auth's `user.id` is a string, §2.2). */
function id(value: unknown, what: string): number {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  throw new WireFormatError(`expected ${what} to be an integer id`);
}

function optionalId(value: unknown, what: string): number | null {
  return value === null || value === undefined ? null : id(value, what);
}

function optionalString(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** `type ?? organization_type` (§0.3). */
export function toOrganization(value: unknown): ElderOrganization {
  const raw = asRecord(value, 'an organization');
  return {
    id: id(raw.id, 'organization.id'),
    name: typeof raw.name === 'string' ? raw.name : '',
    parentId: optionalId(raw.parent_id, 'organization.parent_id'),
    description: optionalString(raw.description),
    type: optionalString(raw.type) ?? optionalString(raw.organization_type),
  };
}

/** `metadata ?? attributes` (null → `{}`), `type ?? entity_type`, `tags ?? []` (§0.3, §4.2). */
export function toEntity(value: unknown): ElderEntity {
  const raw = asRecord(value, 'an entity');
  const metadata = raw.metadata ?? raw.attributes;
  return {
    id: id(raw.id, 'entity.id'),
    name: typeof raw.name === 'string' ? raw.name : '',
    type: optionalString(raw.type) ?? optionalString(raw.entity_type) ?? '',
    subType: optionalString(raw.sub_type),
    organizationId: id(raw.organization_id, 'entity.organization_id'),
    parentId: optionalId(raw.parent_id, 'entity.parent_id'),
    attributes: isJsonObject(metadata) ? (metadata as JsonObject) : {},
    tags: Array.isArray(raw.tags) ? raw.tags.filter((t): t is string => typeof t === 'string') : [],
  };
}

/** A full Dependency row (§6.1). */
export function toDependency(value: unknown): ElderDependency {
  const raw = asRecord(value, 'a dependency');
  return {
    id: id(raw.id, 'dependency.id'),
    sourceType: optionalString(raw.source_type) ?? 'entity',
    sourceId: id(raw.source_id, 'dependency.source_id'),
    targetType: optionalString(raw.target_type) ?? 'entity',
    targetId: id(raw.target_id, 'dependency.target_id'),
    dependencyType: optionalString(raw.dependency_type) ?? '',
  };
}

/**
 * `GET /dependencies/resource/{type}/{id}` (§6.1): `depends_on` items name only the target (the
 * resource is the source) and `depended_by` items only the source (§4.3 shows those partial shapes);
 * full rows are accepted too. Merged and de-duplicated by id.
 */
export function toResourceDependencies(value: unknown, resourceType: string, resourceId: number): ElderDependency[] {
  const raw = asRecord(value, 'a resource dependency listing');
  const out = new Map<number, ElderDependency>();
  const list = (key: string): Raw[] => {
    const items = raw[key];
    if (items === undefined || items === null) return [];
    if (!Array.isArray(items)) throw new WireFormatError(`expected ${key} to be a list`);
    return items.map((item) => asRecord(item, `a ${key} item`));
  };
  for (const item of list('depends_on')) {
    const dep = toDependency({ source_type: resourceType, source_id: resourceId, ...item });
    out.set(dep.id, dep);
  }
  for (const item of list('depended_by')) {
    const dep = toDependency({ target_type: resourceType, target_id: resourceId, ...item });
    out.set(dep.id, dep);
  }
  return [...out.values()];
}

export interface Page {
  items: unknown[];
  page: number;
  pages: number;
  /** The announced number of items across all pages, when the envelope has one. */
  total: number | null;
}

/** The paginated envelope `{"items","total","page","per_page","pages"}` (§0.1 item 5). */
export function toPage(value: unknown, requestedPage: number): Page {
  const raw = asRecord(value, 'a page');
  if (!Array.isArray(raw.items)) throw new WireFormatError('expected a paginated envelope with an items list');
  const page = typeof raw.page === 'number' ? raw.page : requestedPage;
  const pages = typeof raw.pages === 'number' ? raw.pages : page;
  const total = typeof raw.total === 'number' && Number.isSafeInteger(raw.total) && raw.total >= 0 ? raw.total : null;
  return { items: raw.items, page, pages, total };
}

// ---------------------------------------------------------------------------------------------
// Request bodies: v3.2.1 names only, nothing unknown, nothing Elder drops or 500s on (§0.1 item 4).

/** CreateOrganizationRequest (§3.3). Never `ldap_dn`/`saml_group` (500 on v3.2.1). */
export function organizationCreateBody(org: NewOrganization): JsonObject {
  const body: JsonObject = { name: org.name };
  if (org.description !== undefined) body.description = org.description;
  if (org.type !== undefined) body.organization_type = org.type;
  if (org.parentId !== null && org.parentId !== undefined) body.parent_id = org.parentId;
  return body;
}

/** UpdateOrganizationRequest (§3.3): partial; absent and null both mean "leave unchanged". */
export function organizationPatchBody(patch: OrganizationPatch): JsonObject {
  const body: JsonObject = {};
  if (patch.name !== undefined) body.name = patch.name;
  if (patch.description !== undefined) body.description = patch.description;
  if (patch.type !== undefined) body.organization_type = patch.type;
  if (patch.parentId !== undefined) body.parent_id = patch.parentId;
  return body;
}

/**
 * CreateEntityRequest (§4.3). No `description`/`is_active`/`default_metadata`: accepted, then
 * dropped by v3.2.1, so sending them would only pretend to store something.
 */
export function entityCreateBody(entity: NewEntity): JsonObject {
  const body: JsonObject = {
    name: entity.name,
    entity_type: entity.entityType,
    organization_id: entity.organizationId,
    attributes: entity.attributes,
    tags: entity.tags,
  };
  if (entity.subType !== undefined && entity.subType !== null) body.sub_type = entity.subType;
  if (entity.parentId !== undefined && entity.parentId !== null) body.parent_id = entity.parentId;
  return body;
}

/** UpdateEntityRequest (§4.3): only the fields present; `attributes` and `tags` replace the stored ones. */
export function entityPatchBody(patch: EntityPatch): JsonObject {
  const body: JsonObject = {};
  const set = (key: string, value: JsonValue | undefined) => {
    if (value !== undefined) body[key] = value;
  };
  set('name', patch.name);
  set('entity_type', patch.entityType);
  set('sub_type', patch.subType);
  set('organization_id', patch.organizationId);
  set('parent_id', patch.parentId);
  set('attributes', patch.attributes);
  set('tags', patch.tags);
  return body;
}

/** POST /dependencies body (§6.1). */
export function dependencyCreateBody(dep: {
  sourceId: number;
  targetId: number;
  dependencyType: string;
  sourceType?: string;
  targetType?: string;
}): JsonObject {
  return {
    source_type: dep.sourceType ?? 'entity',
    source_id: dep.sourceId,
    target_type: dep.targetType ?? 'entity',
    target_id: dep.targetId,
    dependency_type: dep.dependencyType,
  };
}

// ---------------------------------------------------------------------------------------------
// Error bodies: JSON only if it parses (§7.1: 405/415 and some 500s are HTML or plain text).

export interface ErrorBody {
  /** Elder's `error` (plus `message` when it adds something), or a short description of a non-JSON body. */
  message: string | undefined;
  validationErrors: ElderValidationIssue[];
  json: Raw | undefined;
}

export function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function issues(value: unknown): ElderValidationIssue[] {
  if (!Array.isArray(value)) return [];
  const out: ElderValidationIssue[] = [];
  for (const item of value) {
    if (item === null || typeof item !== 'object') continue;
    const r = item as Raw;
    const issue: ElderValidationIssue = {
      field: typeof r.field === 'string' ? r.field : '',
      message: typeof r.message === 'string' ? r.message : String(r.message ?? ''),
    };
    if (typeof r.type === 'string') issue.type = r.type;
    out.push(issue);
  }
  return out;
}

export function parseErrorBody(text: string): ErrorBody {
  const parsed = parseJson(text);
  if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
    const json = parsed as Raw;
    const error = typeof json.error === 'string' ? json.error : undefined;
    const extra = typeof json.message === 'string' && json.message !== error ? json.message : undefined;
    return {
      message: error !== undefined && extra !== undefined ? `${error} (${extra})` : (error ?? extra),
      // 400 uses `validation_errors`, 422 (portal-auth) uses `details` (§7.1).
      validationErrors: [...issues(json.validation_errors), ...issues(json.details)],
      json,
    };
  }
  return { message: describeNonJson(text), validationErrors: [], json: undefined };
}

/** A one-line description of an HTML or plain-text body: its <title>, or its first text. */
function describeNonJson(text: string): string | undefined {
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1];
  const plain = (title ?? text.replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ').trim();
  if (plain === '') return undefined;
  return plain.length > 120 ? `${plain.slice(0, 117)}...` : plain;
}

export function formatValidationErrors(list: ElderValidationIssue[]): string {
  return list.map((i) => (i.field ? `${i.field}: ${i.message}` : i.message)).join('; ');
}
