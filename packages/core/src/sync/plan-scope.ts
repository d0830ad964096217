import type { Scope } from '../connector.js';
import type { JsonValue } from '../json.js';
import type { EarlyWrites } from './early-writes.js';
import { ScopePlanner } from './plan-records.js';
import { planDuplicates, planIncompleteKinds, planStaleEntities, planStaleOrganizations } from './plan-deletes.js';
import { readScope, type ReadOutcome } from './read-scope.js';
import type { SourceContext } from './source-context.js';
import type { ScopeCounts } from './types.js';

export { organizationProjection } from './plan-records.js';

export { MASS_DELETE_MIN_OWNED } from './plan-deletes.js';

export interface ScopePlan {
  mode: 'full' | 'incremental';
  counts: ScopeCounts;
  /** The last cursor the connector yielded, to commit once Elder confirmed the writes. */
  cursor: JsonValue | null | undefined;
  /** Record kinds read completely (deletions among them are known). */
  completeKinds: string[];
  /**
   * Why deletes were withheld by a safety guard (mass delete, empty read), or null. The scope's
   * other changes still apply, but it ends as failed so cron and CI alert on it (DESIGN §5.4).
   */
  guard: string | null;
}

export function emptyCounts(): ScopeCounts {
  return { read: 0, create: 0, update: 0, delete: 0, unchanged: 0, withheld: 0, errors: 0 };
}

/** A run's totals: every scope's counts added up, plus creations outside any scope (a missing root). */
export function totalCounts(scopes: ReadonlyArray<{ counts: ScopeCounts }>, extraCreates = 0): ScopeCounts {
  const totals = emptyCounts();
  for (const scope of scopes) for (const k of Object.keys(totals) as Array<keyof ScopeCounts>) totals[k] += scope.counts[k];
  totals.create += extraCreates;
  return totals;
}

/**
 * Reads one scope and writes its plan into the run's plan store. Shared by `diff`, `run --dry-run`
 * and `run` (DESIGN §5.3: the plan is what happens).
 */
export async function planScope(ctx: SourceContext, scope: Scope, log = ctx.log, early: EarlyWrites | null = null): Promise<ScopePlan> {
  const { source, connector, store } = ctx;
  const { mode, checkpoint } = readModeOf(ctx, scope);
  const full = mode === 'full';
  const planner = new ScopePlanner(ctx, scope, log, early);
  const { counts } = planner;
  ctx.progress?.({ type: 'scope-start', source: source.name, scope: scope.id, label: scope.label, expected: store.owned.count(source.name, scope.id) });

  // Steps 2 and 3, record by record: read, and plan what each record means.
  const read: ReadOutcome = { cursor: undefined, incomplete: new Map(), readCounts: new Map() };
  for await (const event of readScope(ctx, scope, { mode, checkpoint }, read, log)) {
    if (event.type === 'deleted') {
      if (event.spec.target === 'entity') planner.sourceDeletion(event.kind, event.externalId);
      continue;
    }
    counts.read++;
    ctx.progress?.({ type: 'read', source: source.name, scope: scope.id, read: counts.read });
    if (event.spec.target === 'organization') planner.organizationRecord(event.record);
    else planner.entityRecord(event.record, event.spec);
  }

  const completeKinds = full
    ? Object.keys(connector.kinds).filter((kind) => !read.incomplete.has(kind) && (!ctx.only || ctx.only.has(kind)))
    : [];
  for (const [kind, reason] of read.incomplete) log.warn('kind not read completely; nothing of it is deleted', { kind, reason });
  const { adoption } = planner;
  if (adoption.lookAlikes > 0) {
    log.warn(
      `${adoption.lookAlikes} record(s) to create match an unowned Elder entity on a natural key (e.g. the Python worker's); "--adopt" would take those over instead of creating duplicates`,
      { lookAlikes: adoption.lookAlikes },
    );
  }
  if (adoption.ambiguous > 0) log.warn(`${adoption.ambiguous} record(s) match several unowned Elder entities and are not adopted`, { ambiguous: adoption.ambiguous });

  // Then what the read no longer has: deletes (or guards withholding them), stale organizations, duplicates.
  const guards = [
    planStaleEntities(ctx, scope, planner, completeKinds, read.readCounts),
    full ? planIncompleteKinds(ctx, scope, planner, read.incomplete) : null,
  ].filter((g): g is string => g !== null);
  const guard = guards.length ? guards.join('; ') : null;
  planStaleOrganizations(ctx, scope, planner, completeKinds);
  planDuplicates(ctx, scope, planner);
  ctx.progress?.({ type: 'planned', source: source.name, scope: scope.id, counts: { ...counts } });
  return { mode, counts, cursor: read.cursor, completeKinds, guard };
}

/**
 * Full or incremental, and from which cursor. A scope renamed by the connector (formerIds): what
 * Elder and the state hold under an old id is this scope's (the state file only moves when applying).
 */
function readModeOf(ctx: SourceContext, scope: Scope): { mode: 'full' | 'incremental'; checkpoint: JsonValue | null } {
  const { source, store } = ctx;
  const formerIds = (scope.formerIds ?? []).filter((id) => id !== scope.id);
  for (const formerId of formerIds) {
    store.owned.moveScope(source.name, formerId, scope.id);
    if (ctx.mode === 'apply') ctx.state.renameScope(source.name, formerId, scope.id);
  }
  const previous =
    ctx.state.getScopeState(source.name, scope.id) ??
    formerIds.map((id) => ctx.state.getScopeState(source.name, id)).find((s) => s !== null) ??
    null;
  const full =
    ctx.full ||
    previous === null ||
    previous.cursor === null ||
    source.fullEvery <= 1 ||
    previous.runsSinceFull + 1 >= source.fullEvery ||
    lostInElder(ctx, scope);
  return full ? { mode: 'full', checkpoint: null } : { mode: 'incremental', checkpoint: previous?.cursor ?? null };
}

/**
 * Elder holds fewer of the scope's entities than this state wrote and did not delete: someone
 * deleted owned entities there, or Elder was restored from an older backup. A read from the cursor
 * sees only what changed in the source, so it would not plan them back; a full read does.
 */
function lostInElder(ctx: SourceContext, scope: Scope): boolean {
  const written = ctx.state.countMappings(ctx.source.name, scope.id, 'entity');
  const indexed = ctx.store.owned.count(ctx.source.name, scope.id);
  if (written <= indexed) return false;
  ctx.log.info('Elder holds fewer of this scope\'s entities than the state file wrote: reading everything, to write them back', { scope: scope.id, written, indexed });
  return true;
}
