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
    // Set before the first table: a run's working set outgrows the page cache (the plan's changes
    // alone are ~100 MB at 100 000 objects), and every page in or out of it is a read or write call
    // on the temporary file. 16 KiB pages (not SQLite's 4) made a 20 000-user first sync 15 000 of
    // those calls instead of 37 000, its no-change run 4 200 instead of 10 400 (`strace -c`).
    this.db.pragma('page_size = 16384');
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

/**
 * Rows an owner keeps aside and writes together (`flush`, inside `RunDatabase.write`): a lone insert
 * made between two requests' work cost about four times one in a batch (SQLite's pages and code no
 * longer in the CPU's caches). They go at BATCH_ROWS, BATCH_ROWS_MS after the first, or when `settle`
 * is called: the owner calls it before every read of its tables. `flush` forgets the rows only once
 * they are written, so a flush refused before it began (a statement still being iterated) loses none.
 */
export class DeferredRows {
  /** What the timer's flush threw: thrown by the next `settle`, not from the timer (it would end the process). */
  private failed: { error: unknown } | null = null;

  constructor(
    private readonly run: RunDatabase,
    private readonly flush: () => void,
    /** How many rows the owner holds now. */
    private readonly waiting: () => number,
  ) {}

  /** The owner took one more row. */
  added(): void {
    const waiting = this.waiting();
    if (waiting === 1) setTimeout(this.settleLater, BATCH_ROWS_MS).unref();
    else if (waiting >= BATCH_ROWS) this.settle();
  }

  /** Writes the waiting rows now; first throws what writing them from the timer threw. */
  settle(): void {
    if (this.failed) {
      const { error } = this.failed;
      this.failed = null;
      throw error;
    }
    if (this.waiting() === 0 || !this.run.db.open) return;
    this.run.write(this.flush);
  }

  private readonly settleLater = (): void => {
    try {
      this.settle();
    } catch (error) {
      // Like `RunDatabase.commit`: a plan still being read by a slow consumer; write them later.
      if (error instanceof TypeError && this.run.db.open && /busy/.test(error.message)) setTimeout(this.settleLater, BATCH_ROWS_MS).unref();
      else this.failed = { error };
    }
  };
}

/** Rows kept aside at most, and for at most this long (see DeferredRows). */
const BATCH_ROWS = 256;
const BATCH_ROWS_MS = 20;

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
