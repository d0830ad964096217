import type { Scope } from '../connector.js';
import { mappedOrganization } from './organizations.js';
import { organizationProjection, type ScopePlanner } from './plan-records.js';
import type { SourceContext } from './source-context.js';

/** Below this many owned objects a scope is exempt from the mass-delete guard (DESIGN §5.4). */
export const MASS_DELETE_MIN_OWNED = 10;

/**
 * Owned entities of completely read kinds that the source no longer has (DESIGN §5.4): deleted or
 * marked, unless the read came back empty where Elder has objects, or the share is above
 * `maxDeletePercent` without `--allow-mass-delete`. Withheld ones are listed with the reason.
 */
export function planStaleEntities(
  ctx: SourceContext,
  scope: Scope,
  planner: ScopePlanner,
  completeKinds: string[],
  readCounts: Map<string, number>,
): string | null {
  const { source, store } = ctx;
  const entityKinds = completeKinds.filter((k) => ctx.connector.kinds[k]?.target === 'entity');
  const owned = store.owned.count(source.name, scope.id);
  let stale = 0;
  const emptyKinds = new Set<string>();
  for (const kind of entityKinds) {
    const unseen = store.owned.countUnseen(source.name, scope.id, kind);
    if (unseen > 0 && (readCounts.get(kind) ?? 0) === 0) emptyKinds.add(kind);
    else stale += unseen;
  }
  const percent = owned === 0 ? 0 : (stale / owned) * 100;
  const tooMany =
    source.deletes !== 'keep' &&
    !ctx.allowMassDelete &&
    owned >= MASS_DELETE_MIN_OWNED &&
    percent > source.maxDeletePercent;
  for (const kind of entityKinds) {
    for (const entry of store.owned.unseen(source.name, scope.id, kind)) {
      if (emptyKinds.has(kind)) {
        planner.change({
          key: entry.key, action: 'withheld', target: 'entity', kind, name: entry.projection.name,
          elderId: entry.elderId, before: entry.projection, after: null,
          reason: `the source returned no ${kind} objects where Elder has ${store.owned.count(source.name, scope.id, kind)}; an empty read never deletes`,
        });
      } else if (tooMany) {
        planner.change({
          key: entry.key, action: 'withheld', target: 'entity', kind, name: entry.projection.name,
          elderId: entry.elderId, before: entry.projection, after: null,
          reason: `would remove ${stale} of ${owned} owned objects (${percent.toFixed(0)}% > maxDeletePercent ${source.maxDeletePercent}%); rerun with --allow-mass-delete to apply`,
        });
      } else {
        planner.removal(entry.key, kind, entry.elderId, entry.projection, null);
      }
    }
  }
  const guards: string[] = [];
  for (const kind of emptyKinds) {
    guards.push(`deletes withheld: the source returned no ${kind} objects where Elder has ${store.owned.count(source.name, scope.id, kind)}; an empty read never deletes`);
  }
  if (tooMany) {
    guards.push(`deletes withheld: they would remove ${stale} of ${owned} owned objects (${percent.toFixed(0)}% > maxDeletePercent ${source.maxDeletePercent}%); check the source, then rerun with --allow-mass-delete`);
  }
  return guards.length ? guards.join('; ') : null;
}

/**
 * Kinds the connector said it did not read completely (`incomplete`): none of their objects is
 * deleted. Held like a guard, so the hold is visible: each owned object the read did not return is a
 * withheld change (`!` in the plan), and the scope fails with the connector's reason (summary, exit
 * code) until the source is fixed.
 */
export function planIncompleteKinds(ctx: SourceContext, scope: Scope, planner: ScopePlanner, incomplete: Map<string, string>): string | null {
  const { source, store } = ctx;
  const guards: string[] = [];
  for (const [kind, why] of [...incomplete].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const spec = ctx.connector.kinds[kind];
    if (!spec || (ctx.only && !ctx.only.has(kind))) continue;
    const reason = `the source did not read all ${kind} objects (${why}); none is deleted until it does`;
    if (spec.target === 'entity') {
      for (const entry of store.owned.unseen(source.name, scope.id, kind)) {
        planner.change({
          key: entry.key, action: 'withheld', target: 'entity', kind, name: entry.projection.name,
          elderId: entry.elderId, before: entry.projection, after: null, reason,
        });
      }
    }
    guards.push(`deletes of ${kind} withheld: ${reason}`);
  }
  return guards.length ? guards.join('; ') : null;
}

/** Owned organizations whose record is gone after a complete read; applied only if empty then. */
export function planStaleOrganizations(
  ctx: SourceContext,
  scope: Scope,
  planner: ScopePlanner,
  completeKinds: string[],
): void {
  if (ctx.rootId === null || ctx.source.deletes !== 'delete') return;
  const organizationKinds = new Set(completeKinds.filter((k) => ctx.connector.kinds[k]?.target === 'organization'));
  if (organizationKinds.size === 0) return;
  for (const mapping of ctx.state.mappings(ctx.source.name, scope.id, 'organization')) {
    if (!mapping.owned || planner.seenOrganizationKeys.has(mapping.key)) continue;
    if (!organizationKinds.has(mapping.kind)) continue;
    const mapped = mappedOrganization(ctx, mapping);
    if (!mapped) continue;
    const { org, path } = mapped;
    planner.change({
      key: mapping.key, action: 'delete', target: 'organization', kind: mapping.kind, name: org.name,
      elderId: org.id, before: organizationProjection(path), after: null, reason: null,
    }, { organizationPath: path });
  }
}

/** Extra Elder entities carrying a key already indexed: deleted (the lowest id is the object). */
export function planDuplicates(ctx: SourceContext, scope: Scope, planner: ScopePlanner): void {
  for (const duplicate of ctx.store.owned.duplicates(ctx.source.name, scope.id)) {
    planner.change({
      key: duplicate.key,
      action: 'delete',
      target: 'entity',
      kind: duplicate.kind,
      name: duplicate.name,
      elderId: duplicate.elderId,
      before: duplicate.projection,
      after: null,
      reason: 'duplicate of the same key',
    }, { duplicate: true });
  }
}
