import type { Statement } from 'better-sqlite3';
import { splitRelation } from './projection.js';
import { PAGE_SIZE, type RunDatabase } from './run-database.js';
import type { Projection } from './types.js';

/**
 * The relations owned entities' stamps claim, until Elder's dependencies confirm them (step 1's
 * check, elder-index.ts): a claim Elder no longer holds is planned again. Confirmation joins the
 * `owned` table of the same database (OwnedIndex), where both ends are found by Elder id.
 */
export class RelationClaims {
  private readonly stmts;
  private confirmStmt: Statement | undefined;

  constructor(private readonly run: RunDatabase) {
    run.db.exec(`
      CREATE TABLE claimed_relations (
        source TEXT NOT NULL, key TEXT NOT NULL, type TEXT NOT NULL, target_key TEXT NOT NULL,
        confirmed INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (source, key, type, target_key)
      ) WITHOUT ROWID;
      CREATE INDEX claimed_relations_open ON claimed_relations (source, confirmed, key);
    `);
    const db = run.db;
    this.stmts = {
      insert: db.prepare(`INSERT OR IGNORE INTO claimed_relations (source, key, type, target_key) VALUES (?, ?, ?, ?)`),
      clear: db.prepare(`DELETE FROM claimed_relations WHERE source = ? AND key = ?`),
      types: db.prepare(`SELECT DISTINCT type FROM claimed_relations WHERE source = ? ORDER BY type`).pluck(),
      openKeys: db.prepare(`SELECT DISTINCT key FROM claimed_relations WHERE source = ? AND confirmed = 0 AND key > ? ORDER BY key LIMIT ?`).pluck(),
      openOf: db.prepare(`SELECT type, target_key FROM claimed_relations WHERE source = ? AND key = ? AND confirmed = 0`).raw(),
    };
  }

  /** Remembers the relations an owned entity's stamp claims (inside the caller's batch). */
  claim(entry: { source: string; key: string; projection: Projection }): void {
    for (const relation of entry.projection.relations) {
      const { type, targetKey } = splitRelation(relation);
      this.stmts.insert.run(entry.source, entry.key, type, targetKey);
    }
  }

  clear(source: string, key: string): void {
    this.stmts.clear.run(source, key);
  }

  /** Dependency types that owned entities of a source claim. */
  types(source: string): string[] {
    return this.stmts.types.all(source) as string[];
  }

  /** An Elder dependency between two owned entities: the claim it matches, if any, holds. */
  confirm(source: string, type: string, sourceId: number, targetId: number): void {
    // Prepared on first use: the `owned` table it joins is created after this one (it claims through
    // us), and its index by Elder id is only worth building for a source whose stamps claim relations.
    this.run.ensureIndex('owned_elder_id', 'owned (source, elder_id)');
    this.confirmStmt ??= this.run.db.prepare(
      `UPDATE claimed_relations SET confirmed = 1 WHERE source = @source AND type = @type
         AND key = (SELECT key FROM owned WHERE source = @source AND elder_id = @sourceId)
         AND target_key = (SELECT key FROM owned WHERE source = @source AND elder_id = @targetId)`,
    );
    const stmt = this.confirmStmt;
    this.run.write(() => stmt.run({ source, type, sourceId, targetId }));
  }

  /** Owned entities with claims Elder did not confirm, each with those relations; paged by key. */
  *unconfirmed(source: string): IterableIterator<{ key: string; relations: string[] }> {
    let after = '';
    for (;;) {
      const keys = this.stmts.openKeys.all(source, after, PAGE_SIZE) as string[];
      for (const key of keys) {
        const rows = this.stmts.openOf.all(source, key) as Array<[string, string]>;
        yield { key, relations: rows.map(([type, targetKey]) => `${type}:${targetKey}`) };
      }
      if (keys.length < PAGE_SIZE) return;
      after = keys[keys.length - 1]!;
    }
  }
}
