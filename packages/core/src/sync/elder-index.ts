import { contentHash } from '../json.js';
import type { Logger } from '../logger.js';
import { actualProjection, joinPath, readStamp } from './projection.js';
import type { SourceContext } from './source-context.js';

/**
 * Builds the run's index of the entities this source owns in Elder: every (organization, type) slice
 * below the source's root, paged at 1000 (DESIGN §6), kept on disk. Elder is the authority, so a lost
 * state file re-adopts objects instead of duplicating them (DESIGN §5.1).
 */
export async function indexOwnedEntities(ctx: SourceContext, log: Logger): Promise<{ indexed: number; duplicates: number }> {
  if (ctx.adopt) await indexAdoptableEntities(ctx, log);
  const owned = await indexOwned(ctx, log);
  // A plan of a source that owns nothing yet (its first sync) names the unowned look-alikes that
  // `--adopt` would take over, instead of silently planning duplicates of them. Only then: listing
  // every entity of a type costs reads that grow with Elder, not with what the source owns.
  if (!ctx.adopt && ctx.mode === 'plan' && owned.indexed === 0 && owned.duplicates === 0) {
    if (await indexAdoptableEntities(ctx, log)) ctx.lookAlikes = true;
  }
  return owned;
}

async function indexOwned(ctx: SourceContext, log: Logger): Promise<{ indexed: number; duplicates: number }> {
  if (ctx.rootId === null) return { indexed: 0, duplicates: 0 };
  const rootId = ctx.rootId;
  const entityTypes = new Set<string>();
  for (const [kind, spec] of Object.entries(ctx.connector.kinds)) {
    if (spec.target === 'entity') entityTypes.add(ctx.source.types[kind]?.entityType ?? spec.entityType);
  }
  let indexed = 0;
  let duplicates = 0;
  for (const organizationId of ctx.tree.subtree(rootId)) {
    const path = ctx.tree.pathBelow(rootId, organizationId);
    if (path === null) continue;
    const organization = joinPath(path);
    for (const entityType of entityTypes) {
      for await (const page of ctx.elder.listEntities({ organizationId, entityType })) {
        ctx.store.transaction(() => {
          for (const entity of page) {
            const stamp = readStamp(entity.attributes);
            if (!stamp || stamp.source !== ctx.source.name) continue;
            const projection = actualProjection(entity, stamp, organization);
            const outcome = ctx.store.index({
                source: ctx.source.name,
                key: stamp.key,
                elderId: entity.id,
                scope: stamp.scope,
                kind: stamp.kind,
                hash: contentHash(projection),
                projection,
                attributes: entity.attributes,
                tags: entity.tags,
                organizationId: entity.organizationId,
            });
            if (outcome === 'indexed') indexed++;
            else duplicates++;
          }
        });
      }
    }
  }
  if (duplicates > 0) log.warn('Elder holds several entities with the same key; the extra ones are planned for deletion', { duplicates });
  log.debug('indexed owned entities', { indexed });
  await checkClaimedRelations(ctx, log);
  return { indexed, duplicates };
}

/**
 * Stamps claim the relations Elder confirmed when they were written, but a dependency can be deleted
 * in Elder since (by hand, or with its other end). List the dependencies of the types claimed and
 * drop every claim Elder no longer holds from the indexed view, so the plan shows it and the run
 * re-creates it. Only claims are checked: a dependency between our entities that someone else made
 * is not ours. A dependency missed while paging (the list has no stable order) costs one create
 * that Elder answers with 409, already there.
 */
async function checkClaimedRelations(ctx: SourceContext, log: Logger): Promise<void> {
  const source = ctx.source.name;
  for (const type of ctx.store.claimedRelationTypes(source)) {
    for await (const page of ctx.elder.listDependencies({ dependencyType: type, sourceType: 'entity', targetType: 'entity' })) {
      ctx.store.transaction(() => {
        for (const dependency of page) ctx.store.confirmRelation(source, type, dependency.sourceId, dependency.targetId);
      });
    }
  }
  let entities = 0;
  for (const { key, relations } of ctx.store.unconfirmedRelations(source)) {
    const entry = ctx.store.getIndexed(source, key)!;
    const missing = new Set(relations);
    const projection = { ...entry.projection, relations: entry.projection.relations.filter((r) => !missing.has(r)) };
    ctx.store.replaceIndexed({ ...entry, projection, hash: contentHash(projection) });
    entities++;
  }
  if (entities > 0) log.info('relations missing in Elder are planned again', { entities });
}

/**
 * `--adopt`: unowned entities of the connector's types anywhere in Elder (the Python worker put its
 * data under its own organizations), remembered by the natural keys the connector declares.
 */
async function indexAdoptableEntities(ctx: SourceContext, log: Logger): Promise<boolean> {
  const keysByType = new Map<string, Set<string>>();
  for (const [kind, spec] of Object.entries(ctx.connector.kinds)) {
    if (spec.target !== 'entity' || !spec.naturalKeys?.length) continue;
    const type = ctx.source.types[kind]?.entityType ?? spec.entityType;
    const keys = keysByType.get(type) ?? new Set<string>();
    for (const key of spec.naturalKeys) keys.add(key);
    keysByType.set(type, keys);
  }
  if (keysByType.size === 0) return false;
  let candidates = 0;
  for (const [entityType, naturalKeys] of keysByType) {
    for await (const page of ctx.elder.listEntities({ entityType })) {
      ctx.store.transaction(() => {
        for (const entity of page) {
          if (readStamp(entity.attributes)) continue;
          for (const key of naturalKeys) {
            const value = entity.attributes[key];
            if (value === null || value === undefined || value === '') continue;
            ctx.store.addAdoptable(ctx.source.name, entity, key, value, foldsNaturalKey(ctx, entityType, key));
            candidates++;
          }
        }
      });
    }
  }
  log.info('indexed unowned entities for adoption', { candidates });
  return true;
}

/**
 * Whether values of `naturalKey` on entities of `entityType` compare case-folded: when a kind of
 * that type declaring the key says its source compares them so (`naturalKeyCase: 'insensitive'`).
 */
export function foldsNaturalKey(ctx: Pick<SourceContext, 'connector' | 'source'>, entityType: string, naturalKey: string): boolean {
  return Object.entries(ctx.connector.kinds).some(
    ([kind, spec]) =>
      spec.target === 'entity' &&
      spec.naturalKeyCase === 'insensitive' &&
      (spec.naturalKeys ?? []).includes(naturalKey) &&
      (ctx.source.types[kind]?.entityType ?? spec.entityType) === entityType,
  );
}

