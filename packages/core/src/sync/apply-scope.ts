import type { Scope } from '../connector.js';
import { ElderWriteUncertainError } from '../elder/errors.js';
import type { ElderEntity, EntityPatch, NewEntity } from '../elder/types.js';
import { errorMessage } from '../errors.js';
import { canonicalJson, contentHash, type JsonObject } from '../json.js';
import type { Logger } from '../logger.js';
import { createdHere, ensureOrganizationPath, ownedOrganization } from './organizations.js';
import type { StoredChange } from './plan-store.js';
import {
  STAMP_ATTRIBUTE,
  makeStamp,
  mergeAttributes,
  mergeTags,
  readStamp,
  splitRelation,
  type Stamp,
} from './projection.js';
import type { SourceContext } from './source-context.js';
import type { Projection } from './types.js';
import { WorkPool } from './work-pool.js';

/** Attempts at a create whose earlier attempt may have been applied (each after a look-up). */
const CREATE_ATTEMPTS = 4;

export interface AppliedCounts {
  create: number;
  update: number;
  delete: number;
  errors: number;
  /** The run was asked to stop: writes in flight finished, nothing new was started. */
  interrupted: boolean;
}

/**
 * One scope's writes to Elder: their running counts, their shared pool of `elder.concurrency` slots,
 * how a failure is reported. Used by the applier, and by the planner for the writes it may start
 * before the read ends (`EarlyWrites`), so both count into one total.
 */
export class ScopeWrites {
  readonly applied: AppliedCounts = { create: 0, update: 0, delete: 0, errors: 0, interrupted: false };
  readonly pool: WorkPool;

  constructor(
    private readonly ctx: SourceContext,
    private readonly scope: Scope,
    private readonly log: Logger,
  ) {
    this.pool = new WorkPool(ctx.writeConcurrency);
  }

  /** On SIGINT/SIGTERM no new write starts; the ones in flight finish and are recorded (DESIGN §5.5). */
  stopping(): boolean {
    return this.ctx.signal.aborted ? (this.applied.interrupted = true) : false;
  }

  /** Running totals for progress rows and metrics (SyncOptions.onProgress). */
  tick(): void {
    const { applied } = this;
    this.ctx.progress?.({ type: 'applied', source: this.ctx.source.name, scope: this.scope.id, create: applied.create, update: applied.update, delete: applied.delete, errors: applied.errors });
  }

  fail(change: StoredChange, error: unknown): void {
    this.applied.errors++;
    this.tick();
    this.log.error(`${change.action} of ${change.target} ${change.key} failed: ${errorMessage(error)}`, {
      key: change.key,
      action: change.action,
      code: (error as { code?: string }).code,
    });
  }

  /**
   * When the read failed after writes began: waits for those in flight, and counts what was written,
   * the organizations those writes created included (the applier, which counts those, will not run).
   */
  async settle(): Promise<{ create: number; update: number }> {
    await this.pool.idle();
    const { ctx, scope } = this;
    let organizations = 0;
    if (ctx.rootId !== null) {
      for (const change of ctx.store.changes.of(ctx.source.name, scope.id, 'organization', 'create')) {
        const found = ctx.tree.resolve(ctx.rootId, change.detail.organizationPath ?? []);
        if (found.id !== null && found.missing.length === 0 && createdHere(ctx.tree, found.id)) organizations++;
      }
    }
    return { create: this.applied.create + organizations, update: this.applied.update };
  }

  /** Creates or updates one entity (in the caller's pool slot), recording how it ended. */
  async entity(change: StoredChange): Promise<void> {
    const { store } = this.ctx;
    try {
      await writeEntity(this.ctx, this.scope, change);
      store.changes.setOutcome(change.seq, 'applied');
      if (change.action === 'create') this.applied.create++;
      else this.applied.update++;
    } catch (error) {
      store.changes.setOutcome(change.seq, 'failed');
      this.fail(change, error);
      return;
    }
    this.tick();
  }
}

/**
 * Carries out one scope's plan against Elder in dependency order: organizations top-down,
 * entities, then their relations, then deletes (relations first) and empty organizations bottom-up.
 * A failed object is counted and reported; the others go on (DESIGN §5.6). Changes already written
 * while the scope was read (`EarlyWrites`, counted in `writes`) are not written again.
 */
