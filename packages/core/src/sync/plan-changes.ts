import type { Statement } from 'better-sqlite3';
import { DeferredRows, PAGE_SIZE, RowMarks, type RunDatabase } from './run-database.js';
import type { ChangeAction, PlanChange, PlannedOrganization, PlanTally, Projection } from './types.js';

/** Details the applier needs beyond what the plan shows. */
export interface ChangeDetail {
  organizationPath?: string[];
  /** A delete of an extra Elder entity carrying an already indexed key, not of the object itself. */
  duplicate?: boolean;
  /** The content hash of `after`, computed once by the planner (saved plans do not carry it). */
  hash?: string;
}

export type ChangeOutcome = 'planned' | 'applied' | 'failed';
const OUTCOMES: ChangeOutcome[] = ['planned', 'applied', 'failed'];

export interface StoredChange extends PlanChange {
  seq: number;
  detail: ChangeDetail;
  /** The organization path the change is in (`after`'s, else `before`'s), without parsing either. */
  organization: string;
}

/**
 * Step 3's result and step 4's work list: the plan's changes, in the run database, so a plan of any
 * size is printed and applied without holding it (DESIGN §9). How applying each ended is a mark in
 * memory by its sequence number, not an UPDATE of an indexed row.
 */
export class PlanChanges {
  private readonly outcomes = new RowMarks();
  private readonly stmts;
  /** Changes added and not yet in the table (see `add`): each one's insert parameters. */
  private pending: unknown[][] = [];
  private readonly deferred: DeferredRows;
  private nextSeq = 1;

