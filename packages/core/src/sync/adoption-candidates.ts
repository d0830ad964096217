import type { ElderEntity } from '../elder/types.js';
import { canonicalJson, type JsonValue } from '../json.js';
import type { RunDatabase } from './run-database.js';

/** Ambiguous adoption candidates listed by id (the lookup reads at most this many). */
const AMBIGUOUS_LISTED = 5;

/**
 * `--adopt`: unowned Elder entities a record may take over, by the natural keys the connector
 * declares (the Python worker's `ldap_dn`, `instance_id`, …). Also listed, without `--adopt`, on a
 * source's first plan, so the plan can name the look-alikes it would duplicate.
 */
export class AdoptionCandidates {
  private readonly stmts;

  constructor(private readonly run: RunDatabase) {
    run.db.exec(`
      CREATE TABLE adoptable (
        source TEXT NOT NULL, entity_type TEXT NOT NULL, natural_key TEXT NOT NULL, value TEXT NOT NULL,
        elder_id INTEGER NOT NULL, entity TEXT NOT NULL
      );
      CREATE INDEX adoptable_match ON adoptable (source, entity_type, natural_key, value, elder_id);
      CREATE INDEX adoptable_id ON adoptable (source, elder_id);
    `);
    const db = run.db;
    this.stmts = {
      insert: db.prepare(`INSERT INTO adoptable (source, entity_type, natural_key, value, elder_id, entity) VALUES (?, ?, ?, ?, ?, ?)`),
      find: db.prepare(
        `SELECT DISTINCT elder_id, entity FROM adoptable WHERE source = ? AND entity_type = ? AND natural_key = ? AND value = ? ORDER BY elder_id LIMIT ${AMBIGUOUS_LISTED}`,
      ).raw(),
      claim: db.prepare(`DELETE FROM adoptable WHERE source = ? AND elder_id = ?`),
    };
  }

  /**
   * Remembers an unowned entity that a record may adopt on `naturalKey`. With `fold`, the value is
   * compared case-folded (a kind's `naturalKeyCase: 'insensitive'`).
   */
  add(source: string, entity: ElderEntity, naturalKey: string, value: JsonValue, fold = false): void {
    this.run.write(() => this.stmts.insert.run(source, entity.type, naturalKey, naturalKeyValue(value, fold), entity.id, JSON.stringify(entity)));
  }

  /**
   * The unowned entity matching on `naturalKey`, taken (with `claim`) so no other record adopts it;
   * `ambiguous` when several unowned entities match: none is taken, a person must choose.
   */
  find(
    source: string,
    entityType: string,
    naturalKey: string,
    value: JsonValue,
    options: { fold?: boolean; claim?: boolean } = {},
  ): { entity: ElderEntity } | { ambiguous: number[] } | null {
    const rows = this.stmts.find.all(source, entityType, naturalKey, naturalKeyValue(value, options.fold ?? false)) as Array<[number, string]>;
    if (rows.length === 0) return null;
    if (rows.length > 1) return { ambiguous: rows.map(([id]) => id) };
    const [elderId, entity] = rows[0]!;
    if (options.claim) this.run.write(() => this.stmts.claim.run(source, elderId));
    return { entity: JSON.parse(entity) as ElderEntity };
  }
}

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