export async function applyScope(ctx: SourceContext, scope: Scope, log: Logger, writes = new ScopeWrites(ctx, scope, log)): Promise<AppliedCounts> {
  const { applied, pool } = writes;
  const { store, source } = ctx;
  // Early writes still in flight end first: their changes are then marked, and not walked again.
  await pool.idle();
  const changes = (target: 'entity' | 'organization', action: StoredChange['action']) => store.changes.of(source.name, scope.id, target, action);
  /** Starts a write when a slot is free: the plan is walked page by page, never loaded whole. */
  const enqueue = (task: () => Promise<void>) =>
    pool.start(async () => {
      await task();
      writes.tick();
    });

  // Organizations: renames and moves first (records below them already name the new path), then
  // creations, parents before children.
  for (const change of changes('organization', 'update')) {
    if (writes.stopping()) break;
    try {
      const path = change.detail.organizationPath ?? [];
      const parentId = await ensureOrganizationPath(ctx, scope, path.slice(0, -1));
      const updated = await ctx.elder.updateOrganization(change.elderId!, { name: path[path.length - 1]!, parentId });
      ctx.tree.add(updated);
      // The mapping remembers where the organization is now (see mappedOrganization).
      ctx.state.putMapping(ownedOrganization(ctx, scope.id, change.key, change.kind, updated.id, path));
      applied.update++;
      writes.tick();
    } catch (error) {
      writes.fail(change, error);
    }
  }

  const organizationCreates = [...changes('organization', 'create')].sort(
    (a, b) => (a.detail.organizationPath?.length ?? 0) - (b.detail.organizationPath?.length ?? 0),
  );
  for (const change of organizationCreates) {
    if (writes.stopping()) break;
    try {
      const id = await ensureOrganizationPath(ctx, scope, change.detail.organizationPath ?? []);
      // Another unit of a dispatched run (or a scope of another source) may have made it first.
      if (createdHere(ctx.tree, id)) applied.create++;
      writes.tick();
    } catch (error) {
      writes.fail(change, error);
    }
  }

  // Entities.
  for (const action of ['create', 'update', 'adopt'] as const) {
    for (const change of changes('entity', action)) {
      if (writes.stopping()) break;
      await pool.start(() => writes.entity(change));
    }
  }
  await pool.idle();

  // Relations and late parents, once every entity of this scope exists (only the changes that have any).
  for (const action of ['create', 'update', 'adopt'] as const) {
    for (const change of store.changes.withLinks(source.name, scope.id, action)) {
      if (writes.stopping()) break;
      await enqueue(async () => {
        try {
          await writeLinks(ctx, change);
        } catch (error) {
          writes.fail(change, error);
        }
      });
    }
  }
  await pool.idle();

  // Deletes and marks.
  for (const action of ['delete', 'mark'] as const) {
    for (const change of changes('entity', action)) {
      if (writes.stopping()) break;
      await enqueue(async () => {
        try {
          if (change.action === 'mark') {
            await markStale(ctx, scope, change);
            applied.update++;
          } else {
            await deleteEntity(ctx, change);
            applied.delete++;
          }
        } catch (error) {
          writes.fail(change, error);
        }
      });
    }
  }
  await pool.idle();

  // Organizations whose record is gone: deepest first, and only when empty at that moment (deleting
  // an org cascades to all its entities, elder-api.md §0.1.9).
  const organizationDeletes = [...changes('organization', 'delete')].sort(
    (a, b) => (b.detail.organizationPath?.length ?? 0) - (a.detail.organizationPath?.length ?? 0),
  );
  for (const change of organizationDeletes) {
    if (writes.stopping()) break;
    try {
      if (await deleteOrganizationIfEmpty(ctx, change, log)) applied.delete++;
      writes.tick();
    } catch (error) {
      writes.fail(change, error);
    }
  }
  return applied;
}