  constructor(private readonly run: RunDatabase) {
    this.deferred = new DeferredRows(run, () => {
      for (const row of this.pending) this.stmts.insert.run(row);
      this.pending = [];
    }, () => this.pending.length);
    run.db.exec(`
      CREATE TABLE changes (
        seq INTEGER PRIMARY KEY, source TEXT NOT NULL, scope TEXT NOT NULL, scope_label TEXT NOT NULL,
        key TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,
        elder_id INTEGER, before TEXT, after TEXT, reason TEXT, sensitive TEXT, detail TEXT NOT NULL,
        organization TEXT NOT NULL, links INTEGER NOT NULL
      );
      CREATE INDEX changes_links ON changes (source, scope, target, action, key) WHERE links = 1;
    `);
    const db = run.db;
    this.stmts = {
      // Positional parameters: binding sixteen by name cost more than the insert itself.
      insert: db.prepare(
        `INSERT INTO changes (seq, source, scope, scope_label, key, action, target, kind, name, elder_id, before, after, reason, sensitive, detail, organization, links)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      // The root organization comes first in a source's plan: it is created before everything else.
      all: db.prepare(`SELECT * FROM changes ORDER BY ${PLAN_ORDER} LIMIT ?`),
      tally: db.prepare(
        `SELECT source, action, target, kind, organization, count(*) AS count FROM changes
         GROUP BY source, action, target, kind, organization ORDER BY source, action, target, kind, organization`,
      ),
      // The root's own creation (scope '@root', outside every scope) is not below the root.
      organizationCreates: db.prepare(
        `SELECT source, scope, detail FROM changes WHERE target = 'organization' AND action = 'create' AND scope <> '@root' ORDER BY seq`,
      ),
      page: db.prepare(
        `SELECT * FROM changes WHERE source = ? AND scope = ? AND target = ? AND action = ?
         AND (key, seq) > (?, ?) ORDER BY key, seq LIMIT ?`,
      ),
      bySeq: db.prepare(`SELECT * FROM changes WHERE seq = ?`),
      linkedPage: db.prepare(
        `SELECT * FROM changes WHERE source = ? AND scope = ? AND target = ? AND action = ? AND links = 1
         AND (key, seq) > (?, ?) ORDER BY key, seq LIMIT ?`,
      ),
    };
  }

  /**
   * Adds a change to the plan; returns its sequence number. Written to the table in batches
   * (`DeferredRows`: planning adds one between two records' reads); every read writes them first.
   */
  add(change: PlanChange, detail: ChangeDetail = {}): number {
    const { before, after } = change;
    const seq = this.nextSeq++;
    this.pending.push([
      seq,
      change.source,
      change.scope,
      change.scopeLabel,
      change.key,
      change.action,
      change.target,
      change.kind,
      change.name,
      change.elderId,
      before ? JSON.stringify(before) : null,
      after ? JSON.stringify(after) : null,
      change.reason,
      change.sensitive?.length ? JSON.stringify(change.sensitive) : null,
      JSON.stringify(detail),
      organizationOf(change),
      change.target === 'entity' && hasLinks(before, after) ? 1 : 0,
    ]);
    this.deferred.added();
    return seq;
  }

  /**
   * Every change in the order the plan is shown in, or its first `limit`: a long plan prints its
   * first lines and counts the rest from `tally()`, so it sorts and copies no more rows than that.
   */
  *all(limit = Infinity): IterableIterator<StoredChange> {
    this.deferred.settle();
    this.run.commit();
    const rows = Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : -1;
    for (const row of this.stmts.all.iterate(rows) as IterableIterator<ChangeRow>) yield fromRow(row);
  }

  /** Every change counted by source, action, target, kind and organization, in that order. */
  tally(): PlanTally[] {
    this.deferred.settle();
    this.run.commit();
    return this.stmts.tally.all() as PlanTally[];
  }

  /** The organizations the plan creates below the sources' roots, in the order they were planned. */
  organizationCreates(): PlannedOrganization[] {
    this.deferred.settle();
    this.run.commit();
    return (this.stmts.organizationCreates.all() as Array<{ source: string; scope: string; detail: string }>).map((row) => ({
      source: row.source,
      scope: row.scope,
      path: (JSON.parse(row.detail) as ChangeDetail).organizationPath ?? [],
    }));
  }

  /**
   * Changes of one scope, target, action and outcome in key order, a page at a time (the applier
   * writes to this database while it walks).
   */
  of(source: string, scope: string, target: 'entity' | 'organization', action: ChangeAction, outcome: ChangeOutcome = 'planned'): IterableIterator<StoredChange> {
    // The index the applier walks, built when first walked (kept up to date through planning it
    // cost a fifth of adding a change).
    this.run.ensureIndex('changes_apply', 'changes (source, scope, target, action, key)');
    return this.paged(this.stmts.page, source, scope, target, action, outcome);
  }

  /** Applied entity changes whose relations or parent are still to be written (the links pass). */
  withLinks(source: string, scope: string, action: ChangeAction): IterableIterator<StoredChange> {
    return this.paged(this.stmts.linkedPage, source, scope, 'entity', action, 'applied');
  }

  /** One change by its sequence number, if it is still to be applied. */
  planned(seq: number): StoredChange | null {
    if (this.outcomes.get(seq) !== OUTCOMES.indexOf('planned')) return null;
    this.deferred.settle();
    const row = this.stmts.bySeq.get(seq) as ChangeRow | undefined;
    return row ? fromRow(row) : null;
  }

  /** Records how applying a change ended. */
  setOutcome(seq: number, outcome: ChangeOutcome): void {
    this.outcomes.set(seq, OUTCOMES.indexOf(outcome));
  }

  private *paged(query: Statement, source: string, scope: string, target: string, action: ChangeAction, outcome: ChangeOutcome): IterableIterator<StoredChange> {
    const wanted = OUTCOMES.indexOf(outcome);
    let afterKey = '';
    let afterSeq = -1;
    for (;;) {
      this.deferred.settle();
      const rows = query.all(source, scope, target, action, afterKey, afterSeq, PAGE_SIZE) as ChangeRow[];
      for (const row of rows) if (this.outcomes.get(row.seq) === wanted) yield fromRow(row);
      if (rows.length < PAGE_SIZE) return;
      afterKey = rows[rows.length - 1]!.key;
      afterSeq = rows[rows.length - 1]!.seq;
    }
  }
}

/** The organization path a change is in: `after`'s, else `before`'s (a delete). */
export function organizationOf({ before, after }: Pick<PlanChange, 'before' | 'after'>): string {
  return (after ?? before)?.organization ?? '';
}

/** Whether applying the change leaves dependencies or a parent for the links pass (apply-scope.ts). */
function hasLinks(before: Projection | null, after: Projection | null): boolean {
  if (after?.parent !== undefined) return true;
  const a = before?.relations ?? [];
  const b = after?.relations ?? [];
  if (a.length !== b.length) return true;
  const had = new Set(a);
  return b.some((r) => !had.has(r));
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
  organization: string;
}

/** The plan's order; the root organization first in a source: it is created before everything else. */
const PLAN_ORDER = `source, scope <> '@root', scope, key, seq`;
/**
 * A change as read back. `before` and `after` are parsed when first read: walking a plan to apply
 * it reads most changes' `after` only.
 */
function fromRow(row: ChangeRow): StoredChange {
  let before: Projection | null | undefined;
  let after: Projection | null | undefined;
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
    reason: row.reason,
    organization: row.organization,
    get before() {
      return (before ??= row.before ? (JSON.parse(row.before) as Projection) : null);
    },
    get after() {
      return (after ??= row.after ? (JSON.parse(row.after) as Projection) : null);
    },
    ...(row.sensitive ? { sensitive: JSON.parse(row.sensitive) as string[] } : {}),
    detail: JSON.parse(row.detail) as ChangeDetail,
  };
}
