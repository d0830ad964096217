import PQueue from 'p-queue';
import { ListingGuard } from '../elder/listing-guard.js';
import type { ElderEntity, ListPage } from '../elder/types.js';
import { contentHash } from '../json.js';
import type { Logger } from '../logger.js';
import { actualProjection, joinPath, readStamp } from './projection.js';
import type { SourceContext } from './source-context.js';

/** What building the index cost and found (logged, and counted by the benchmarks). */
export interface IndexResult {
  indexed: number;
  duplicates: number;
  /** Entity types listed across Elder, and listed slice by slice (organization, type). */
  typeWide: string[];
  sliced: string[];
}

/**
 * Step 1 of a sync: the index of the entities this source owns in Elder, kept on disk (DESIGN §9).
 * Elder is the authority, so a lost state file re-adopts objects instead of duplicating them
 * (DESIGN §5.1).
 *
 * Elder filters entities by organization and type only, never by our stamp (elder-api.md §4.4). So
 * per entity type the index takes the cheaper of two ways, decided by the first page of the type
 * listed across Elder (which says how many pages there are): that listing, keeping what the
 * source's stamps claim below its root, when it has fewer pages than the source's subtree has
 * organizations; else every (organization, type) slice of the subtree. Reads grow with the objects
 * (about one per 1000) or with the organizations, whichever is fewer, plus one per type. Every
 * page is requested concurrently within `elder.concurrency` (the client's own cap).
 *
 * The index always holds the whole source, also for a unit of work (`SyncOptions.scopes`, a shard):
 * relations and parents may name objects of other scopes. Its cost does not grow with the number
 * of scopes, so a unit pays about (objects / 1000) reads for it.
 */
export async function indexOwnedEntities(ctx: SourceContext, log: Logger): Promise<IndexResult> {
  const requests = new PQueue({ concurrency: ctx.writeConcurrency });
  const result: IndexResult = { indexed: 0, duplicates: 0, typeWide: [], sliced: [] };
  const progress = (state: 'indexing' | 'indexed' | 'failed') => ctx.progress?.({ type: 'index', source: ctx.source.name, indexed: result.indexed, state });
  progress('indexing');
  try {
    if (ctx.adopt) await indexAdoptableEntities(ctx, requests, log);
    await indexOwned(ctx, requests, log, result, () => progress('indexing'));
    // A plan of a source that owns nothing yet (its first sync) names the unowned look-alikes that
    // `--adopt` would take over, instead of silently planning duplicates of them. Only then: listing
    // every entity of a type costs reads that grow with Elder, not with what the source owns.
    if (!ctx.adopt && ctx.mode === 'plan' && result.indexed === 0 && result.duplicates === 0) {
      if (await indexAdoptableEntities(ctx, requests, log)) ctx.lookAlikes = true;
    }
  } catch (error) {
    progress('failed');
    throw error;
  }
  progress('indexed');
  return result;
}

