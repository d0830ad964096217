import type { JsonObject } from '../json.js';
import { actualProjection, readStamp } from './projection.js';
import type { RelationClaims } from './relation-claims.js';
import { DeferredRows, PAGE_SIZE, RowMarks, type RunDatabase } from './run-database.js';
import type { Projection } from './types.js';

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

export interface DuplicateEntity {
  key: string;
  elderId: number;
  kind: string;
  name: string;
  projection: Projection;
}

/**
 * Step 1's result: the Elder entities each source owns, by key. Split in two so that what every
 * record costs stays small: `owned` holds what a look-up needs (key, Elder id, hash, scope, kind; a
 * slim row, so the table stays in SQLite's cache), `owned_body` the projection, attributes and tags,
 * read only for a change. Whether this run saw an entity is a mark in memory by the row's slot, a
 * byte per entity, not an UPDATE per record.
 */
export class OwnedIndex {
  private readonly seen = new RowMarks();
  private nextSlot = 1;
  private readonly stmts;
  /** Entities this run wrote, not yet in the tables (see `put`), by source and key. */
  private pending = new Map<string, IndexedEntity>();
  private readonly deferred: DeferredRows;

  constructor(
    private readonly run: RunDatabase,
    private readonly claims: RelationClaims,
  ) {
    this.deferred = new DeferredRows(run, () => {
      for (const entry of this.pending.values()) {
        const slot = this.write(entry, readStamp(entry.attributes) ? foundBodyOf(entry) : bodyOf(entry));
        this.seen.set(slot, 1);
      }
      this.pending = new Map();
    }, () => this.pending.size);
    run.db.exec(`
      CREATE TABLE owned (
        source TEXT NOT NULL, key TEXT NOT NULL, slot INTEGER NOT NULL, elder_id INTEGER NOT NULL,
        scope TEXT NOT NULL, kind TEXT NOT NULL, hash TEXT NOT NULL, org_id INTEGER NOT NULL,
        PRIMARY KEY (source, key)
      ) WITHOUT ROWID;
      CREATE TABLE owned_body (slot INTEGER PRIMARY KEY, body TEXT NOT NULL);
      CREATE TABLE duplicates (
        source TEXT NOT NULL, key TEXT NOT NULL, elder_id INTEGER NOT NULL, scope TEXT NOT NULL,
        kind TEXT NOT NULL, name TEXT NOT NULL, projection TEXT NOT NULL
      );
    `);
    const db = run.db;
    this.stmts = {
      insert: db.prepare(
        `INSERT OR IGNORE INTO owned (source, key, slot, elder_id, scope, kind, hash, org_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      update: db.prepare(`UPDATE owned SET elder_id = ?, scope = ?, kind = ?, hash = ?, org_id = ? WHERE source = ? AND key = ?`),
      bodyPut: db.prepare(`INSERT OR REPLACE INTO owned_body (slot, body) VALUES (?, ?)`),
      slotOf: db.prepare(`SELECT slot, elder_id FROM owned WHERE source = ? AND key = ?`).raw(),
      see: db.prepare(`SELECT slot, elder_id, hash FROM owned WHERE source = ? AND key = ?`).raw(),
      get: db.prepare(
        `SELECT o.source, o.key, o.elder_id, o.scope, o.kind, o.hash, o.org_id, b.body
         FROM owned o JOIN owned_body b ON b.slot = o.slot WHERE o.source = ? AND o.key = ?`,
      ).raw(),
      remove: db.prepare(`DELETE FROM owned WHERE source = ? AND key = ? RETURNING slot`).pluck(),
      bodyRemove: db.prepare(`DELETE FROM owned_body WHERE slot = ?`),
      slotsOfKind: db.prepare(`SELECT slot FROM owned WHERE source = ? AND scope = ? AND kind = ?`).pluck(),
      pageOfKind: db.prepare(`SELECT slot, key FROM owned WHERE source = ? AND scope = ? AND kind = ? AND key > ? ORDER BY key LIMIT ?`).raw(),
      pageOfScope: db.prepare(`SELECT key FROM owned WHERE source = ? AND scope = ? AND key > ? ORDER BY key LIMIT ?`).pluck(),
      countScope: db.prepare(`SELECT count(*) FROM owned WHERE source = ? AND scope = ?`).pluck(),
      countKind: db.prepare(`SELECT count(*) FROM owned WHERE source = ? AND scope = ? AND kind = ?`).pluck(),
      scopes: db.prepare(`SELECT DISTINCT scope FROM owned WHERE source = ? ORDER BY scope`).pluck(),
      moveScope: db.prepare(`UPDATE owned SET scope = ? WHERE source = ? AND scope = ?`),
      duplicateInsert: db.prepare(
        `INSERT INTO duplicates (source, key, elder_id, scope, kind, name, projection) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      duplicatesOf: db.prepare(`SELECT key, elder_id, kind, name, projection FROM duplicates WHERE source = ? AND scope = ? ORDER BY key, elder_id`).raw(),
    };
  }

  /**
   * Adds an owned entity found in Elder, its projection being what its stamp says of it
   * (`actualProjection`: the body keeps only what derives it). A second entity with the same key is a
   * duplicate (the lowest id is kept as the object, so every run picks the same one). The relations
   * its stamp claims are remembered until Elder's dependencies confirm them.
   */
  add(entry: IndexedEntity): 'indexed' | 'duplicate' {
    this.deferred.settle();
    return this.run.write(() => {
      if (this.insertNew(entry, foundBodyOf(entry)) !== null) {
        this.claims.claim(entry);
        return 'indexed';
      }
      const first = this.get(entry.source, entry.key)!;
      if (first.elderId === entry.elderId) return 'indexed';
      const [kept, extra] = entry.elderId < first.elderId ? [entry, first] : [first, entry];
      if (kept === entry) {
        this.replace(entry);
        this.claims.clear(entry.source, entry.key);
        this.claims.claim(entry);
      }
      this.stmts.duplicateInsert.run(extra.source, extra.key, extra.elderId, extra.scope, extra.kind, extra.projection.name, JSON.stringify(extra.projection));
      return 'duplicate';
    });
  }

  /**
   * What an unchanged record costs: the Elder id and content hash of the owned entity, and a mark
   * that this run saw it; nothing parsed. `get` reads the whole entry when it is needed (a change).
   */
  see(source: string, key: string): { elderId: number; hash: string } | null {
    const written = this.pending.get(pendingKey(source, key));
    if (written) return { elderId: written.elderId, hash: written.hash };
    const row = this.stmts.see.get(source, key) as [number, number, string] | undefined;
    if (!row) return null;
    this.seen.set(row[0], 1);
    return { elderId: row[1], hash: row[2] };
  }

  get(source: string, key: string): IndexedEntity | null {
    this.deferred.settle();
    const row = this.stmts.get.get(source, key) as EntityRow | undefined;
    return row ? fromRow(row) : null;
  }

  elderIdOf(source: string, key: string): number | null {
    const written = this.pending.get(pendingKey(source, key));
    if (written) return written.elderId;
    const row = this.stmts.slotOf.get(source, key) as [number, number] | undefined;
    return row ? row[1] : null;
  }

  /**
   * Records an entity this run wrote, as Elder answered it (it counts as seen). Kept like an entity
   * found in Elder, by what its stamp says: the projection read back is what Elder now holds (its
   * stamp may claim relations the desired projection dropped), and the body is half the size.
   *
   * Written to the tables in batches (`DeferredRows`), not one by one. Look-ups answer from the
   * batch; every other read writes it first.
   */
  put(entry: IndexedEntity): void {
    this.pending.set(pendingKey(entry.source, entry.key), entry);
    this.deferred.added();
  }

  /** Replaces what the index holds for an entity with the projection given, keeping whether this run saw it. */
  replace(entry: IndexedEntity): void {
    this.deferred.settle();
    this.run.write(() => this.write(entry, bodyOf(entry)));
  }

  remove(source: string, key: string): void {
    this.deferred.settle();
    this.run.write(() => {
      const slot = this.stmts.remove.get(source, key) as number | undefined;
      if (slot !== undefined) this.stmts.bodyRemove.run(slot);
    });
  }

  /** Owned entities of a kind not seen by this run, in key order (paged: see PAGE_SIZE). */
  *unseen(source: string, scope: string, kind: string): IterableIterator<IndexedEntity> {
    this.byScope();
    let after = '';
    for (;;) {
      const rows = this.stmts.pageOfKind.all(source, scope, kind, after, PAGE_SIZE) as Array<[number, string]>;
      for (const [slot, key] of rows) {
        if (this.seen.get(slot) === 0) yield this.get(source, key)!;
      }
      if (rows.length < PAGE_SIZE) return;
      after = rows[rows.length - 1]![1];
    }
  }

  countUnseen(source: string, scope: string, kind: string): number {
    this.byScope();
    let n = 0;
    for (const slot of this.stmts.slotsOfKind.iterate(source, scope, kind) as IterableIterator<number>) if (this.seen.get(slot) === 0) n++;
    return n;
  }

  count(source: string, scope: string, kind?: string): number {
    this.byScope();
    return (kind === undefined ? this.stmts.countScope.get(source, scope) : this.stmts.countKind.get(source, scope, kind)) as number;
  }

  /** The scopes that owned entities of a source name in their stamps. */
  scopes(source: string): string[] {
    this.byScope();
    return this.stmts.scopes.all(source) as string[];
  }

  /** Every owned entity of a scope, in key order (paged). */
  *ofScope(source: string, scope: string): IterableIterator<IndexedEntity> {
    this.byScope();
    let after = '';
    for (;;) {
      const keys = this.stmts.pageOfScope.all(source, scope, after, PAGE_SIZE) as string[];
      for (const key of keys) yield this.get(source, key)!;
      if (keys.length < PAGE_SIZE) return;
      after = keys[keys.length - 1]!;
    }
  }

  /** Re-files the entities stamped with scope id `from` under `to` (Scope.formerIds). */
  moveScope(source: string, from: string, to: string): number {
    this.byScope();
    return this.run.write(() => this.stmts.moveScope.run(to, source, from).changes);
  }

  /** Extra Elder entities carrying an already indexed key (few: materialised). */
  duplicates(source: string, scope: string): DuplicateEntity[] {
    this.deferred.settle();
    return (this.stmts.duplicatesOf.all(source, scope) as Array<[string, number, string, string, string]>).map(([key, elderId, kind, name, projection]) => ({
      key,
      elderId,
      kind,
      name,
      projection: JSON.parse(projection) as Projection,
    }));
  }

  /** Inserts or updates an entry (its slot kept when it exists); returns the slot. */
  private write(entry: IndexedEntity, body: string): number {
    const inserted = this.insertNew(entry, body);
    if (inserted !== null) return inserted;
    const slot = (this.stmts.slotOf.get(entry.source, entry.key) as [number, number])[0];
    this.stmts.update.run(entry.elderId, entry.scope, entry.kind, entry.hash, entry.organizationId, entry.source, entry.key);
    this.stmts.bodyPut.run(slot, body);
    return slot;
  }

  /** Inserts an entry under a new slot, with its body; null when its key is already there. */
  private insertNew(entry: IndexedEntity, body: string): number | null {
    const slot = this.nextSlot;
    if (this.stmts.insert.run(entry.source, entry.key, slot, entry.elderId, entry.scope, entry.kind, entry.hash, entry.organizationId).changes !== 1) return null;
    this.nextSlot++;
    this.stmts.bodyPut.run(slot, body);
    return slot;
  }

  /**
   * The index by (source, scope, kind), built after step 1 has loaded what Elder holds; with the
   * pending puts written, for the listings that read it.
   */
  private byScope(): void {
    this.deferred.settle();
    // Key and slot in it too: the per-kind listings read it alone, in key order (without them SQLite
    // preferred scanning the primary key, a whole source per scope).
    this.run.ensureIndex('owned_scope', 'owned (source, scope, kind, key, slot)');
  }
}

function pendingKey(source: string, key: string): string {
  return `${source}\u0000${key}`;
}

type EntityRow = [source: string, key: string, elderId: number, scope: string, kind: string, hash: string, orgId: number, body: string];

/**
 * The body of an entry whose projection is not what its stamp says (`replace`: relations Elder does
 * not confirm; `put` of an answer without a stamp): the projection as given.
 */
function bodyOf(entry: IndexedEntity): string {
  return JSON.stringify({ projection: entry.projection, attributes: entry.attributes, tags: entry.tags });
}

/**
 * The body of an entity found in Elder (`add`) or written by this run (`put`). Its projection is what
 * its stamp says of it (`actualProjection`), so only the fields that derive it are kept, not the
 * owned attributes twice: every owned entity writes one, and few are read back (a change, a delete).
 */
function foundBodyOf({ projection, attributes, tags }: IndexedEntity): string {
  return JSON.stringify({ found: { name: projection.name, type: projection.type, subType: projection.subType, organization: projection.organization }, attributes, tags });
}

type Body =
  | Pick<IndexedEntity, 'projection' | 'attributes' | 'tags'>
  | { found: Pick<Projection, 'name' | 'type' | 'subType' | 'organization'>; attributes: JsonObject; tags: string[]; projection?: undefined };

function fromRow([source, key, elderId, scope, kind, hash, organizationId, text]: EntityRow): IndexedEntity {
  const body = JSON.parse(text) as Body;
  const { attributes, tags } = body;
  const projection = body.projection ?? actualProjection({ ...body.found, attributes, tags }, readStamp(attributes)!, body.found.organization);
  return { source, key, elderId, scope, kind, hash, projection, attributes, tags, organizationId };
}
