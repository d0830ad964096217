import Database from 'better-sqlite3';
import type { ElderEntity } from '../elder/types.js';
import { canonicalJson, type JsonObject, type JsonValue } from '../json.js';
import { splitRelation } from './projection.js';
import type { ChangeAction, PlanChange, Projection } from './types.js';

const PAGE_SIZE = 1000;
/** Writes per batch at most before it is committed (see `PlanStore.write`). */
const BATCH_WRITES = 5000;
/** ...and at the latest this long after it began. */
const BATCH_MS = 100;

/** One Elder entity this tool owns, as found by scanning Elder at the start of a run. */
export interface IndexedEntity {
  source: string;
  key: string;
  elderId: number;
  scope: string;
  kind: string;
  hash: string;
  projection: Projection;
  attributes: JsonObject;
  tags: string[];
  organizationId: number;
}

/** Details the applier needs beyond what the plan shows. */
export interface ChangeDetail {
  organizationPath?: string[];
  /** A delete of an extra Elder entity carrying an already indexed key, not of the object itself. */
  duplicate?: boolean;
}

export type ChangeOutcome = 'planned' | 'applied' | 'failed';

export interface StoredChange extends PlanChange {
  seq: number;
  detail: ChangeDetail;
}

/**
 * The run's working set on disk, not on the heap (DESIGN §9): the index of owned Elder entities and
 * the plan. SQLite's "" filename is a private temporary database that disappears on close.
 */
export class PlanStore {
  private readonly db: Database.Database;
  private readonly stmts;
  /** Writes since the open batch began (see `write`). */
  private batched = 0;