async function writeEntity(ctx: SourceContext, scope: Scope, change: StoredChange): Promise<void> {
  const { source, store, elder } = ctx;
  const desired = change.after!;
  const organizationId = await ensureOrganizationPath(ctx, scope, change.detail.organizationPath ?? []);
  // The stamp claims the relations it had and the ones the links pass is about to create, before
  // their dependencies exist: a claim Elder does not confirm (the dependency was never made: a 500,
  // a crash) is dropped by the next run's index (checkClaimedRelations) and planned again, so no
  // second write is needed to claim them once made. A relation being removed stays claimed until
  // its dependency is gone (writeLinks then writes the stamp again): a dependency no stamp claims is
  // never looked at again. The parent is set now when it already exists in Elder, else in the links
  // pass, once it does.
  const parentId = desired.parent ? store.owned.elderIdOf(source.name, desired.parent) : null;
  const claimed: Projection = { ...desired, relations: [...new Set([...(change.before?.relations ?? []), ...desired.relations])].sort() };
  delete claimed.parent;
  if (parentId !== null) claimed.parent = desired.parent!;
  else if (change.before?.parent) claimed.parent = change.before.parent;
  const stamp = makeStamp({ key: change.key, source: source.name, scope: scope.id, kind: change.kind }, claimed);
  let entity: ElderEntity;
  if (change.action === 'create') {
    entity = await createEntity(ctx, change.key, {
      name: desired.name,
      entityType: desired.type,
      subType: desired.subType,
      organizationId,
      ...(parentId !== null ? { parentId } : {}),
      attributes: { ...desired.attributes, [STAMP_ATTRIBUTE]: stamp as unknown as JsonObject },
      tags: desired.tags,
    });
  } else {
    // An adopted entity has no stamp, so it is not in the index: read it as it is now.
    const indexed =
      change.action === 'adopt'
        ? await elder.getEntity(change.elderId!).then((e) => e && { ...e, elderId: e.id })
        : store.owned.get(source.name, change.key);
    if (!indexed) throw new Error(`${change.key} is no longer in Elder`);
    const previous = readStamp(indexed.attributes);
    const attributes = mergeAttributes(indexed.attributes, previous, desired, stamp);
    const tags = mergeTags(indexed.tags, previous, desired);
    const patch: EntityPatch = { attributes };
    const before = change.before!;
    if (desired.name !== before.name) patch.name = desired.name;
    if (desired.type !== before.type) patch.entityType = desired.type;
    // Elder cannot clear a field to null (elder-api.md §4.3): a dropped sub-type stays.
    if (desired.subType !== null && desired.subType !== before.subType) patch.subType = desired.subType;
    if (organizationId !== indexed.organizationId) patch.organizationId = organizationId;
    // Elder cannot clear parent_id (null is ignored, elder-api.md §4.3): a removed parent stays in Elder.
    if (parentId !== null && desired.parent !== before.parent) patch.parentId = parentId;
    if (canonicalJson(tags) !== canonicalJson(indexed.tags)) patch.tags = tags;
    entity = await elder.updateEntity(indexed.elderId, patch);
  }
  const hash = change.detail.hash ?? contentHash(desired);
  store.owned.put({
    source: source.name,
    key: change.key,
    elderId: entity.id,
    scope: scope.id,
    kind: change.kind,
    hash,
    projection: desired,
    attributes: entity.attributes,
    tags: entity.tags,
    organizationId: entity.organizationId,
  });
  ctx.state.deferMapping({ put: {
    source: source.name,
    scope: scope.id,
    key: change.key,
    kind: change.kind,
    elderKind: 'entity',
    elderId: entity.id,
    hash,
    owned: true,
  } });
}

/**
 * Elder has no idempotency key and no uniqueness (elder-api.md §0.1.6): a create that failed after
 * it was sent may have been applied, so look the key up in its slice before creating again.
 */
async function createEntity(ctx: SourceContext, key: string, entity: NewEntity): Promise<ElderEntity> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= CREATE_ATTEMPTS; attempt++) {
    try {
      return await ctx.elder.createEntity(entity);
    } catch (error) {
      if (!(error instanceof ElderWriteUncertainError)) throw error;
      lastError = error;
      const found = await findEntityByKey(ctx, key, entity);
      if (found) return found;
    }
  }
  throw lastError;
}

async function findEntityByKey(ctx: SourceContext, key: string, entity: NewEntity): Promise<ElderEntity | null> {
  // The name filter is a substring match (elder-api.md §4.3); the key decides.
  for await (const page of ctx.elder.listEntities({
    organizationId: entity.organizationId,
    entityType: entity.entityType,
    name: entity.name,
  })) {
    const match = page.filter((e) => readStamp(e.attributes)?.key === key).sort((a, b) => a.id - b.id)[0];
    if (match) return match;
  }
  return null;
}

/**
 * The second pass over written entities, once every entity of the scope exists: dependencies
 * (relations) and a parent that did not exist at the first write. The stamp is written once more
 * only when it must change: a relation removed, a parent set, or a dependency that failed (see
 * writeEntity for why added relations are claimed at the first write).
 */
