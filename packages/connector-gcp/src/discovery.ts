import { NotFoundError, pages, type DiscoveryContext, type Scope, type ScopeDiscovery, type ScopeDiscoveryFailure } from '@elder-sync/connector-sdk';
import type { cloudresourcemanager_v3 } from '@googleapis/cloudresourcemanager/build/v3.js';
import { callGoogle, gcpClients, SERVICES } from './clients.js';
import { projectMatcher, type GcpConfig } from './config.js';

type Rm = cloudresourcemanager_v3.Cloudresourcemanager;
const RM_KEY = 'discovery/cloudresourcemanager';
/** Resource Manager v3 list calls accept up to 1000; small pages in tests come from `pageSize`. */
const RM_MAX_PAGE = 1000;

/** What a project scope carries: what `read` needs without asking Resource Manager again. */
export interface ProjectScopeParams {
  projectId: string;
  projectNumber: string;
  displayName: string;
  /** Organization names from the source root down to the project's parent (organization, folders). */
  path: string[];
  labels: Record<string, string>;
  parent: string;
  [key: string]: string | string[] | Record<string, string>;
}

export function projectParamsOf(scope: Scope): ProjectScopeParams {
  return scope.params as unknown as ProjectScopeParams;
}

/**
 * The projects to read, found at run time:
 * - every ACTIVE project below each of `parents`, walking folders recursively; the organization path
 *   is the parent's display name, then each folder's;
 * - each of `projects` not found that way, directly below the source root (reading a named project
 *   needs only resourcemanager.projects.get, not its ancestors');
 * - minus `excludeProjects`.
 * A parent or folder that cannot be listed, or a named project that cannot be read, goes in `failed`:
 * the run reports it (exit 3) and, while any failure is present, deletes no vanished scope's objects.
 * A named project in DELETE_REQUESTED state is gone on purpose: it is simply not a scope.
 */
export async function discoverProjects(config: GcpConfig, context: DiscoveryContext): Promise<ScopeDiscovery> {
  const { signal, log } = context;
  const clients = await gcpClients(config);
  const rm = await clients.resourceManager();
  const excluded = projectMatcher(config.excludeProjects);
  const pageSize = Math.min(config.pageSize, RM_MAX_PAGE);
  /** Project id → its scope and the index of the parent it was found under (the first parent listed wins). */
  const found = new Map<string, { scope: Scope; rank: number }>();
  const failed: ScopeDiscoveryFailure[] = [];
  let skipped = 0;

  const add = (project: cloudresourcemanager_v3.Schema$Project, path: string[], rank: number) => {
    const projectId = project.projectId ?? '';
    if (!projectId || project.state !== 'ACTIVE') return;
    if (excluded(projectId)) {
      skipped++;
      return;
    }
    // Parents may overlap (an organization and a folder inside it): walks run at once, so which
    // finds a project first is chance; the parent listed first in the config decides its path.
    const seen = found.get(projectId);
    if (!seen || rank < seen.rank) found.set(projectId, { scope: projectScope(project, path), rank });
  };

  const walk = async (parent: string, path: string[], rank: number): Promise<void> => {
    try {
      for await (const page of pages({
        what: `projects.list under ${parent}`,
        fetchPage: (pageToken) =>
          callGoogle(RM_KEY, { what: `listing the projects under ${parent}`, service: SERVICES.cloudresourcemanager, permission: 'resourcemanager.projects.list' }, signal, () =>
            rm.projects.list({ parent, pageSize, ...(pageToken ? { pageToken } : {}) }, { signal }).then((r) => r.data),
          ),
        nextToken: (page) => page.nextPageToken,
      })) {
        for (const project of page.projects ?? []) add(project, path, rank);
      }
      const folders: cloudresourcemanager_v3.Schema$Folder[] = [];
      for await (const page of pages({
        what: `folders.list under ${parent}`,
        fetchPage: (pageToken) =>
          callGoogle(RM_KEY, { what: `listing the folders under ${parent}`, service: SERVICES.cloudresourcemanager, permission: 'resourcemanager.folders.list' }, signal, () =>
            rm.folders.list({ parent, pageSize, ...(pageToken ? { pageToken } : {}) }, { signal }).then((r) => r.data),
          ),
        nextToken: (page) => page.nextPageToken,
      })) {
        for (const folder of page.folders ?? []) if (folder.state === 'ACTIVE' && folder.name) folders.push(folder);
      }
      // Sibling folders are walked at once; the limiter's key bounds what is in flight, and the
      // scopes are sorted at the end, so the answer does not depend on which listing finished first.
      await Promise.all(folders.map((folder) => walk(folder.name!, [...path, folder.displayName || folder.name!], rank)));
    } catch (error) {
      if (signal.aborted) throw error;
      failed.push({ id: parent, label: `${parent} (${[...path].join(' / ')})`, error });
    }
  };

  await Promise.all(
    (config.parents ?? []).map(async (parent, rank) => {
      let name: string;
      try {
        name = await displayNameOf(rm, parent, signal);
      } catch (error) {
        if (signal.aborted) throw error;
        failed.push({ id: parent, label: parent, error });
        return;
      }
      await walk(parent, [name], rank);
    }),
  );

  for (const projectId of config.projects ?? []) {
    if (found.has(projectId) || excluded(projectId)) continue;
    try {
      const project = await callGoogle(
        RM_KEY,
        { what: `reading project ${projectId}`, project: projectId, service: SERVICES.cloudresourcemanager, permission: 'resourcemanager.projects.get' },
        signal,
        () => rm.projects.get({ name: `projects/${projectId}` }, { signal }).then((r) => r.data),
      );
      if (project.state === 'ACTIVE') add(project, [], Number.MAX_SAFE_INTEGER);
      else log.warn('project is not ACTIVE; not read', { project: projectId, state: project.state });
    } catch (error) {
      if (signal.aborted) throw error;
      failed.push({ id: projectId, label: `project ${projectId}`, error });
    }
  }
  if (skipped > 0) log.info('projects left out by excludeProjects', { count: skipped });
  const scopes = [...found.values()].map((f) => f.scope).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  failed.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { scopes, failed };
}

function projectScope(project: cloudresourcemanager_v3.Schema$Project, path: string[]): Scope {
  const projectId = project.projectId!;
  const params: ProjectScopeParams = {
    projectId,
    projectNumber: (project.name ?? '').replace(/^projects\//, ''),
    displayName: project.displayName ?? projectId,
    path,
    labels: Object.fromEntries(Object.entries(project.labels ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))),
    parent: project.parent ?? '',
  };
  return { id: projectId, label: path.length ? `${projectId} (${path.join(' / ')})` : projectId, params };
}

/** An organization's or folder's display name: the top organization below the source root. */
async function displayNameOf(rm: Rm, parent: string, signal: AbortSignal): Promise<string> {
  const isFolder = parent.startsWith('folders/');
  const node = await callGoogle(
    RM_KEY,
    {
      what: `reading ${parent}`,
      service: SERVICES.cloudresourcemanager,
      permission: isFolder ? 'resourcemanager.folders.get' : 'resourcemanager.organizations.get',
    },
    signal,
    () => (isFolder ? rm.folders.get({ name: parent }, { signal }) : rm.organizations.get({ name: parent }, { signal })).then((r) => r.data),
  );
  if (node.state !== undefined && node.state !== null && node.state !== 'ACTIVE') {
    throw new NotFoundError(`${parent} is ${node.state}, not ACTIVE`);
  }
  return node.displayName || parent;
}