  constructor() {
    this.db = new Database('');
    this.db.pragma('journal_mode = OFF');
    this.db.pragma('synchronous = OFF');
    this.db.exec(`
      CREATE TABLE elder_index (
        source TEXT NOT NULL, key TEXT NOT NULL, elder_id INTEGER NOT NULL, scope TEXT NOT NULL,
        kind TEXT NOT NULL, hash TEXT NOT NULL, projection TEXT NOT NULL, attributes TEXT NOT NULL,
        tags TEXT NOT NULL, org_id INTEGER NOT NULL, seen INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (source, key)
      ) WITHOUT ROWID;
      CREATE INDEX elder_index_scope ON elder_index (source, scope, kind, seen);
      CREATE INDEX elder_index_id ON elder_index (source, elder_id);
      CREATE TABLE claimed_relations (
        source TEXT NOT NULL, key TEXT NOT NULL, type TEXT NOT NULL, target_key TEXT NOT NULL,
        confirmed INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (source, key, type, target_key)
      ) WITHOUT ROWID;
      CREATE INDEX claimed_relations_open ON claimed_relations (source, confirmed, key);
      CREATE TABLE duplicates (
        source TEXT NOT NULL, key TEXT NOT NULL, elder_id INTEGER NOT NULL, scope TEXT NOT NULL,
        kind TEXT NOT NULL, name TEXT NOT NULL, projection TEXT NOT NULL
      );
      CREATE TABLE adoptable (
        source TEXT NOT NULL, entity_type TEXT NOT NULL, natural_key TEXT NOT NULL, value TEXT NOT NULL,
        elder_id INTEGER NOT NULL, entity TEXT NOT NULL
      );
      CREATE INDEX adoptable_match ON adoptable (source, entity_type, natural_key, value, elder_id);
      CREATE INDEX adoptable_id ON adoptable (source, elder_id);
      CREATE TABLE changes (
        seq INTEGER PRIMARY KEY, source TEXT NOT NULL, scope TEXT NOT NULL, scope_label TEXT NOT NULL,
        key TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,
        elder_id INTEGER, before TEXT, after TEXT, reason TEXT, sensitive TEXT, detail TEXT NOT NULL,
        outcome TEXT NOT NULL DEFAULT 'planned'
      );
      CREATE INDEX changes_order ON changes (source, scope, key);
      CREATE INDEX changes_apply ON changes (source, scope, target, action, outcome, key);
    `);
    this.stmts = {
      indexInsert: this.db.prepare(
        `INSERT OR IGNORE INTO elder_index (source, key, elder_id, scope, kind, hash, projection, attributes, tags, org_id)
         VALUES (@source, @key, @elderId, @scope, @kind, @hash, @projection, @attributes, @tags, @organizationId)`,
      ),
      indexUpsert: this.db.prepare(
        `INSERT INTO elder_index (source, key, elder_id, scope, kind, hash, projection, attributes, tags, org_id, seen)
         VALUES (@source, @key, @elderId, @scope, @kind, @hash, @projection, @attributes, @tags, @organizationId, 1)
         ON CONFLICT (source, key) DO UPDATE SET elder_id = excluded.elder_id, scope = excluded.scope,
           hash = excluded.hash, projection = excluded.projection, attributes = excluded.attributes,
           tags = excluded.tags, org_id = excluded.org_id, seen = 1`,
      ),
      indexReplace: this.db.prepare(
        `UPDATE elder_index SET elder_id = @elderId, scope = @scope, kind = @kind, hash = @hash, projection = @projection,
           attributes = @attributes, tags = @tags, org_id = @organizationId WHERE source = @source AND key = @key`,
      ),
      indexGet: this.db.prepare(`SELECT * FROM elder_index WHERE source = ? AND key = ?`),
      indexGetId: this.db.prepare(`SELECT elder_id FROM elder_index WHERE source = ? AND key = ?`),
      indexLookup: this.db.prepare(`SELECT elder_id, hash FROM elder_index WHERE source = ? AND key = ?`),
      indexSeen: this.db.prepare(`UPDATE elder_index SET seen = 1 WHERE source = ? AND key = ?`),
      indexDelete: this.db.prepare(`DELETE FROM elder_index WHERE source = ? AND key = ?`),
      indexUnseenPage: this.db.prepare(
        `SELECT * FROM elder_index WHERE source = ? AND scope = ? AND kind = ? AND seen = 0 AND key > ? ORDER BY key LIMIT ?`,
      ),
      indexCountUnseen: this.db.prepare(
        `SELECT count(*) AS n FROM elder_index WHERE source = ? AND scope = ? AND kind = ? AND seen = 0`,
      ),

      indexCountScope: this.db.prepare(`SELECT count(*) AS n FROM elder_index WHERE source = ? AND scope = ?`),
      indexScopes: this.db.prepare(`SELECT DISTINCT scope FROM elder_index WHERE source = ? ORDER BY scope`),
      indexScopePage: this.db.prepare(`SELECT * FROM elder_index WHERE source = ? AND scope = ? AND key > ? ORDER BY key LIMIT ?`),
      indexCountKind: this.db.prepare(
        `SELECT count(*) AS n FROM elder_index WHERE source = ? AND scope = ? AND kind = ?`,
      ),
      claimInsert: this.db.prepare(`INSERT OR IGNORE INTO claimed_relations (source, key, type, target_key) VALUES (?, ?, ?, ?)`),
      claimsClear: this.db.prepare(`DELETE FROM claimed_relations WHERE source = ? AND key = ?`),
      claimTypes: this.db.prepare(`SELECT DISTINCT type FROM claimed_relations WHERE source = ? ORDER BY type`),
      // Both ends by Elder id, through the index: a dependency between entities this source owns.
      claimConfirm: this.db.prepare(
        `UPDATE claimed_relations SET confirmed = 1 WHERE source = @source AND type = @type
           AND key = (SELECT key FROM elder_index WHERE source = @source AND elder_id = @sourceId)
           AND target_key = (SELECT key FROM elder_index WHERE source = @source AND elder_id = @targetId)`,
      ),
      claimsOpenKeys: this.db.prepare(
        `SELECT DISTINCT key FROM claimed_relations WHERE source = ? AND confirmed = 0 AND key > ? ORDER BY key LIMIT ?`,
      ),
      claimsOpenOf: this.db.prepare(`SELECT type, target_key FROM claimed_relations WHERE source = ? AND key = ? AND confirmed = 0`),
      duplicateInsert: this.db.prepare(
        `INSERT INTO duplicates (source, key, elder_id, scope, kind, name, projection)
         VALUES (@source, @key, @elderId, @scope, @kind, @name, @projection)`,
      ),
      duplicatesOf: this.db.prepare(`SELECT * FROM duplicates WHERE source = ? AND scope = ? ORDER BY key, elder_id`),
      adoptableInsert: this.db.prepare(
        `INSERT INTO adoptable (source, entity_type, natural_key, value, elder_id, entity) VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      adoptableFind: this.db.prepare(
        `SELECT DISTINCT elder_id, entity FROM adoptable WHERE source = ? AND entity_type = ? AND natural_key = ? AND value = ? ORDER BY elder_id LIMIT ${AMBIGUOUS_LISTED}`,
      ),
      adoptableClaim: this.db.prepare(`DELETE FROM adoptable WHERE source = ? AND elder_id = ?`),
      changeInsert: this.db.prepare(
        `INSERT INTO changes (source, scope, scope_label, key, action, target, kind, name, elder_id, before, after, reason, sensitive, detail)
         VALUES (@source, @scope, @scopeLabel, @key, @action, @target, @kind, @name, @elderId, @before, @after, @reason, @sensitive, @detail)`,
      ),
      // The root organization comes first in a source's plan: it is created before everything else.
      changesAll: this.db.prepare(`SELECT * FROM changes ORDER BY source, scope <> '@root', scope, key, seq`),
      changesPage: this.db.prepare(
        `SELECT * FROM changes WHERE source = ? AND scope = ? AND target = ? AND action = ? AND outcome = ?
         AND (key, seq) > (?, ?) ORDER BY key, seq LIMIT ?`,
      ),
      setOutcome: this.db.prepare(`UPDATE changes SET outcome = ? WHERE seq = ?`),
    };
  }

  /**
   * Adds an owned entity found in Elder; a second entity with the same key is a duplicate. The
   * relations its stamp claims are remembered until Elder's dependencies confirm them.
   */
  index(entry: IndexedEntity): 'indexed' | 'duplicate' {
    return this.write(() => this.indexNow(entry));
  }

  private indexNow(entry: IndexedEntity): 'indexed' | 'duplicate' {
    const row = this.toRow(entry);
    if (this.stmts.indexInsert.run(row).changes === 1) {
      this.claimRelations(entry);
      return 'indexed';
    }
    const first = this.getIndexed(entry.source, entry.key)!;
    if (first.elderId === entry.elderId) return 'indexed';
    // Keep the lowest id as the object and the others as duplicates, so every run picks the same one.
    const [kept, extra] = entry.elderId < first.elderId ? [entry, first] : [first, entry];
    if (kept === entry) {
      this.stmts.indexReplace.run(row);
      this.stmts.claimsClear.run(entry.source, entry.key);
      this.claimRelations(entry);
    }
    this.stmts.duplicateInsert.run({ ...this.toRow(extra), name: extra.projection.name });
    return 'duplicate';
  }

  /** Dependency types that indexed entities of a source claim. */
  claimedRelationTypes(source: string): string[] {
    return (this.stmts.claimTypes.all(source) as Array<{ type: string }>).map((r) => r.type);
  }

  /** An Elder dependency between two indexed entities: the claim it matches, if any, holds. */
  confirmRelation(source: string, type: string, sourceId: number, targetId: number): void {
    this.write(() => this.stmts.claimConfirm.run({ source, type, sourceId, targetId }));
  }

  /** Indexed entities with claims Elder did not confirm, each with those relations; paged by key. */
  *unconfirmedRelations(source: string): IterableIterator<{ key: string; relations: string[] }> {
    let after = '';
    for (;;) {
      const keys = (this.stmts.claimsOpenKeys.all(source, after, PAGE_SIZE) as Array<{ key: string }>).map((r) => r.key);
      for (const key of keys) {
        const rows = this.stmts.claimsOpenOf.all(source, key) as Array<{ type: string; target_key: string }>;
        yield { key, relations: rows.map((r) => `${r.type}:${r.target_key}`) };
      }
      if (keys.length < PAGE_SIZE) return;
      after = keys[keys.length - 1]!;
    }
  }

  /** Replaces what the index holds for an entity, keeping whether this run saw it. */
  replaceIndexed(entry: IndexedEntity): void {
    this.write(() => this.stmts.indexReplace.run(this.toRow(entry)));
  }

  /** Records an entity this run created or updated (it counts as seen). */
  upsertIndexed(entry: IndexedEntity): void {
    this.write(() => this.stmts.indexUpsert.run(this.toRow(entry)));
  }

  /**
   * What an unchanged record costs: the Elder id and content hash of the indexed entity, nothing
   * parsed. `getIndexed` reads the whole entry when it is needed (a change).
   */
  lookup(source: string, key: string): { elderId: number; hash: string } | null {
    const row = this.stmts.indexLookup.get(source, key) as { elder_id: number; hash: string } | undefined;
    return row ? { elderId: row.elder_id, hash: row.hash } : null;
  }

  getIndexed(source: string, key: string): IndexedEntity | null {
    const row = this.stmts.indexGet.get(source, key) as IndexRow | undefined;
    return row ? fromRow(row) : null;
  }

  elderIdOf(source: string, key: string): number | null {
    const row = this.stmts.indexGetId.get(source, key) as { elder_id: number } | undefined;
    return row ? row.elder_id : null;
  }

  markSeen(source: string, key: string): void {
    this.write(() => this.stmts.indexSeen.run(source, key));
  }

  removeIndexed(source: string, key: string): void {
    this.write(() => this.stmts.indexDelete.run(source, key));
  }

  /**
   * Owned entities of a kind not seen by this run, in key order. Paged rather than one open
   * iterator: better-sqlite3 refuses other statements on the connection while one is open.
   */
  *unseen(source: string, scope: string, kind: string): IterableIterator<IndexedEntity> {
    let after = '';
    for (;;) {
      const rows = this.stmts.indexUnseenPage.all(source, scope, kind, after, PAGE_SIZE) as IndexRow[];
      for (const row of rows) yield fromRow(row);
      if (rows.length < PAGE_SIZE) return;
      after = rows[rows.length - 1]!.key;
    }
  }

  /** Re-files the indexed entities stamped with scope id `from` under `to` (Scope.formerIds). */
  moveScope(source: string, from: string, to: string): number {
    return this.write(() => this.db.prepare('UPDATE elder_index SET scope = ? WHERE source = ? AND scope = ?').run(to, source, from).changes);
  }

  /** The scopes that indexed entities of a source name in their stamps. */
  indexedScopes(source: string): string[] {
    return (this.stmts.indexScopes.all(source) as Array<{ scope: string }>).map((r) => r.scope);
  }

  /** Every indexed entity of a scope, in key order (paged like `unseen`). */
  *indexedOf(source: string, scope: string): IterableIterator<IndexedEntity> {
    let after = '';
    for (;;) {
      const rows = this.stmts.indexScopePage.all(source, scope, after, PAGE_SIZE) as IndexRow[];
      for (const row of rows) yield fromRow(row);
      if (rows.length < PAGE_SIZE) return;
      after = rows[rows.length - 1]!.key;
    }
  }

  countUnseen(source: string, scope: string, kind: string): number {
    return (this.stmts.indexCountUnseen.get(source, scope, kind) as { n: number }).n;
  }


  countOwned(source: string, scope: string, kind?: string): number {
    const row = (kind === undefined
      ? this.stmts.indexCountScope.get(source, scope)
      : this.stmts.indexCountKind.get(source, scope, kind)) as { n: number };
    return row.n;
  }

  /** Extra Elder entities carrying an already indexed key (few: materialised). */
  duplicates(source: string, scope: string): Array<{ key: string; elderId: number; kind: string; name: string; projection: Projection }> {
    return (this.stmts.duplicatesOf.all(source, scope) as DuplicateRow[]).map((row) => ({
      key: row.key,
      elderId: row.elder_id,
      kind: row.kind,
      name: row.name,
      projection: JSON.parse(row.projection) as Projection,
    }));
  }

  /**
   * Remembers an unowned entity that a record may adopt on `naturalKey` (`--adopt`). With `fold`,
   * the value is compared case-folded (a kind's `naturalKeyCase: 'insensitive'`).
   */
  addAdoptable(source: string, entity: ElderEntity, naturalKey: string, value: JsonValue, fold = false): void {
    this.write(() => this.stmts.adoptableInsert.run(source, entity.type, naturalKey, naturalKeyValue(value, fold), entity.id, JSON.stringify(entity)));
  }

  /**
   * The unowned entity matching on `naturalKey`, taken (with `claim`) so no other record adopts it;
   * `ambiguous` when several unowned entities match: none is taken, a person must choose.
   */
  findAdoptable(
    source: string,
    entityType: string,
    naturalKey: string,
    value: JsonValue,
    options: { fold?: boolean; claim?: boolean } = {},
  ): { entity: ElderEntity } | { ambiguous: number[] } | null {
    const rows = this.stmts.adoptableFind.all(source, entityType, naturalKey, naturalKeyValue(value, options.fold ?? false)) as Array<{ elder_id: number; entity: string }>;
    if (rows.length === 0) return null;
    if (rows.length > 1) return { ambiguous: rows.map((r) => r.elder_id) };
    const row = rows[0]!;
    if (options.claim) this.write(() => this.stmts.adoptableClaim.run(source, row.elder_id));
    return { entity: JSON.parse(row.entity) as ElderEntity };
  }

  addChange(change: PlanChange, detail: ChangeDetail = {}): void {
    this.write(() => this.stmts.changeInsert.run({
      source: change.source,
      scope: change.scope,
      scopeLabel: change.scopeLabel,
      key: change.key,
      action: change.action,
      target: change.target,
      kind: change.kind,
      name: change.name,
      elderId: change.elderId,
      before: change.before ? JSON.stringify(change.before) : null,
      after: change.after ? JSON.stringify(change.after) : null,
      reason: change.reason,
      sensitive: change.sensitive?.length ? JSON.stringify(change.sensitive) : null,
      detail: JSON.stringify(detail),
    }));
  }

  *changes(): IterableIterator<StoredChange> {
    this.commitBatch();
    for (const row of this.stmts.changesAll.iterate() as IterableIterator<ChangeRow>) yield changeFromRow(row);
  }

  /**
   * Changes of one scope, target, action and outcome in key order, a page at a time, so a plan of
   * any size is applied without holding it (DESIGN §9). Pages are read with `.all()`: the applier
   * writes to this database while it walks.
   */
  *changesOf(
    source: string,
    scope: string,
    target: 'entity' | 'organization',
    action: ChangeAction,
    outcome: ChangeOutcome = 'planned',
  ): IterableIterator<StoredChange> {
    let afterKey = '';
    let afterSeq = -1;
    for (;;) {
      const rows = this.stmts.changesPage.all(source, scope, target, action, outcome, afterKey, afterSeq, PAGE_SIZE) as ChangeRow[];
      for (const row of rows) yield changeFromRow(row);
      if (rows.length < PAGE_SIZE) return;
      afterKey = rows[rows.length - 1]!.key;
      afterSeq = rows[rows.length - 1]!.seq;
    }
  }

  /** Records how applying a change ended (the relations pass then walks only applied ones). */
  setOutcome(seq: number, outcome: ChangeOutcome): void {
    this.write(() => this.stmts.setOutcome.run(outcome, seq));
  }

  /** Several writes in the same batch (this store needs batching, not atomicity: see `write`). */
  transaction<T>(fn: () => T): T {
    return this.write(fn);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /**
   * Runs one write inside the open batch, opening one if needed. A run writes a row or two per
   * record (marks, changes, outcomes); each in its own implicit transaction cost more than the
   * record's whole Elder request. So writes are batched: a batch commits BATCH_MS after it began
   * (a page of records, or the writes confirmed meanwhile), or after BATCH_WRITES writes.
   * This store is a private temporary database: nothing here has to survive a crash.
   */
  private write<T>(fn: () => T): T {
    if (!this.db.inTransaction) {
      this.db.exec('BEGIN');
      this.batched = 0;
      setTimeout(this.commitBatch, BATCH_MS).unref();
    } else if (++this.batched >= BATCH_WRITES) {
      this.batched = 0;
      this.commitBatch();
      if (!this.db.inTransaction) this.db.exec('BEGIN');
    }
    return fn();
  }

  private readonly commitBatch = (): void => {
    if (!this.db.open || !this.db.inTransaction) return;
    try {
      this.db.exec('COMMIT');
    } catch {
      // A statement is still being iterated (`changes()` read by a slow consumer): commit later.
      setTimeout(this.commitBatch, BATCH_MS).unref();
    }
  };

  private claimRelations(entry: IndexedEntity): void {
    for (const relation of entry.projection.relations) {
      const { type, targetKey } = splitRelation(relation);
      this.stmts.claimInsert.run(entry.source, entry.key, type, targetKey);
    }
  }

  private toRow(entry: IndexedEntity) {
    return {
      source: entry.source,
      key: entry.key,
      elderId: entry.elderId,
      scope: entry.scope,
      kind: entry.kind,
      hash: entry.hash,
      projection: JSON.stringify(entry.projection),
      attributes: JSON.stringify(entry.attributes),
      tags: JSON.stringify(entry.tags),
      organizationId: entry.organizationId,
    };
  }
}

/** Ambiguous adoption candidates listed by id (the lookup reads at most this many). */
const AMBIGUOUS_LISTED = 5;

/** A natural key value as stored and looked up: canonical JSON, strings case-folded with `fold`. */
function naturalKeyValue(value: JsonValue, fold: boolean): string {
  return canonicalJson(fold ? foldCase(value) : value);
}

function foldCase(value: JsonValue): JsonValue {
  if (typeof value === 'string') return value.toLowerCase();
  if (Array.isArray(value)) return value.map(foldCase);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, foldCase(v as JsonValue)]));
  return value;
}

interface IndexRow {
  source: string;
  key: string;
  elder_id: number;
  scope: string;
  kind: string;
  hash: string;
  projection: string;
  attributes: string;
  tags: string;
  org_id: number;
}

interface DuplicateRow {
  key: string;
  elder_id: number;
  kind: string;
  name: string;
  projection: string;
}

interface ChangeRow {
  seq: number;
  source: string;
  scope: string;
  scope_label: string;
  key: string;
  action: ChangeAction;
  target: 'entity' | 'organization';
  kind: string;
  name: string;
  elder_id: number | null;
  before: string | null;
  after: string | null;
  reason: string | null;
  sensitive: string | null;
  detail: string;
}

function fromRow(row: IndexRow): IndexedEntity {
  return {
    source: row.source,
    key: row.key,
    elderId: row.elder_id,
    scope: row.scope,
    kind: row.kind,
    hash: row.hash,
    projection: JSON.parse(row.projection),
    attributes: JSON.parse(row.attributes),
    tags: JSON.parse(row.tags),
    organizationId: row.org_id,
  };
}

function changeFromRow(row: ChangeRow): StoredChange {
  return {
    seq: row.seq,
    source: row.source,
    scope: row.scope,
    scopeLabel: row.scope_label,
    key: row.key,
    action: row.action,
    target: row.target,
    kind: row.kind,
    name: row.name,
    elderId: row.elder_id,
    before: row.before ? JSON.parse(row.before) : null,
    after: row.after ? JSON.parse(row.after) : null,
    reason: row.reason,
    ...(row.sensitive ? { sensitive: JSON.parse(row.sensitive) as string[] } : {}),
    detail: JSON.parse(row.detail) as ChangeDetail,
  };
}