/** Fills `result` from Elder's listings, calling `onPage` after each page. */
async function indexOwned(ctx: SourceContext, requests: PQueue, log: Logger, result: IndexResult, onPage: () => void): Promise<void> {
  if (ctx.rootId === null) return;
  const started = performance.now();
  const rootId = ctx.rootId;
  // Organization id → its path below the root, for every organization of the subtree.
  const organizations = new Map<number, string>();
  for (const id of ctx.tree.subtree(rootId)) {
    const path = ctx.tree.pathBelow(rootId, id);
    if (path !== null) organizations.set(id, joinPath(path));
  }
  const keep = (page: ElderEntity[]) =>
    ctx.store.transaction(() => {
      for (const entity of page) {
        const stamp = readStamp(entity.attributes);
        if (!stamp || stamp.source !== ctx.source.name) continue;
        const organization = organizations.get(entity.organizationId);
        if (organization === undefined) continue;
        const projection = actualProjection(entity, stamp, organization);
        const outcome = ctx.store.owned.add({
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
        if (outcome === 'indexed') result.indexed++;
        else result.duplicates++;
      }
      onPage();
    });

  await Promise.all(
    entityTypesOf(ctx).map(async (entityType) => {
      const typeWide = await requests.add(async () => {
        const first = await ctx.elder.listEntitiesPage(1, { entityType });
        return first.pages <= organizations.size ? { rest: takeFirstPage(first, keep) } : null;
      });
      if (typeWide) {
        result.typeWide.push(entityType);
        await restOfPages(typeWide.rest, requests, (page) => ctx.elder.listEntitiesPage(page, { entityType }), keep);
        return;
      }
      result.sliced.push(entityType);
      await Promise.all(
        [...organizations.keys()].map((organizationId) =>
          allPages(requests, (page) => ctx.elder.listEntitiesPage(page, { organizationId, entityType }), keep),
        ),
      );
    }),
  );
  result.typeWide.sort();
  result.sliced.sort();
  if (result.duplicates > 0) {
    log.warn('Elder holds several entities with the same key; the extra ones are planned for deletion', { duplicates: result.duplicates });
  }
  await checkClaimedRelations(ctx, requests, log);
  log.debug('indexed owned entities', { indexed: result.indexed, typeWide: result.typeWide, sliced: result.sliced, ms: Math.round(performance.now() - started) });
}

/** The Elder entity types the connector's kinds land as (after the source's `types` overrides). */
function entityTypesOf(ctx: SourceContext): string[] {
  const types = new Set<string>();
  for (const [kind, spec] of Object.entries(ctx.connector.kinds)) {
    if (spec.target === 'entity') types.add(ctx.source.types[kind]?.entityType ?? spec.entityType);
  }
  return [...types].sort();
}

/** Every page of a list: the first, then the others at once (each handled as it arrives). */
export async function allPages<T>(
  requests: PQueue,
  fetch: (page: number) => Promise<ListPage<T>>,
  onPage: (items: T[]) => void,
): Promise<void> {
  const rest = await requests.add(async () => takeFirstPage(await fetch(1), onPage));
  await restOfPages(rest, requests, fetch, onPage);
}

/** What paging on after the first page needs: not its items. */
interface RestOfListing {
  firstPage: number;
  pages: number;
  guard: ListingGuard;
}

/**
 * Hands the first page's items on and keeps only what the other pages need. A caller awaiting the
 * rest must not hold the first page: when many slices are listed at once, every slice's first page
 * arrives before any second one, and holding them kept most of the index in memory (a Graph estate
 * of 100 000 objects peaked at about 300 MB, 216 MB without).
 */
function takeFirstPage<T>(first: ListPage<T>, onPage: (items: T[]) => void): RestOfListing | null {
  onPage(first.items);
  if (first.items.length === 0) return null;
  // A page that repeats, or a list shorter than its total, fails the listing (listing-guard.ts).
  return { firstPage: first.page, pages: first.pages, guard: new ListingGuard(first.what ?? 'a list', first) };
}

async function restOfPages<T>(
  rest: RestOfListing | null,
  requests: PQueue,
  fetch: (page: number) => Promise<ListPage<T>>,
  onPage: (items: T[]) => void,
): Promise<void> {
  if (!rest) return;
  const { guard } = rest;
  const pending: Array<Promise<void>> = [];
  for (let page = rest.firstPage + 1; page <= rest.pages; page++) {
    pending.push(
      requests.add(async () => {
        const next = await fetch(page);
        guard.check(next);
        onPage(next.items);
      }),
    );
  }
  await Promise.all(pending);
  guard.finish();
}

/**
 * Stamps claim the relations Elder confirmed when they were written, but a dependency can be deleted
 * in Elder since (by hand, or with its other end). List the dependencies of the types claimed and
 * drop every claim Elder no longer holds from the indexed view, so the plan shows it and the run
 * re-creates it. Only claims are checked: a dependency between our entities that someone else made
 * is not ours. A dependency missed while paging (the list has no stable order) costs one create
 * that Elder answers with 409, already there.
 */
async function checkClaimedRelations(ctx: SourceContext, requests: PQueue, log: Logger): Promise<void> {
  const source = ctx.source.name;
  await Promise.all(
    ctx.store.claims.types(source).map((type) =>
      allPages(
        requests,
        (page) => ctx.elder.listDependenciesPage(page, { dependencyType: type, sourceType: 'entity', targetType: 'entity' }),
        (dependencies) =>
          ctx.store.transaction(() => {
            for (const dependency of dependencies) ctx.store.claims.confirm(source, type, dependency.sourceId, dependency.targetId);
          }),
      ),
    ),
  );
  let entities = 0;
  for (const { key, relations } of ctx.store.claims.unconfirmed(source)) {
    const entry = ctx.store.owned.get(source, key)!;
    const missing = new Set(relations);
    const projection = { ...entry.projection, relations: entry.projection.relations.filter((r) => !missing.has(r)) };
    ctx.store.owned.replace({ ...entry, projection, hash: contentHash(projection) });
    entities++;
  }
  if (entities > 0) log.info('relations missing in Elder are planned again', { entities });
}

/**
 * `--adopt`: unowned entities of the connector's types anywhere in Elder (the Python worker put its
 * data under its own organizations), remembered by the natural keys the connector declares.
 */
async function indexAdoptableEntities(ctx: SourceContext, requests: PQueue, log: Logger): Promise<boolean> {
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
  const seen = new Set<number>();
  await Promise.all(
    [...keysByType].map(([entityType, naturalKeys]) =>
      allPages(
        requests,
        (page) => ctx.elder.listEntitiesPage(page, { entityType }),
        (page) =>
          ctx.store.transaction(() => {
            for (const entity of page) {
              // Pages may overlap (no stable order): one candidate per entity.
              if (seen.has(entity.id) || readStamp(entity.attributes)) continue;
              seen.add(entity.id);
              for (const key of naturalKeys) {
                const value = entity.attributes[key];
                if (value === null || value === undefined || value === '') continue;
                ctx.store.adoptable.add(ctx.source.name, entity, key, value, foldsNaturalKey(ctx, entityType, key));
                candidates++;
              }
            }
          }),
      ),
    ),
  );
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