async function writeLinks(ctx: SourceContext, change: StoredChange): Promise<void> {
  const { source, store, elder } = ctx;
  const before = new Set(change.before?.relations ?? []);
  const after = new Set(change.after?.relations ?? []);
  const added = [...after].filter((r) => !before.has(r));
  const removed = [...before].filter((r) => !after.has(r));
  const indexed = store.owned.get(source.name, change.key);
  const stamp = indexed ? readStamp(indexed.attributes) : null;
  const parent = change.after?.parent;
  const pendingParent = parent !== undefined && stamp?.parent !== parent ? parent : null;
  if (added.length === 0 && removed.length === 0 && pendingParent === null) return;
  if (!indexed || !stamp) throw new Error(`${change.key} has no Elder id`);
  const sourceId = indexed.elderId;
  const failedAdds = new Set<string>();
  let removeFailed = false;
  let firstError: unknown;
  for (const relation of added) {
    const { type, targetKey } = splitRelation(relation);
    const targetId = store.owned.elderIdOf(source.name, targetKey);
    try {
      if (targetId === null) throw new Error(`relation target ${targetKey} is not in Elder`);
      await elder.createDependency({ sourceId, targetId, dependencyType: type });
    } catch (error) {
      failedAdds.add(relation);
      firstError ??= error;
    }
  }
  if (removed.length > 0) {
    try {
      const targets = new Set(removed.map((r) => {
        const { type, targetKey } = splitRelation(r);
        return `${type}:${store.owned.elderIdOf(source.name, targetKey)}`;
      }));
      const ids = (await elder.entityDependencies(sourceId))
        .filter((d) => d.sourceType === 'entity' && d.sourceId === sourceId && targets.has(`${d.dependencyType}:${d.targetId}`))
        .map((d) => d.id);
      await elder.deleteDependencies(ids);
    } catch (error) {
      removeFailed = true;
      firstError ??= error;
    }
  }
  const parentId = pendingParent === null ? null : store.owned.elderIdOf(source.name, pendingParent);
  if (pendingParent !== null && parentId === null) firstError ??= new Error(`parent ${pendingParent} is not in Elder`);
  // Claim what Elder confirmed. When everything was confirmed that is the new state; otherwise the
  // confirmed part, so this run's successful writes are not redone (best effort: the old claim is
  // safe too, the next run re-adds with 409 = already there). The scope fails either way.
  const relations = [...before].filter((r) => after.has(r) || removeFailed).concat(added.filter((r) => !failedAdds.has(r)));
  const claimed: Stamp = { ...stamp, relations: [...new Set(relations)].sort() };
  if (parentId !== null) claimed.parent = pendingParent!;
  // The first write already claims what Elder now holds (every addition made, nothing removed): no
  // second write.
  if (firstError === undefined && parentId === null && sameStrings(claimed.relations, stamp.relations)) return;
  const write = elder
    .updateEntity(sourceId, {
      attributes: { ...indexed.attributes, [STAMP_ATTRIBUTE]: claimed as unknown as JsonObject },
      ...(parentId !== null ? { parentId } : {}),
    })
    .then((entity) => store.owned.put({ ...indexed, attributes: entity.attributes }));
  if (firstError === undefined) return write;
  await write.catch(() => undefined);
  throw firstError;
}

async function deleteEntity(ctx: SourceContext, change: StoredChange): Promise<void> {
  const { elder, store, source } = ctx;
  const id = change.elderId!;
  // Elder refuses to delete an entity that any dependency touches (elder-api.md §4.3).
  const dependencies = await elder.entityDependencies(id);
  await elder.deleteDependencies(dependencies.map((d) => d.id));
  await elder.deleteEntity(id);
  if (change.detail.duplicate) return;
  store.owned.remove(source.name, change.key);
  ctx.state.deferMapping({ delete: { source: source.name, key: change.key } });
}

async function markStale(ctx: SourceContext, scope: Scope, change: StoredChange): Promise<void> {
  const indexed = ctx.store.owned.get(ctx.source.name, change.key);
  if (!indexed) throw new Error(`${change.key} is no longer in the Elder index`);
  const stamp = readStamp(indexed.attributes);
  const marked: Stamp = { ...(stamp ?? makeStamp({ key: change.key, source: ctx.source.name, scope: scope.id, kind: change.kind }, indexed.projection)), stale_since: change.after!.staleSince };
  const attributes = { ...indexed.attributes, [STAMP_ATTRIBUTE]: marked as unknown as JsonObject };
  const entity = await ctx.elder.updateEntity(indexed.elderId, { attributes });
  ctx.store.owned.put({ ...indexed, attributes: entity.attributes, projection: change.after!, hash: contentHash(change.after!) });
}

async function deleteOrganizationIfEmpty(ctx: SourceContext, change: StoredChange, log: Logger): Promise<boolean> {
  const { elder, tree } = ctx;
  const id = change.elderId!;
  const hasChild = await firstOf(elder.listOrganizations({ parentId: id }));
  const hasEntity = await firstOf(elder.listEntities({ organizationId: id }));
  if (hasChild || hasEntity) {
    log.warn('organization kept: not empty', { key: change.key, organizationId: id, hasChild, hasEntity });
    return false;
  }
  await elder.deleteOrganization(id);
  tree.remove(id);
  ctx.state.deleteMapping(ctx.source.name, change.key);
  return true;
}

async function firstOf<T>(pages: AsyncGenerator<T[]>): Promise<boolean> {
  for await (const page of pages) {
    await pages.return(undefined);
    return page.length > 0;
  }
  return false;
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
