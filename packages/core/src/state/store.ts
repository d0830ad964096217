import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readSync, renameSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { ElderSyncError, errorMessage } from '../errors.js';
import { SQLITE_CACHE_SIZE } from '../sqlite-cache.js';
import type { JsonValue } from '../json.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';

/** How a scope's last run ended. */
export type ScopeRunStatus = 'success' | 'partial' | 'failed';

/** Checkpoint of one (source, scope). */
export interface ScopeState {
  /** The connector's last committed cursor; `null` = none (the next read starts from scratch). */
  cursor: JsonValue | null;
  /** Completed runs since the last full read (0 right after one); the runner compares it with `fullEvery`. */
  runsSinceFull: number;
  /** ISO time of the last completed full read, `null` if there never was one. */
  lastFullReadAt: string | null;
  lastRunAt: string | null;
  lastStatus: ScopeRunStatus | null;
}

export type ElderObjectKind = 'entity' | 'organization';

/** One synced object: its identity key and where it lives in Elder. */
export interface Mapping {
  source: string;
  scope: string;
  /** The identity key (`<source>/<kind>/<externalId>`, DESIGN §5.1); the store does not parse it. */
  key: string;
  /** The connector's record kind. */
  kind: string;
  elderKind: ElderObjectKind;
  elderId: number;
  /** Content hash of the mapped Elder payload; `null` when unknown (e.g. adopted, never written). */
  hash: string | null;
  /** Created by this tool, so it may be deleted or marked (DESIGN §5.4). */
  owned: boolean;
}

/** Mapping changes committed together with a checkpoint. */
export interface MappingChanges {
  put?: Iterable<Mapping>;
  /** Keys (of the same source) to forget. */
  delete?: Iterable<string>;
}

export interface CommitScopeInput extends MappingChanges {
  /** The cursor to keep; `undefined` keeps the stored one, `null` clears it. */
  cursor?: JsonValue | null;
  /** The run read everything: resets `runsSinceFull` and stamps `lastFullReadAt`. */
  fullRead: boolean;
  status: ScopeRunStatus;
}

/** A row of `elder-sync state list`. */
export interface ScopeSummary {
  source: string;
  scope: string;
  mappings: number;
  ownedMappings: number;
  cursor: JsonValue | null;
  runsSinceFull: number;
  lastRunAt: string | null;
  lastStatus: ScopeRunStatus | null;
  lastFullReadAt: string | null;
}

export interface StateStoreOptions {
  /**
   * Open an existing file for reading only (`--dry-run`, `state list`): nothing is created,
   * migrated or written, and every write throws.
   */
  readonly?: boolean;
  /** Milliseconds a writer waits for another process's lock before failing (default 5000). */
  busyTimeoutMs?: number;
  /** Clock for timestamps (tests). */
  now?: () => Date;
}

/** Problems with the state file itself: unreadable, not SQLite, written by a newer elder-sync. */
export class StateError extends ElderSyncError {
  constructor(code: string, message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
  }
}

/** Deferred mapping changes written together at most (see `StateStore.deferMapping`)... */
const DEFERRED_MAX = 1000;
/** ...and at the latest this long after the first of them. */
const DEFERRED_MS = 200;

/** Rows fetched per page by `mappings()`. */
const MAPPING_PAGE_SIZE = 1000;

interface ScopeRow {
  cursor: string | null;
  runs_since_full: number;
  last_full_read_at: string | null;
  last_run_at: string | null;
  last_status: string | null;
}

interface MappingRow {
  source: string;
  scope: string;
  key: string;
  kind: string;
  elder_kind: string;
  elder_id: number;
  hash: string | null;
  owned: number;
}

const MAPPING_COLUMNS = 'source, scope, key, kind, elder_kind, elder_id, hash, owned';

/**
 * Checkpoints and key → Elder id mappings, keyed by source name and scope id, in one SQLite file.
 * Synchronous (better-sqlite3): every call is a short local transaction, cheaper than a promise.
 */
