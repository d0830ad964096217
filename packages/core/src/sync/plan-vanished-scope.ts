import type { Scope, ScopeDiscovery } from '../connector.js';
import { mappedOrganization } from './organizations.js';
import { emptyCounts, organizationProjection, type ScopePlan } from './plan-scope.js';
import type { SourceContext } from './source-context.js';
import type { PlanChange } from './types.js';

/**
 * The plan for a scope that discovery no longer returns (an account closed, a base DN removed): the
 * objects it owns in Elder go, by the source's delete policy. Losing a whole scope is always a
 * mass delete (DESIGN §5.4): without `--allow-mass-delete` every one is withheld with the reason
 * and the scope fails, so cron and CI alert. Only called after a discovery without failures.
 */
export function planVanishedScope(ctx: SourceContext, scope: Scope): ScopePlan {
  const { source, store } = ctx;
  const counts = emptyCounts();
  // Its owned organizations (few): deleted when empty by then, after the entities, like any stale one.
  const organizations: Array<{ key: string; kind: string; elderId: number; path: string[] }> = [];
  if (ctx.rootId !== null) {
    for (const mapping of ctx.state.mappings(source.name, scope.id, 'organization')) {
      if (!mapping.owned) continue;
      const mapped = mappedOrganization(ctx, mapping);
      if (mapped) organizations.push({ key: mapping.key, kind: mapping.kind, elderId: mapping.elderId, path: mapped.path });
    }
  }
  const owned = store.owned.count(source.name, scope.id) + organizations.length;
  const gone = `scope "${scope.id}" is no longer in the source`;
  const guarded = !ctx.allowMassDelete && source.deletes !== 'keep';
  const withheldReason = `${gone}: would remove its ${owned} owned object(s); rerun with --allow-mass-delete to apply`;
  const change = (c: Omit<PlanChange, 'source' | 'scope' | 'scopeLabel'>, detail = {}) => {
    store.changes.add({ ...c, source: source.name, scope: scope.id, scopeLabel: scope.label }, detail);
    if (c.action === 'delete') counts.delete++;
    else if (c.action === 'mark') counts.update++;
    else counts.withheld++;
  };
  let held = 0;
  ctx.progress?.({ type: 'scope-start', source: source.name, scope: scope.id, label: scope.label });
  for (const entry of store.owned.ofScope(source.name, scope.id)) {
    const base = { key: entry.key, target: 'entity' as const, kind: entry.kind, name: entry.projection.name, elderId: entry.elderId, before: entry.projection };
    if (source.deletes === 'keep') change({ ...base, action: 'withheld', after: null, reason: 'deletes: keep' });
    else if (source.deletes === 'mark' && entry.projection.staleSince) counts.unchanged++;
    else if (guarded) change({ ...base, action: 'withheld', after: null, reason: withheldReason }), held++;
    else if (source.deletes === 'mark') change({ ...base, action: 'mark', after: { ...entry.projection, staleSince: new Date().toISOString() }, reason: gone });
    else change({ ...base, action: 'delete', after: null, reason: gone });
  }
  for (const org of organizations) {
    const base = { key: org.key, target: 'organization' as const, kind: org.kind, name: org.path[org.path.length - 1]!, elderId: org.elderId, before: organizationProjection(org.path), after: null };
    // `mark` flags entities only; an organization stays until its source deletes.
    if (source.deletes === 'delete' && !guarded) change({ ...base, action: 'delete', reason: gone }, { organizationPath: org.path });
    else if (source.deletes === 'delete') change({ ...base, action: 'withheld', reason: withheldReason }, { organizationPath: org.path }), held++;
  }
  ctx.progress?.({ type: 'planned', source: source.name, scope: scope.id, counts: { ...counts } });
  const guard = held > 0 ? `deletes withheld: ${withheldReason}` : null;
  return { mode: 'full', counts, cursor: undefined, completeKinds: [], guard };
}

/**
 * Scopes whose owned objects are still in Elder but which discovery no longer returned (an account
 * closed, a base DN removed), sorted. Only a discovery without failures may say a scope vanished: a
 * part that could not be listed is not gone. A scope's former ids (`formerIds`) are still it.
 */
export function vanishedScopes(discovery: Required<ScopeDiscovery>, ownedScopes: Iterable<string>): string[] {
  if (discovery.failed.length > 0) return [];
  const present = new Set(discovery.scopes.flatMap((s) => [s.id, ...(s.formerIds ?? [])]));
  return [...new Set(ownedScopes)].filter((id) => !present.has(id)).sort();
}
