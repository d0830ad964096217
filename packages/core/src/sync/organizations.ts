import type { Scope } from '../connector.js';
import { ElderWriteUncertainError } from '../elder/errors.js';
import type { ElderApi, ElderOrganization } from '../elder/types.js';
import { ConfigError, ElderSyncError } from '../errors.js';
import { contentHash } from '../json.js';
import type { Mapping } from '../state/store.js';
import type { OrgTree } from './org-tree.js';
import { joinPath, organizationPathKey } from './projection.js';
import type { SourceContext } from './source-context.js';

const CREATE_ATTEMPTS = 4;

/** What the organization creations of one run (one tree) share. */
interface Creations {
  /** Organization paths being created right now, so concurrent scopes create each one once. */
  inFlight: Map<string, Promise<number>>;
  /** Organizations this process created and kept (see createdHere). */
  kept: Set<number>;
}
const creations = new WeakMap<OrgTree, Creations>();

/**
 * The id of the organization at `path` below the source root, creating what is missing (and
 * recording the ones this tool created as owned). Exact-name match under the parent, on the client:
 * the server's name filter is a substring match (DESIGN §6).
 */
export async function ensureOrganizationPath(ctx: SourceContext, scope: Scope, path: readonly string[]): Promise<number> {
  if (ctx.rootId === null) throw new ElderSyncError('ELDER_ROOT_MISSING', 'the root organization does not exist');
  let parentId = ctx.rootId;
  for (let depth = 0; depth < path.length; depth++) {
    const name = path[depth]!;
    const existing = ctx.tree.child(parentId, name);
    if (existing) {
      parentId = existing.id;
      continue;
    }
    if (!ctx.createMissingOrganizations) {
      throw new ElderSyncError(
        'ELDER_ORGANIZATION_MISSING',
        `organization "${joinPath(path.slice(0, depth + 1))}" does not exist and elder.createMissingOrganizations is false`,
      );
    }
    const prefix = path.slice(0, depth + 1);
    const joined = joinPath(prefix);
    const { inFlight } = creationsOf(ctx.tree);
    const slot = `${parentId}/${name}`;
    let pending = inFlight.get(slot);
    if (!pending) {
      pending = createOrganization(ctx.elder, ctx.tree, parentId, name).then((org) => {
        for (const key of ctx.plannedOrganizations.get(joined) ?? []) {
          ctx.state.putMapping(ownedOrganization(ctx, scope.id, key, kindOfKey(key), org.id, prefix));
        }
        return org.id;
      });
      inFlight.set(slot, pending);
      pending.finally(() => inFlight.delete(slot)).catch(() => undefined);
    }
    parentId = await pending;
  }
  return parentId;
}

/**
 * The mapping of an organization this tool owns. Its hash is what it remembers of it: the path below
 * the source root where this tool last created, renamed or found it (see mappedOrganization).
 */
export function ownedOrganization(ctx: Pick<SourceContext, 'source'>, scope: string, key: string, kind: string, elderId: number, path: readonly string[]): Mapping {
  return { source: ctx.source.name, scope, key, kind, elderKind: 'organization', elderId, hash: organizationHash(path), owned: true };
}

export function organizationHash(path: readonly string[]): string {
  return contentHash(joinPath(path));
}

/**
 * The organization an owned mapping names, and its path below the source root, if Elder still holds
 * it where the mapping remembers it. Ids start again when Elder is rebuilt from scratch, so under a
 * kept state file an id alone can name someone else's organization: that one is not taken for ours
 * (null), neither renamed nor deleted. The root itself never is an owned organization. Mappings
 * written before the path was kept (hash null) are still trusted by id, except an organization only
 * implied by a path (`@org`): its key names the path, which it must still be at.
 */
export function mappedOrganization(
  ctx: Pick<SourceContext, 'tree' | 'rootId'>,
  mapping: Mapping,
): { org: ElderOrganization; path: string[] } | null {
  const org = ctx.rootId === null ? undefined : ctx.tree.get(mapping.elderId);
  const path = org ? ctx.tree.pathBelow(ctx.rootId!, org.id) : null;
  if (!org || !path || path.length === 0) return null;
  const stillThere =
    mapping.hash !== null ? mapping.hash === organizationHash(path) : mapping.kind !== '@org' || mapping.key === organizationPathKey(mapping.source, path);
  return stillThere ? { org, path } : null;
}