export class StateStore {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly now: () => Date;
  private readonly stmts: ReturnType<typeof prepareStatements>;
  private closed = false;
  /** Confirmed mapping changes not yet written (see `deferMapping`), in order. */
  private deferred: Array<{ put: Mapping } | { delete: { source: string; key: string } }> = [];
  private flushTimer: NodeJS.Timeout | null = null;

  private constructor(db: Database.Database, path: string, options: StateStoreOptions) {
    this.db = db;
    this.path = path;
    this.now = options.now ?? (() => new Date());
    this.stmts = prepareStatements(db);
  }

  /**
   * Opens (creating it and its directory if needed) the state file at `path`.
   * The file is created with mode 0600: it holds no secrets, but inventory keys are nobody else's business.
   */
  static open(path: string, options: StateStoreOptions = {}): StateStore {
    const file = resolve(path);
    const readonly = options.readonly === true;
    const busyTimeoutMs = Math.trunc(options.busyTimeoutMs ?? 5000);
    let db: Database.Database;
    // Before SQLite sees it: a file that is not ours, or cut short, must not be "repaired" by
    // creating our tables in it (silent loss) or fail later in the middle of a run.
    const problem = inspectStateFile(file);
    if (problem !== null) throw unusable(file, problem.code, problem.reason);
    try {
      if (!readonly) {
        mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
        if (!existsSync(file)) {
          // Create it ourselves so the mode is ours and not the umask's; SQLite gives its -wal and
          // -shm files the database file's permissions.
          closeSync(openSync(file, 'a', 0o600));
          chmodSync(file, 0o600);
        }
      }
      db = new Database(file, { readonly, fileMustExist: readonly, timeout: busyTimeoutMs });
    } catch (error) {
      throw new StateError('STATE_OPEN_FAILED', `cannot open the state file ${file}: ${errorMessage(error)}`, {
        cause: error,
      });
    }
    try {
      db.pragma(`busy_timeout = ${busyTimeoutMs}`);
      checkOurs(db, file);
      if (readonly) {
        checkVersion(db, file);
      } else {
        // WAL: readers (state list, /status, a dry run) never block the writer. synchronous=NORMAL
        // can lose the last transactions on power loss but never corrupts; lost mappings are
        // re-adopted from the keys stored on the Elder objects (DESIGN §5.1), a lost cursor only
        // means reading again.
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
        db.pragma(SQLITE_CACHE_SIZE);
        migrate(db, file);
      }
      return new StateStore(db, file, options);
    } catch (error) {
      db.close();
      if (error instanceof StateError) throw error;
      const code = (error as { code?: unknown }).code;
      if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT_INDEX') {
        throw unusable(file, 'STATE_CORRUPT', `it is corrupt (${errorMessage(error)})`, error);
      }
      throw new StateError(
        'STATE_OPEN_FAILED',
        `cannot use the state file ${file}: ${errorMessage(error)} (if it stays unreadable, "elder-sync state reset --yes" moves it aside and the next run re-adopts from Elder)`,
        { cause: error },
      );
    }
  }

  /**
   * Moves an unreadable state file (and its -wal and -shm) aside, to `<file>.unreadable-<time>`,
   * so `state reset` works on exactly the files `open` refuses and nothing is deleted. Returns
   * the new path of the main file, or null when there was nothing to move.
   */
  static moveAside(path: string, now: Date = new Date()): string | null {
    const file = resolve(path);
    if (!existsSync(file)) return null;
    const target = `${file}.unreadable-${now.toISOString().replace(/[:.]/g, '-')}`;
    for (const suffix of ['', '-wal', '-shm']) {
      if (existsSync(file + suffix)) renameSync(file + suffix, target + suffix);
    }
    return target;
  }

  /** A throwaway in-memory store (tests, `--dry-run`). */
  static memory(options: StateStoreOptions = {}): StateStore {
    const db = new Database(':memory:');
    migrate(db, ':memory:');
    return new StateStore(db, ':memory:', options);
  }

  // ---------------------------------------------------------------- checkpoints

  getScopeState(source: string, scope: string): ScopeState | null {
    const row = this.stmts.getScope.get(source, scope) as ScopeRow | undefined;
    return row === undefined ? null : scopeStateFromRow(row);
  }

  /**
   * Saves a mid-run cursor (after Elder confirmed every write before it) without counting a run.
   * Creates the scope's row if needed.
   */
  saveCursor(source: string, scope: string, cursor: JsonValue | null): void {
    this.stmts.saveCursor.run({ source, scope, cursor: encodeCursor(cursor) });
  }

  /**
   * Ends a scope's run: the cursor, the run counters and the mapping changes in ONE transaction,
   * so a checkpoint never gets ahead of the mappings it depends on.
   */
  commitScope(source: string, scope: string, input: CommitScopeInput): void {
    const at = this.now().toISOString();
    this.transaction(() => {
      this.flushMappings();
      this.applyChanges(source, input);
      this.stmts.commitScope.run({
        source,
        scope,
        keepCursor: input.cursor === undefined ? 1 : 0,
        cursor: input.cursor === undefined ? null : encodeCursor(input.cursor),
        full: input.fullRead ? 1 : 0,
        at,
        status: input.status,
      });
    });
  }

  // ---------------------------------------------------------------- mappings

  /**
   * Records a mapping change Elder has confirmed, written with others in one transaction (at most
   * DEFERRED_MAX of them, or DEFERRED_MS later, or before anything reads mappings or commits a
   * scope). One transaction per write cost more than the write's own Elder request. A crash loses
   * at most that batch, which converges: Elder holds the key in the object's stamp (DESIGN §5.1),
   * and the cursor is committed only after the mappings before it (`commitScope` flushes first).
   */
  deferMapping(change: { put: Mapping } | { delete: { source: string; key: string } }): void {
    this.deferred.push(change);
    if (this.deferred.length >= DEFERRED_MAX) this.flushMappings();
    else this.flushTimer ??= setTimeout(() => this.flushLater(), DEFERRED_MS).unref();
  }

  /** Writes the deferred mapping changes now. */
  flushMappings(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (this.deferred.length === 0 || this.closed) return;
    const batch = this.deferred;
    this.deferred = [];
    try {
      this.transaction(() => {
        for (const change of batch) {
          if ('put' in change) this.stmts.putMapping.run(...mappingParams(change.put));
          else this.stmts.deleteMapping.run(change.delete.source, change.delete.key);
        }
      });
    } catch (error) {
      // Kept for the next flush (the caller's, which then fails too, or the timer's).
      this.deferred = batch.concat(this.deferred);
      throw error;
    }
  }

  /** The timer's flush: a busy file (another writer) is retried at the next interval, not thrown. */
  private flushLater(): void {
    this.flushTimer = null;
    try {
      this.flushMappings();
    } catch {
      if (!this.closed) this.flushTimer = setTimeout(() => this.flushLater(), DEFERRED_MS).unref();
    }
  }

  /** Inserts or replaces the mapping of `mapping.key`. Call it as each Elder write is confirmed. */
  putMapping(mapping: Mapping): void {
    if (this.deferred.length > 0) this.flushMappings();
    this.stmts.putMapping.run(...mappingParams(mapping));
  }

  getMapping(source: string, key: string): Mapping | null {
    if (this.deferred.length > 0) this.flushMappings();
    const row = this.stmts.getMapping.get(source, key) as MappingRow | undefined;
    return row === undefined ? null : mappingFromRow(row);
  }

  /** Returns whether a mapping was there. */
  deleteMapping(source: string, key: string): boolean {
    if (this.deferred.length > 0) this.flushMappings();
    return this.stmts.deleteMapping.run(source, key).changes > 0;
  }

  /** Puts and deletes mappings in one transaction. */
  applyMappingChanges(source: string, changes: MappingChanges): void {
    this.flushMappings();
    this.transaction(() => this.applyChanges(source, changes));
  }

  /**
   * A source's (or one scope's) mappings in key order, streamed in pages of 1000.
   *
   * Paged by key rather than one open `stmt.iterate()`: better-sqlite3 refuses every other
   * statement on the connection while an iterator is open, and callers write (put, delete)
   * while walking mappings. Rows changed behind the cursor are seen at most once.
   */
  *mappings(source: string, scope?: string, elderKind?: Mapping['elderKind']): IterableIterator<Mapping> {
    this.flushMappings();
    let after = '';
    for (;;) {
      const rows = (
        scope === undefined
          ? this.stmts.pageBySource.all(source, after, MAPPING_PAGE_SIZE)
          : elderKind === undefined
            ? this.stmts.pageByScope.all(source, scope, after, MAPPING_PAGE_SIZE)
            // A scope's organizations among its (many more) entities, without a row object per entity.
            : this.stmts.pageByScopeKind.all(source, scope, elderKind, after, MAPPING_PAGE_SIZE)
      ) as MappingRow[];
      for (const row of rows) yield mappingFromRow(row);
      const last = rows[rows.length - 1];
      if (last === undefined || rows.length < MAPPING_PAGE_SIZE) return;
      after = last.key;
    }
  }

  countMappings(source: string, scope?: string, elderKind?: Mapping['elderKind']): number {
    this.flushMappings();
    const row = (
      scope === undefined
        ? this.stmts.countBySource.get(source)
        : elderKind === undefined
          ? this.stmts.countByScope.get(source, scope)
          : this.stmts.countByScopeKind.get(source, scope, elderKind)
    ) as { n: number };
    return row.n;
  }

  // ---------------------------------------------------------------- whole store

  /** Every (source, scope) that has a checkpoint or mappings, sorted, for `elder-sync state list`. */
  sources(): ScopeSummary[] {
    this.flushMappings();
    const rows = this.stmts.summary.all() as Array<
      ScopeRow & { source: string; scope: string; mappings: number; owned: number }
    >;
    return rows.map((row) => ({
      source: row.source,
      scope: row.scope,
      mappings: row.mappings,
      ownedMappings: row.owned,
      ...scopeStateFromRow(row),
    }));
  }

  /**
   * Forgets checkpoints and mappings: of one scope, of one source, or everything.
   * Returns how many checkpoints and mappings were removed.
   */
  /**
   * Moves a scope's cursor and mappings from id `from` to `to` (Scope.formerIds), unless `to` has
   * state of its own already. Returns whether anything moved.
   */
  /**
   * Puts back a scope's state and mappings exactly as another store held them (a worker's unit,
   * checked out of JetStream KV into a memory store), without counting a run.
   */
  restoreScope(source: string, scope: string, state: ScopeState | null, mappings: Iterable<Mapping>): void {
    this.transaction(() => {
      if (state) {
        this.db
          .prepare(
            `INSERT INTO scopes (source, scope, cursor, runs_since_full, last_full_read_at, last_run_at, last_status)
             VALUES (?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(source, scope, encodeCursor(state.cursor), state.runsSinceFull, state.lastFullReadAt, state.lastRunAt, state.lastStatus);
      }
      this.applyChanges(source, { put: mappings });
    });
  }

  renameScope(source: string, from: string, to: string): boolean {
    return this.db.transaction(() => {
      if (from === to || this.getScopeState(source, to) !== null) return false;
      const scopes = this.db.prepare('UPDATE scopes SET scope = ? WHERE source = ? AND scope = ?').run(to, source, from).changes;
      const mappings = this.db.prepare('UPDATE mappings SET scope = ? WHERE source = ? AND scope = ?').run(to, source, from).changes;
      return scopes + mappings > 0;
    })();
  }

  reset(source?: string, scope?: string): { scopes: number; mappings: number } {
    if (source === undefined && scope !== undefined) {
      throw new TypeError('StateStore.reset: a scope needs its source');
    }
    this.flushMappings();
    return this.transaction(() => {
      if (source === undefined) {
        return {
          scopes: this.db.prepare('DELETE FROM scopes').run().changes,
          mappings: this.db.prepare('DELETE FROM mappings').run().changes,
        };
      }
      if (scope === undefined) {
        return {
          scopes: this.db.prepare('DELETE FROM scopes WHERE source = ?').run(source).changes,
          mappings: this.db.prepare('DELETE FROM mappings WHERE source = ?').run(source).changes,
        };
      }
      return {
        scopes: this.db.prepare('DELETE FROM scopes WHERE source = ? AND scope = ?').run(source, scope).changes,
        mappings: this.db.prepare('DELETE FROM mappings WHERE source = ? AND scope = ?').run(source, scope).changes,
      };
    });
  }

  /**
   * The secret that signs saved plans (`diff --out`, verified by `apply`); with `create`, 32 random
   * bytes are made when there is none. Kept in a table of its own, created on first use, so files
   * without one keep their schema version and older elder-syncs still open them.
   */
  planKey(create: boolean): Buffer | null {
    return this.transaction(() => {
      const table = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'plan_key'").get();
      if (table === undefined) {
        if (!create) return null;
        this.db.exec('CREATE TABLE plan_key (key BLOB NOT NULL)');
      }
      const row = this.db.prepare('SELECT key FROM plan_key LIMIT 1').get() as { key: Buffer } | undefined;
      if (row !== undefined) return row.key;
      if (!create) return null;
      const key = randomBytes(32);
      this.db.prepare('INSERT INTO plan_key (key) VALUES (?)').run(key);
      return key;
    });
  }

  /**
   * Runs `fn` in one transaction: all its writes land, or (if it throws) none. Nests (savepoints).
   * `fn` must be synchronous; SQLite cannot hold a transaction open across an `await`.
   */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  close(): void {
    if (this.closed) return;
    this.flushMappings();
    this.closed = true;
    this.db.close();
  }

  private applyChanges(source: string, changes: MappingChanges): void {
    for (const mapping of changes.put ?? []) {
      if (mapping.source !== source) {
        throw new TypeError(`StateStore: mapping ${mapping.key} belongs to source ${mapping.source}, not ${source}`);
      }
      this.stmts.putMapping.run(...mappingParams(mapping));
    }
    for (const key of changes.delete ?? []) this.stmts.deleteMapping.run(source, key);
  }
}

function prepareStatements(db: Database.Database) {
  return {
    getScope: db.prepare(
      'SELECT cursor, runs_since_full, last_full_read_at, last_run_at, last_status FROM scopes WHERE source = ? AND scope = ?',
    ),
    saveCursor: db.prepare(
      `INSERT INTO scopes (source, scope, cursor) VALUES (@source, @scope, @cursor)
       ON CONFLICT (source, scope) DO UPDATE SET cursor = excluded.cursor`,
    ),
    commitScope: db.prepare(
      `INSERT INTO scopes (source, scope, cursor, runs_since_full, last_full_read_at, last_run_at, last_status)
       VALUES (@source, @scope, CASE WHEN @keepCursor THEN NULL ELSE @cursor END,
               CASE WHEN @full THEN 0 ELSE 1 END, CASE WHEN @full THEN @at END, @at, @status)
       ON CONFLICT (source, scope) DO UPDATE SET
         cursor            = CASE WHEN @keepCursor THEN cursor ELSE @cursor END,
         runs_since_full   = CASE WHEN @full THEN 0 ELSE runs_since_full + 1 END,
         last_full_read_at = CASE WHEN @full THEN @at ELSE last_full_read_at END,
         last_run_at       = @at,
         last_status       = @status`,
    ),
    putMapping: db.prepare(
      `INSERT INTO mappings (${MAPPING_COLUMNS})
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (source, key) DO UPDATE SET
         scope = excluded.scope, kind = excluded.kind, elder_kind = excluded.elder_kind,
         elder_id = excluded.elder_id, hash = excluded.hash, owned = excluded.owned`,
    ),
    getMapping: db.prepare(`SELECT ${MAPPING_COLUMNS} FROM mappings WHERE source = ? AND key = ?`),
    deleteMapping: db.prepare('DELETE FROM mappings WHERE source = ? AND key = ?'),
    pageBySource: db.prepare(
      `SELECT ${MAPPING_COLUMNS} FROM mappings WHERE source = ? AND key > ? ORDER BY key LIMIT ?`,
    ),
    pageByScope: db.prepare(
      `SELECT ${MAPPING_COLUMNS} FROM mappings WHERE source = ? AND scope = ? AND key > ? ORDER BY key LIMIT ?`,
    ),
    pageByScopeKind: db.prepare(
      `SELECT ${MAPPING_COLUMNS} FROM mappings WHERE source = ? AND scope = ? AND elder_kind = ? AND key > ? ORDER BY key LIMIT ?`,
    ),
    countBySource: db.prepare('SELECT count(*) AS n FROM mappings WHERE source = ?'),
    countByScope: db.prepare('SELECT count(*) AS n FROM mappings WHERE source = ? AND scope = ?'),
    countByScopeKind: db.prepare('SELECT count(*) AS n FROM mappings WHERE source = ? AND scope = ? AND elder_kind = ?'),
    summary: db.prepare(
      `WITH counts AS (
         SELECT source, scope, count(*) AS mappings, sum(owned) AS owned FROM mappings GROUP BY source, scope
       ), keys AS (
         SELECT source, scope FROM scopes UNION SELECT source, scope FROM counts
       )
       SELECT k.source, k.scope, coalesce(c.mappings, 0) AS mappings, coalesce(c.owned, 0) AS owned,
              s.cursor, coalesce(s.runs_since_full, 0) AS runs_since_full, s.last_full_read_at,
              s.last_run_at, s.last_status
       FROM keys k
       LEFT JOIN scopes s ON s.source = k.source AND s.scope = k.scope
       LEFT JOIN counts c ON c.source = k.source AND c.scope = k.scope
       ORDER BY k.source, k.scope`,
    ),
  };
}

function storedVersion(db: Database.Database): number | undefined {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get();
  if (table === undefined) return undefined;
  const row = db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
  return row?.version;
}

function tooNew(file: string, version: number): StateError {
  return new StateError(
    'STATE_TOO_NEW',
    `the state file ${file} has schema version ${version}, this elder-sync knows up to ${SCHEMA_VERSION} (it was written by a newer elder-sync); upgrade elder-sync, or run "elder-sync state reset --yes" to move it aside and start over (the next run re-adopts every object from the keys stored on it in Elder, creating no duplicates)`,
  );
}

/** The codes of a state file that cannot be used at all (`state reset --yes` moves it aside). */
export const UNUSABLE_STATE_CODES: readonly string[] = ['STATE_CORRUPT', 'STATE_TRUNCATED', 'STATE_FOREIGN', 'STATE_NOT_SQLITE', 'STATE_TOO_NEW'];

function unusable(file: string, code: string, reason: string, cause?: unknown): StateError {
  return new StateError(
    code,
    `the state file ${file} cannot be used: ${reason}. Nothing in Elder is lost: run "elder-sync state reset --yes" (it moves the file aside, to ${file}.unreadable-<time>), and the next run re-adopts every object from the keys stored on it in Elder, creating no duplicates`,
    cause === undefined ? {} : { cause },
  );
}

const SQLITE_MAGIC = Buffer.from('SQLite format 3\u0000', 'latin1');

/**
 * What can be told from the file's first 100 bytes (https://www.sqlite.org/fileformat2.html#the_database_header):
 * not SQLite at all, or shorter than the page count its header declares (cut short by a full disk,
 * a partial copy, a `> state.db`). An empty file is a new one.
 */
function inspectStateFile(file: string): { code: string; reason: string } | null {
  let size: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) return stat.isDirectory() ? { code: 'STATE_NOT_SQLITE', reason: 'it is a directory; state.path must name a file' } : null;
    size = stat.size;
  } catch {
    return null; // missing: created (or refused) by the open below
  }
  if (size === 0) return null;
  const header = Buffer.alloc(100);
  const fd = openSync(file, 'r');
  let read: number;
  try {
    read = readSync(fd, header, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  if (read < SQLITE_MAGIC.length || !header.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC)) {
    return { code: 'STATE_NOT_SQLITE', reason: 'it is not an SQLite database (overwritten, or another kind of file)' };
  }
  if (read < 100) return { code: 'STATE_TRUNCATED', reason: `it is cut short (${size} bytes, not even a database header)` };
  const rawPageSize = header.readUInt16BE(16);
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
  const pages = header.readUInt32BE(28);
  // The in-header size is valid only when "version-valid-for" matches the change counter.
  const valid = header.readUInt32BE(92) === header.readUInt32BE(24);
  if (valid && pages > 0 && pageSize >= 512 && size < pages * pageSize) {
    return { code: 'STATE_TRUNCATED', reason: `it is cut short (${size} bytes of the ${pages * pageSize} its header declares)` };
  }
  return null;
}

/** Another program's SQLite database has tables but none of ours: never write into it. */
function checkOurs(db: Database.Database, file: string): void {
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);
  if (tables.length === 0 || tables.includes('schema_version')) return;
  const shown = tables.slice(0, 5).join(', ') + (tables.length > 5 ? ', …' : '');
  throw unusable(file, 'STATE_FOREIGN', `it is an SQLite database, but not an elder-sync state file (its tables: ${shown}); if state.path points at another program's database, point it elsewhere`);
}

/** A read-only handle cannot migrate, so it needs a file at exactly this version. */
function checkVersion(db: Database.Database, file: string): void {
  const version = storedVersion(db) ?? 0;
  if (version > SCHEMA_VERSION) throw tooNew(file, version);
  if (version < SCHEMA_VERSION) {
    throw new StateError(
      'STATE_OUTDATED',
      `the state file ${file} has schema version ${version} and needs upgrading to ${SCHEMA_VERSION}; run once without --dry-run`,
    );
  }
}

function migrate(db: Database.Database, file: string): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  db.transaction(() => {
    const row = db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
    const current = row?.version ?? 0;
    if (current > SCHEMA_VERSION) throw tooNew(file, current);
    for (let version = current; version < SCHEMA_VERSION; version++) db.exec(MIGRATIONS[version] ?? '');
    if (row === undefined) db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(SCHEMA_VERSION);
    else if (current !== SCHEMA_VERSION) db.prepare('UPDATE schema_version SET version = ?').run(SCHEMA_VERSION);
  }).immediate();
}

function encodeCursor(cursor: JsonValue | null): string | null {
  return cursor === null ? null : JSON.stringify(cursor);
}

function scopeStateFromRow(row: ScopeRow): ScopeState {
  return {
    cursor: row.cursor === null ? null : (JSON.parse(row.cursor) as JsonValue),
    runsSinceFull: row.runs_since_full,
    lastFullReadAt: row.last_full_read_at,
    lastRunAt: row.last_run_at,
    lastStatus: row.last_status as ScopeRunStatus | null,
  };
}

/** In MAPPING_COLUMNS order, positional: one is bound per entity written, and names bind slower. */
function mappingParams(m: Mapping): [string, string, string, string, string, number, string | null, number] {
  return [m.source, m.scope, m.key, m.kind, m.elderKind, m.elderId, m.hash, m.owned ? 1 : 0];
}

function mappingFromRow(row: MappingRow): Mapping {
  return {
    source: row.source,
    scope: row.scope,
    key: row.key,
    kind: row.kind,
    elderKind: row.elder_kind as ElderObjectKind,
    elderId: row.elder_id,
    hash: row.hash,
    owned: row.owned === 1,
  };
}
