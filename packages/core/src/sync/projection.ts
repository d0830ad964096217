import type { KindSpec } from '../connector.js';
import type { ElderEntity } from '../elder/types.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../json.js';
import type { SourceRecord } from '../record.js';
import type { Projection } from './types.js';

/** Elder stores names in varchar(255); longer ones fail with a 500 (elder-api.md §4.1). */
export const ELDER_NAME_MAX = 255;
/** `type` and `sub_type` are varchar(64). */
export const ELDER_TYPE_MAX = 64;
/** The attribute that carries elder-sync's identity stamp inside an entity's `attributes`/`metadata`. */
export const STAMP_ATTRIBUTE = 'elder_sync';

/**
 * What elder-sync writes into `attributes.elder_sync`: the object's key (identity lives on the Elder
 * object itself, DESIGN §5.1), its owner and what it owns there, so later runs can merge without
 * clobbering keys written by others (DESIGN §6 "Never clobber").
 */
export interface Stamp {
  v: 1;
  key: string;
  source: string;
  scope: string;
  kind: string;
  /** Attribute names this tool owns on the entity. */
  fields: string[];
  /** Tags this tool owns on the entity. */
  tags: string[];
  /** Relations (`type:targetKey`) written as dependencies. */
  relations: string[];
  /** Key of the entity set as Elder `parent_id`, once it is set. */
  parent?: string;
  stale_since?: string | null;
}

export function entityKey(source: string, kind: string, externalId: string): string {
  return `${source}/${kind}/${externalId}`;
}

export function organizationPathKey(source: string, path: readonly string[]): string {
  return `${source}/@org/${path.join('/')}`;
}

export function joinPath(path: readonly string[]): string {
  return path.join(' / ');
}

export function truncateName(name: string, max = ELDER_NAME_MAX): string {
  // Count code points, not UTF-16 units, so a surrogate pair is never split. A name of at most
  // `max` UTF-16 units has at most that many code points (every record's name goes through here).
  if (name.length <= max) return name;
  const chars = Array.from(name);
  return chars.length <= max ? name : chars.slice(0, max - 1).join('') + '…';
}

export function readStamp(attributes: JsonObject): Stamp | null {
  const raw = attributes[STAMP_ATTRIBUTE];
  if (!isJsonObject(raw) || typeof raw.key !== 'string' || typeof raw.source !== 'string') return null;
  const strings = (v: JsonValue | undefined) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  return {
    v: 1,
    key: raw.key,
    source: raw.source,
    scope: typeof raw.scope === 'string' ? raw.scope : '',
    kind: typeof raw.kind === 'string' ? raw.kind : '',
    fields: strings(raw.fields),
    tags: strings(raw.tags),
    relations: strings(raw.relations),
    ...(typeof raw.parent === 'string' ? { parent: raw.parent } : {}),
    stale_since: typeof raw.stale_since === 'string' ? raw.stale_since : null,
  };
}

export interface EntityTypeOverride {
  entityType?: string | undefined;
  subType?: string | undefined;
}

/** The entity type a kind lands as, after the source's `types` override. */
export function entityTypeOf(
  spec: Extract<KindSpec, { target: 'entity' }>,
  override: EntityTypeOverride | undefined,
): { type: string; subType: string | null } {
  return {
    type: override?.entityType ?? spec.entityType,
    subType: override?.subType ?? spec.subType ?? null,
  };
}

/** What the source wants the entity to look like (only the parts this tool owns). */
export function desiredProjection(
  source: string,
  record: SourceRecord,
  type: { type: string; subType: string | null },
): Projection {
  // Keys in sorted order here and below, so hashing the projection (every record, every run)
  // finds it canonical and copies nothing (canonicalJson).
  const attributes: JsonObject = {};
  for (const k of Object.keys(record.attributes).sort()) {
    const v = record.attributes[k];
    if (k === STAMP_ATTRIBUTE || v === undefined) continue;
    attributes[k] = v;
  }
  return {
    attributes,
    name: truncateName(record.name),
    organization: joinPath(record.organizationPath ?? []),
    // Absent rather than null when there is none, so entities without parents hash as before.
    ...(record.parentExternalId ? { parent: entityKey(source, record.parentKind ?? record.kind, record.parentExternalId) } : {}),
    relations: uniqueSorted(
      (record.relations ?? []).map((r) => `${r.type}:${entityKey(source, r.kind, r.externalId)}`),
    ),
    staleSince: null,
    subType: type.subType,
    tags: uniqueSorted(record.tags ?? []),
    type: type.type,
  };
}

/** A relation as stamped and planned, `type:targetKey`, back in its parts (keys may hold ':', types do not). */
export function splitRelation(relation: string): { type: string; targetKey: string } {
  const at = relation.indexOf(':');
  return { type: relation.slice(0, at), targetKey: relation.slice(at + 1) };
}

/** The same view of an entity as Elder holds it now, limited to what its stamp says this tool owns. */
export function actualProjection(entity: Pick<ElderEntity, 'name' | 'type' | 'subType' | 'attributes' | 'tags'>, stamp: Stamp, organization: string): Projection {
  const attributes: JsonObject = {};
  for (const field of stamp.fields) {
    if (field in entity.attributes) attributes[field] = entity.attributes[field] as JsonValue;
  }
  const owned = new Set(stamp.tags);
  // In key order, like desiredProjection (the stamp's fields are sorted).
  return {
    attributes,
    name: entity.name,
    organization,
    ...(stamp.parent ? { parent: stamp.parent } : {}),
    relations: uniqueSorted(stamp.relations),
    staleSince: stamp.stale_since ?? null,
    subType: entity.subType,
    tags: uniqueSorted(entity.tags.filter((t) => owned.has(t))),
    type: entity.type,
  };
}

export function makeStamp(
  base: { key: string; source: string; scope: string; kind: string },
  projection: Projection,
): Stamp {
  return {
    v: 1,
    ...base,
    fields: Object.keys(projection.attributes).sort(),
    tags: projection.tags,
    relations: projection.relations,
    ...(projection.parent ? { parent: projection.parent } : {}),
    ...(projection.staleSince ? { stale_since: projection.staleSince } : {}),
  };
}

/**
 * Merge, not clobber: Elder replaces `attributes` and `tags` whole on PATCH (elder-api.md §0.1.8),
 * so start from what is there, drop only the keys this tool owned before, then write what it owns now.
 */
export function mergeAttributes(current: JsonObject, previous: Stamp | null, desired: Projection, stamp: Stamp): JsonObject {
  const merged: JsonObject = { ...current };
  for (const field of previous?.fields ?? []) delete merged[field];
  Object.assign(merged, desired.attributes);
  merged[STAMP_ATTRIBUTE] = stamp as unknown as JsonObject;
  return merged;
}

export function mergeTags(current: string[], previous: Stamp | null, desired: Projection): string[] {
  const previouslyOwned = new Set(previous?.tags ?? []);
  const kept = current.filter((t) => !previouslyOwned.has(t));
  return uniqueSorted([...kept, ...desired.tags]);
}

function uniqueSorted(values: string[]): string[] {
  return [...new Set(values)].sort();
}