/**
 * Whether this process created the organization (and kept it: another process that created the
 * same one at the same moment keeps the first, see settleRace), answered yes once per organization,
 * so a run counts each creation once however many scopes or units planned it.
 */
export function createdHere(tree: OrgTree, id: number): boolean {
  return creationsOf(tree).kept.delete(id);
}

function creationsOf(tree: OrgTree): Creations {
  let shared = creations.get(tree);
  if (!shared) creations.set(tree, (shared = { inFlight: new Map(), kept: new Set() }));
  return shared;
}

/** `<source>/<kind>/<externalId>` → kind (`@org` for implied organizations). */
function kindOfKey(key: string): string {
  const first = key.indexOf('/');
  const second = key.indexOf('/', first + 1);
  return key.slice(first + 1, second);
}

async function createOrganization(elder: ElderApi, tree: OrgTree, parentId: number | null, name: string): Promise<ElderOrganization> {
  let lastError: unknown;
  const keep = (org: ElderOrganization) => {
    creationsOf(tree).kept.add(org.id);
    return org;
  };
  for (let attempt = 1; attempt <= CREATE_ATTEMPTS; attempt++) {
    try {
      const org = await elder.createOrganization({ name, parentId });
      // Into the tree only once settled: a write that found the losing copy there would put its
      // objects (or a child organization) into it, and it could no longer be deleted.
      const first = await settleRace(elder, org);
      tree.add(first);
      return first.id === org.id ? keep(org) : first;
    } catch (error) {
      if (!(error instanceof ElderWriteUncertainError)) throw error;
      lastError = error;
      // It may have been created before the error: look before creating again (and take it for ours).
      for await (const page of elder.listOrganizations({ ...(parentId === null ? {} : { parentId }), name })) {
        const match = page.filter((o) => o.name === name && o.parentId === parentId).sort((a, b) => a.id - b.id)[0];
        if (match) {
          tree.add(match);
          return keep(match);
        }
      }
    }
  }
  throw lastError;
}

/**
 * Another process (a shard, a worker) may have created the same organization at the same moment:
 * Elder has no uniqueness. Every creator looks once after its create and keeps the lowest id; the
 * loser deletes its own, still empty, copy. Ids grow with creation, so whoever looks after creating
 * sees the first copy, and every process converges on it.
 */
async function settleRace(elder: ElderApi, created: ElderOrganization): Promise<ElderOrganization> {
  let first: ElderOrganization = created;
  try {
    for await (const page of elder.listOrganizations({ ...(created.parentId === null ? {} : { parentId: created.parentId }), name: created.name })) {
      for (const org of page) if (org.name === created.name && org.parentId === created.parentId && org.id < first.id) first = org;
    }
  } catch {
    return created; // Cannot look: keep ours; a later run prefers the lowest id anyway (OrgTree.child).
  }
  if (first.id === created.id) return created;
  await elder.deleteOrganization(created.id).catch(() => undefined);
  return first;
}

export interface ResolvedRoot {
  id: number | null;
  /** Names still to create below the deepest existing organization (plan mode). */
  missing: string[];
}

/**
 * Finds (and in apply mode creates) the organization synced objects hang under: `{id}` must exist;
 * `{path}` is walked from the top by exact names. The root is shared by sources and never owned.
 */
export async function resolveRoot(
  elder: ElderApi,
  tree: OrgTree,
  ref: { path: string[] } | { id: number },
  options: { create: boolean; createMissing: boolean; configPath: string },
): Promise<ResolvedRoot> {
  if ('id' in ref) {
    if (!tree.get(ref.id)) {
      throw new ConfigError([{ path: `${options.configPath}.id`, message: `Elder has no organization ${ref.id}; give an existing id or a path` }]);
    }
    return { id: ref.id, missing: [] };
  }
  const { id, missing } = tree.resolve(null, ref.path);
  if (missing.length === 0) return { id, missing };
  if (!options.createMissing) {
    throw new ConfigError([{
      path: `${options.configPath}.path`,
      message: `Elder has no organization "${joinPath(ref.path)}" and elder.createMissingOrganizations is false; create it or fix the path`,
    }]);
  }
  if (!options.create) return { id: null, missing: ref.path.slice(ref.path.length - missing.length) };
  let parentId = id;
  for (const name of missing) parentId = (await createOrganization(elder, tree, parentId, name)).id;
  return { id: parentId, missing: [] };
}
