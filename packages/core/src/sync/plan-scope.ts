import type { KindSpec, Scope } from '../connector.js';
import { SourceError, errorMessage } from '../errors.js';
import { contentHash, type JsonValue } from '../json.js';
import type { SourceRecord } from '../record.js';
import type { ElderEntity } from '../elder/types.js';
import {
  actualProjection,
  desiredProjection,
  entityKey,
  entityTypeOf,
  joinPath,
  organizationPathKey,
  truncateName,
} from './projection.js';
import { foldsNaturalKey } from './elder-index.js';
import { sanitizeRecord } from './sanitize.js';
import type { SourceContext } from './source-context.js';
import type { PlanChange, Projection, ScopeCounts } from './types.js';

/** Below this many owned objects a scope is exempt from the mass-delete guard (DESIGN §5.4). */
export const MASS_DELETE_MIN_OWNED = 10;

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

/**
 * Reads one scope and writes its plan into the run's plan store. Shared by `diff`, `run --dry-run`
 * and `run` (DESIGN §5.3: the plan is what happens).
 */
export async function planScope(ctx: SourceContext, scope: Scope, log = ctx.log): Promise<ScopePlan> {
  const { source, connector, store } = ctx;
  // A scope renamed by the connector (formerIds): what Elder and the state hold under an old id is
  // this scope's. The state file is only written when the run applies.
  const formerIds = (scope.formerIds ?? []).filter((id) => id !== scope.id);
  for (const formerId of formerIds) {
    store.moveScope(source.name, formerId, scope.id);
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
    previous.runsSinceFull + 1 >= source.fullEvery;
  const mode = full ? 'full' : 'incremental';
  const counts = emptyCounts();
  /** Creates that have unowned look-alikes in Elder (plain plan), and records with ambiguous matches. */
  const adoption = { lookAlikes: 0, ambiguous: 0 };
  ctx.progress?.({ type: 'scope-start', source: source.name, scope: scope.id, label: scope.label, expected: store.countOwned(source.name, scope.id) });
  const change = (c: Omit<PlanChange, 'source' | 'scope' | 'scopeLabel'>, detail = {}) => {
    store.addChange({ ...c, source: source.name, scope: scope.id, scopeLabel: scope.label }, detail);
    if (c.action === 'create') counts.create++;
    else if (c.action === 'update' || c.action === 'mark' || c.action === 'adopt') counts.update++;
    else if (c.action === 'delete') counts.delete++;
    else counts.withheld++;
  };

  const readCounts = new Map<string, number>();
  const incomplete = new Map<string, string>();
  const seenOrganizationKeys = new Set<string>();
  let cursor: JsonValue | null | undefined;

  /** Plans creation of whatever part of `path` (below the source root) does not exist yet. */
  const planOrganizationPath = (path: string[], keyOfLeaf?: string, kind = '@org') => {
    const existing = ctx.rootId === null ? { id: null, missing: path } : ctx.tree.resolve(ctx.rootId, path);
    const firstMissing = path.length - existing.missing.length;
    for (let depth = firstMissing; depth < path.length; depth++) {
      const prefix = path.slice(0, depth + 1);
      const joined = joinPath(prefix);
      const isLeaf = depth === path.length - 1;
      const key = isLeaf && keyOfLeaf ? keyOfLeaf : organizationPathKey(source.name, prefix);
      const planned = ctx.plannedOrganizations.get(joined);
      if (planned) {
        if (!planned.includes(key)) planned.push(key);
        continue;
      }
      ctx.plannedOrganizations.set(joined, [key]);
      change(
        {
          key,
          action: 'create',
          target: 'organization',
          kind: isLeaf && keyOfLeaf ? kind : '@org',
          name: prefix[prefix.length - 1]!,
          elderId: null,
          before: null,
          after: organizationProjection(prefix),
          reason: null,
        },
        { organizationPath: prefix },
      );
    }
    return existing.missing.length === 0 ? existing.id : null;
  };

  const planOrganizationRecord = (record: SourceRecord) => {
    const path = [...(record.organizationPath ?? []), truncateName(record.name)];
    const key = entityKey(source.name, record.kind, record.externalId);
    seenOrganizationKeys.add(key);
    const mapping = ctx.state.getMapping(source.name, key);
    const mapped = mapping && ctx.rootId !== null ? ctx.tree.get(mapping.elderId) : undefined;
    if (mapped && ctx.rootId !== null) {
      const currentPath = ctx.tree.pathBelow(ctx.rootId, mapped.id);
      if (currentPath && joinPath(currentPath) === joinPath(path)) {
        counts.unchanged++;
        return;
      }
      // Renamed or moved in the source: follow it (elder-api.md §3.3: parent_id can change, not be cleared).
      if (currentPath && mapping?.owned) {
        planOrganizationPath(path.slice(0, -1));
        // Records below it will name the new path: it exists once the rename is applied (before creates).
        ctx.plannedOrganizations.set(joinPath(path), [key]);
        change(
          {
            key,
            action: 'update',
            target: 'organization',
            kind: record.kind,
            name: path[path.length - 1]!,
            elderId: mapped.id,
            before: organizationProjection(currentPath),
            after: organizationProjection(path),
            reason: null,
          },
          { organizationPath: path },
        );
        return;
      }
    }
    const before = ctx.plannedOrganizations.size;
    const id = planOrganizationPath(path, key, record.kind);
    if (id !== null && ctx.plannedOrganizations.size === before) counts.unchanged++;
    // No mapping (a new or lost state file: organizations carry no stamp in Elder), but the
    // organization is where the record says, below the source's root, where only this tool creates
    // them: it is the record's. Recorded, a later rename or move of the OU follows it in place
    // instead of creating a new organization and leaving the old one behind.
    if (id !== null && !mapped && ctx.mode === 'apply') {
      ctx.state.putMapping({ source: source.name, scope: scope.id, key, kind: record.kind, elderKind: 'organization', elderId: id, hash: null, owned: true });
    }
  };

  const planEntityRecord = (record: SourceRecord, spec: Extract<KindSpec, { target: 'entity' }>) => {
    const key = entityKey(source.name, record.kind, record.externalId);
    const type = entityTypeOf(spec, source.types[record.kind]);
    const desired = desiredProjection(source.name, record, type);
    const path = record.organizationPath ?? [];
    planOrganizationPath(path);
    const hash = contentHash(desired);
    // An unchanged record costs this look-up and a (batched) mark; the entry is read only to change it.
    const found = store.lookup(source.name, key);
    if (found) {
      store.markSeen(source.name, key);
      if (found.hash === hash) {
        counts.unchanged++;
        return;
      }
      const indexed = store.getIndexed(source.name, key)!;
      change(
        {
          key,
          action: 'update',
          target: 'entity',
          kind: record.kind,
          name: desired.name,
          elderId: indexed.elderId,
          before: indexed.projection,
          after: desired,
          reason: null,
        },
        { organizationPath: path },
      );
      return;
    }
    const match = ctx.adopt || ctx.lookAlikes ? findAdoptable(ctx, spec, type.type, desired, ctx.adopt) : null;
    const adoptable = ctx.adopt && match && 'entity' in match ? match : null;
    let createReason: string | null = null;
    if (match && 'ambiguous' in match) {
      // Two unowned entities with one key: taking either could be wrong; a person must choose.
      adoption.ambiguous++;
      const ids = match.ambiguous.map((id) => `#${id}`).join(', ');
      log.warn('not adopted: several unowned Elder entities match this record', { key, naturalKey: match.naturalKey, elderIds: match.ambiguous });
      createReason = `not adopted: ${match.ambiguous.length} unowned entities (${ids}) match on ${match.naturalKey}; ambiguous`;
    } else if (match && !ctx.adopt) {
      adoption.lookAlikes++;
      createReason = `unowned look-alike #${match.entity.id} matches on ${match.naturalKey}; --adopt would take it over`;
    }
    if (adoptable) {
      change(
        {
          key,
          action: 'adopt',
          target: 'entity',
          kind: record.kind,
          name: desired.name,
          elderId: adoptable.entity.id,
          before: adoptable.before,
          after: desired,
          reason: `matched on ${adoptable.naturalKey}`,
        },
        { organizationPath: path },
      );
      return;
    }
    change(
      {
        key,
        action: 'create',
        target: 'entity',
        kind: record.kind,
        name: desired.name,
        elderId: null,
        before: null,
        after: desired,
        reason: createReason,
      },
      { organizationPath: path },
    );
  };

  const planSourceDeletion = (kind: string, externalId: string) => {
    const key = entityKey(source.name, kind, externalId);
    const indexed = store.getIndexed(source.name, key);
    if (!indexed) return;
    store.markSeen(source.name, key);
    planRemoval(indexed.key, kind, indexed.elderId, indexed.projection, null);
  };

  const planRemoval = (key: string, kind: string, elderId: number, before: Projection, reason: string | null) => {
    if (source.deletes === 'keep') {
      change({ key, action: 'withheld', target: 'entity', kind, name: before.name, elderId, before, after: null, reason: 'deletes: keep' });
    } else if (source.deletes === 'mark') {
      if (before.staleSince) {
        counts.unchanged++;
        return;
      }
      const after = { ...before, staleSince: new Date().toISOString() };
      change({ key, action: 'mark', target: 'entity', kind, name: before.name, elderId, before, after, reason });
    } else {
      change({ key, action: 'delete', target: 'entity', kind, name: before.name, elderId, before, after: null, reason });
    }
  };

  try {
    for await (const item of connector.read({
      config: ctx.connectorConfig,
      scope,
      log,
      signal: ctx.signal,
      mode,
      checkpoint: full ? null : (previous?.cursor ?? null),
    })) {
      ctx.signal.throwIfAborted();
      if (item.type === 'checkpoint') {
        // With --only, the records of the other kinds are dropped, so the cursor (which covers every
        // kind: Graph delta links, LDAP's change time) must not move, or their changes would be lost.
        if (!ctx.only) cursor = item.cursor;
        continue;
      }
      if (item.type === 'incomplete') {
        incomplete.set(item.kind, item.reason);
        continue;
      }
      const kind = item.type === 'record' ? item.record.kind : item.kind;
      if (ctx.only && !ctx.only.has(kind)) continue;
      const spec = connector.kinds[kind];
      if (!spec) throw new SourceError(`connector ${connector.id} emitted undeclared kind "${kind}"`, { code: 'CONNECTOR_UNDECLARED_KIND' });
      if (item.type === 'deleted') {
        if (spec.target === 'entity') planSourceDeletion(item.kind, item.externalId);
        continue;
      }
      counts.read++;
      ctx.progress?.({ type: 'read', source: source.name, scope: scope.id, read: counts.read });
      readCounts.set(item.record.kind, (readCounts.get(item.record.kind) ?? 0) + 1);
      // Hostile values (NUL, lone surrogates, names > 255, 10 MB attributes) are made safe with a
      // warning here, before hashing, so the safe form is what is planned, written and compared.
      const record = sanitizeRecord(item.record, entityKey(source.name, item.record.kind, item.record.externalId), log);
      if (spec.target === 'organization') planOrganizationRecord(record);
      else planEntityRecord(record, spec);
    }
  } catch (error) {
    throw error instanceof SourceError
      ? error
      : new SourceError(`reading ${source.name} (${scope.label}) failed: ${errorMessage(error)}`, { cause: error });
  }

  const completeKinds = full
    ? Object.keys(connector.kinds).filter((kind) => !incomplete.has(kind) && (!ctx.only || ctx.only.has(kind)))
    : [];
  for (const [kind, reason] of incomplete) log.warn('kind not read completely; nothing of it is deleted', { kind, reason });
  if (adoption.lookAlikes > 0) {
    log.warn(
      `${adoption.lookAlikes} record(s) to create match an unowned Elder entity on a natural key (e.g. the Python worker's); "--adopt" would take those over instead of creating duplicates`,
      { lookAlikes: adoption.lookAlikes },
    );
  }
  if (adoption.ambiguous > 0) log.warn(`${adoption.ambiguous} record(s) match several unowned Elder entities and are not adopted`, { ambiguous: adoption.ambiguous });

  const guards = [
    planStaleEntities(ctx, scope, completeKinds, readCounts, planRemoval, change),
    full ? planIncompleteKinds(ctx, scope, incomplete, change) : null,
  ].filter((g): g is string => g !== null);
  const guard = guards.length ? guards.join('; ') : null;
  planStaleOrganizations(ctx, scope, completeKinds, seenOrganizationKeys, change);
  for (const duplicate of store.duplicates(source.name, scope.id)) {
    change({
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
  ctx.progress?.({ type: 'planned', source: source.name, scope: scope.id, counts: { ...counts } });
  return { mode, counts, cursor, completeKinds, guard };
}

/**
 * An unowned Elder entity (the Python worker's, or anyone's) that matches this record on one of the
 * kind's natural keys, in the kind's declared order; claimed so no other record adopts it too.
 */
function findAdoptable(
  ctx: SourceContext,
  spec: Extract<KindSpec, { target: 'entity' }>,
  entityType: string,
  desired: Projection,
  claim: boolean,
): { entity: ElderEntity; naturalKey: string; before: Projection } | { ambiguous: number[]; naturalKey: string } | null {
  for (const naturalKey of spec.naturalKeys ?? []) {
    const value = desired.attributes[naturalKey];
    if (value === null || value === undefined || value === '') continue;
    // Compared the way the source compares them (an LDAP DN case-folded).
    const found = ctx.store.findAdoptable(ctx.source.name, entityType, naturalKey, value, { fold: foldsNaturalKey(ctx, entityType, naturalKey), claim });
    if (!found) continue;
    if ('ambiguous' in found) return { ambiguous: found.ambiguous, naturalKey };
    const entity = found.entity;
    const organization = ctx.rootId === null ? null : ctx.tree.pathBelow(ctx.rootId, entity.organizationId);
    // Compare on the attributes this tool is about to own; what else the entity holds stays.
    const before = actualProjection(
      entity,
      { v: 1, key: '', source: '', scope: '', kind: '', fields: Object.keys(desired.attributes), tags: [], relations: [] },
      organization === null ? `#${entity.organizationId}` : joinPath(organization),
    );
    return { entity, naturalKey, before };
  }
  return null;
}

type ChangeFn = (c: Omit<PlanChange, 'source' | 'scope' | 'scopeLabel'>, detail?: object) => void;

/**
 * Owned entities of completely read kinds that the source no longer has (DESIGN §5.4): deleted or
 * marked, unless the read came back empty where Elder has objects, or the share is above
 * `maxDeletePercent` without `--allow-mass-delete`. Withheld ones are listed with the reason.
 */
function planStaleEntities(
  ctx: SourceContext,
  scope: Scope,
  completeKinds: string[],
  readCounts: Map<string, number>,
  planRemoval: (key: string, kind: string, elderId: number, before: Projection, reason: string | null) => void,
  change: ChangeFn,
): string | null {
  const { source, store } = ctx;
  const entityKinds = completeKinds.filter((k) => ctx.connector.kinds[k]?.target === 'entity');
  const owned = store.countOwned(source.name, scope.id);
  let stale = 0;
  const emptyKinds = new Set<string>();
  for (const kind of entityKinds) {
    const unseen = store.countUnseen(source.name, scope.id, kind);
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
    for (const entry of store.unseen(source.name, scope.id, kind)) {
      if (emptyKinds.has(kind)) {
        change({
          key: entry.key, action: 'withheld', target: 'entity', kind, name: entry.projection.name,
          elderId: entry.elderId, before: entry.projection, after: null,
          reason: `the source returned no ${kind} objects where Elder has ${store.countOwned(source.name, scope.id, kind)}; an empty read never deletes`,
        });
      } else if (tooMany) {
        change({
          key: entry.key, action: 'withheld', target: 'entity', kind, name: entry.projection.name,
          elderId: entry.elderId, before: entry.projection, after: null,
          reason: `would remove ${stale} of ${owned} owned objects (${percent.toFixed(0)}% > maxDeletePercent ${source.maxDeletePercent}%); rerun with --allow-mass-delete to apply`,
        });
      } else {
        planRemoval(entry.key, kind, entry.elderId, entry.projection, null);
      }
    }
  }
  const guards: string[] = [];
  for (const kind of emptyKinds) {
    guards.push(`deletes withheld: the source returned no ${kind} objects where Elder has ${store.countOwned(source.name, scope.id, kind)}; an empty read never deletes`);
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
function planIncompleteKinds(ctx: SourceContext, scope: Scope, incomplete: Map<string, string>, change: ChangeFn): string | null {
  const { source, store } = ctx;
  const guards: string[] = [];
  for (const [kind, why] of [...incomplete].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const spec = ctx.connector.kinds[kind];
    if (!spec || (ctx.only && !ctx.only.has(kind))) continue;
    const reason = `the source did not read all ${kind} objects (${why}); none is deleted until it does`;
    if (spec.target === 'entity') {
      for (const entry of store.unseen(source.name, scope.id, kind)) {
        change({
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
function planStaleOrganizations(
  ctx: SourceContext,
  scope: Scope,
  completeKinds: string[],
  seen: Set<string>,
  change: ChangeFn,
): void {
  if (ctx.rootId === null || ctx.source.deletes !== 'delete') return;
  const organizationKinds = new Set(completeKinds.filter((k) => ctx.connector.kinds[k]?.target === 'organization'));
  if (organizationKinds.size === 0) return;
  for (const mapping of ctx.state.mappings(ctx.source.name, scope.id)) {
    if (mapping.elderKind !== 'organization' || !mapping.owned || seen.has(mapping.key)) continue;
    if (!organizationKinds.has(mapping.kind)) continue;
    const org = ctx.tree.get(mapping.elderId);
    const path = org ? ctx.tree.pathBelow(ctx.rootId, org.id) : null;
    if (!org || !path) continue;
    change({
      key: mapping.key, action: 'delete', target: 'organization', kind: mapping.kind, name: org.name,
      elderId: org.id, before: organizationProjection(path), after: null, reason: null,
    }, { organizationPath: path });
  }
}

export function organizationProjection(path: string[]): Projection {
  return {
    name: path[path.length - 1] ?? '',
    type: 'organization',
    subType: null,
    organization: joinPath(path.slice(0, -1)),
    attributes: {},
    tags: [],
    relations: [],
    staleSince: null,
  };
}
