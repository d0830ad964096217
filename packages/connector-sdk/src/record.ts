import type { JsonObject, JsonValue } from './json.js';

/**
 * One object read from a source. The core maps it to an Elder organization or entity;
 * connectors never talk to Elder.
 */
export interface SourceRecord {
  /** One of the connector's declared kinds (`user`, `group`, `ou`, `ec2_instance`, ...). */
  kind: string;
  /** The source's immutable id (entryUUID, ARN, GCP resource id, Graph id), never a name. */
  externalId: string;
  /** Display name in Elder (truncated to Elder's 255 characters by the core). */
  name: string;
  /**
   * The attributes this connector owns on the Elder object. Keys present here are overwritten on
   * update (a `null` value clears one); keys not present are left alone, whoever wrote them.
   */
  attributes: JsonObject;
  /**
   * Where the object hangs, as organization names below the source's root organization.
   * `[]` or absent means the root itself. For an organization-kind record this is its parent.
   */
  organizationPath?: string[];
  /** Entity parent (Elder `parent_id`), by external id of a record of `parentKind` (default: same kind). */
  parentExternalId?: string;
  parentKind?: string;
  /** Links to other records of the same source, written as Elder dependencies (`member_of`, ...). */
  relations?: RecordRelation[];
  /** Elder tags the connector owns. */
  tags?: string[];
}

export interface RecordRelation {
  /** Elder dependency type, e.g. `member_of`. */
  type: string;
  /** Kind and external id of the target record in the same source. */
  kind: string;
  externalId: string;
}

/** What `read()` yields: records, deletions the source reports, cursors and incomplete kinds. */
export type ReadItem =
  | { type: 'record'; record: SourceRecord }
  /** A deletion the source itself reports (e.g. Graph delta); honoured even in incremental reads. */
  | { type: 'deleted'; kind: string; externalId: string }
  /** A resumable position. Committed only after Elder confirmed every write before it. */
  | { type: 'checkpoint'; cursor: JsonValue }
  /** This kind was not read completely (permission, partial failure): nothing of it is deleted. */
  | { type: 'incomplete'; kind: string; reason: string };

export function recordItem(record: SourceRecord): ReadItem {
  return { type: 'record', record };
}
