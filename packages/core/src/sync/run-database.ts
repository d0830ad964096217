import Database from 'better-sqlite3';
import { SQLITE_CACHE_SIZE } from '../sqlite-cache.js';

/** Writes per batch at most before it is committed (see `RunDatabase.write`). */
const BATCH_WRITES = 5000;
/** ...and at the latest this long after it began. */
const BATCH_MS = 100;

/**
 * The run's working set on disk, not on the heap (DESIGN §9): one private temporary SQLite database
 * (the "" filename: it disappears on close) that the owned index, the relation claims, the adoption
 * candidates and the plan's changes each keep their tables in. Nothing here has to survive a crash,
 * so it is written in batches, not transactions.
 */
export class RunDatabase {
  readonly db: Database.Database;
  /** Writes since the open batch began (see `write`). */
  private batched = 0;
  /** Indexes built on demand (see `ensureIndex`). */
  private readonly indexes = new Set<string>();

  constructor() {
    this.db = new Database('');
    this.db.pragma('journal_mode = OFF');
    this.db.pragma('synchronous = OFF');
    this.db.pragma(SQLITE_CACHE_SIZE);
  }

  /**
   * Runs one write inside the open batch, opening one if needed. A run writes a row or two per
   * record (index entries, changes); each in its own implicit transaction cost more than the
   * record's whole Elder request. So writes are batched: a batch commits BATCH_MS after it began
   * (a page of records, or the writes confirmed meanwhile), or after BATCH_WRITES writes.
   */
  write<T>(fn: () => T): T {
    if (!this.db.inTransaction) {
      this.db.exec('BEGIN');
      this.batched = 0;
      setTimeout(this.commit, BATCH_MS).unref();
    } else if (++this.batched >= BATCH_WRITES) {
      this.batched = 0;
      this.commit();
      if (!this.db.inTransaction) this.db.exec('BEGIN');
    }
    return fn();
  }

  /** Commits the open batch now (before a long read with an open statement). */
  readonly commit = (): void => {
    if (!this.db.open || !this.db.inTransaction) return;
    try {
      this.db.exec('COMMIT');
    } catch {
      // A statement is still being iterated (`PlanChanges.all()` read by a slow consumer): commit later.
      setTimeout(this.commit, BATCH_MS).unref();
    }
  };

  /**
   * Builds an index the first time a reader needs it: in one sort over the rows already there,
   * rather than kept up to date one random insert at a time while the table fills.
   */
  ensureIndex(name: string, on: string): void {
    if (this.indexes.has(name)) return;
    this.db.exec(`CREATE INDEX IF NOT EXISTS ${name} ON ${on}`);
    this.indexes.add(name);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** Reads a table a page at a time after `after` (better-sqlite3 refuses writes while an iterator is open). */
export const PAGE_SIZE = 1000;

/** A growable array of small per-row marks, indexed by a row's integer id (seen, outcome). */
export class RowMarks {
  private marks = new Uint8Array(1024);

  get(id: number): number {
    return id < this.marks.length ? this.marks[id]! : 0;
  }

  set(id: number, mark: number): void {
    if (id >= this.marks.length) {
      const grown = new Uint8Array(Math.max(id + 1, this.marks.length * 2));
      grown.set(this.marks);
      this.marks = grown;
    }
    this.marks[id] = mark;
  }
}
