import { ApiDisabledError, PermissionDeniedError, errorMessage, type ConnectionCheck, type ConnectorContext } from '@elder-sync/connector-sdk';
import { callGoogle, gcpClients, SERVICES } from './clients.js';
import type { GcpConfig } from './config.js';
import { projectParamsOf } from './discovery.js';

/**
 * For one project scope: the token, each parent's project listing, the project itself, and one
 * smallest read per API the configured resources need. A failure names the missing permission or
 * the disabled API (with the `gcloud services enable` command). Reads only.
 */
export async function testGcpConnection(ctx: ConnectorContext<GcpConfig>): Promise<ConnectionCheck[]> {
  const { config, signal } = ctx;
  const { projectId } = projectParamsOf(ctx.scope);
  const checks: ConnectionCheck[] = [];
  let clients;
  try {
    clients = await gcpClients(config);
    await clients.credentials.accessToken();
    checks.push({ name: 'token', ok: true, detail: `authenticated as ${clients.credentials.principal}` });
  } catch (error) {
    checks.push({ name: 'token', ok: false, detail: errorMessage(error) });
    return checks;
  }

  const probe = async (name: string, run: () => Promise<string>): Promise<void> => {
    try {
      checks.push({ name, ok: true, detail: await run() });
    } catch (error) {
      checks.push(failedCheck(name, error));
    }
  };

  const rm = await clients.resourceManager();
  for (const parent of config.parents ?? []) {
    await probe(`projects under ${parent}`, async () => {
      const page = await callGoogle('discovery/cloudresourcemanager', { what: `listing the projects under ${parent}`, service: SERVICES.cloudresourcemanager, permission: 'resourcemanager.projects.list' }, signal, () =>
        rm.projects.list({ parent, pageSize: 1 }, { signal }).then((r) => r.data),
      );
      return `listed (${(page.projects ?? []).length ? 'projects found' : 'no projects directly below'})`;
    });
  }
  await probe(`project ${projectId}`, async () => {
    const project = await callGoogle('discovery/cloudresourcemanager', { what: `reading project ${projectId}`, project: projectId, service: SERVICES.cloudresourcemanager, permission: 'resourcemanager.projects.get' }, signal, () =>
      rm.projects.get({ name: `projects/${projectId}` }, { signal }).then((r) => r.data),
    );
    return `${project.state ?? 'unknown state'}, number ${(project.name ?? '').replace(/^projects\//, '')}`;
  });

  const resources = new Set(config.resources);
  if (resources.has('instances') || resources.has('networks') || resources.has('subnetworks')) {
    const compute = await clients.compute();
    // A disabled API is named once, not once per method.
    let computeDisabled = false;
    const computeCheck = async (what: string, permission: string, call: () => Promise<unknown>) => {
      if (computeDisabled) return;
      await probe(`compute: ${what}`, async () => {
        try {
          await callGoogle(`${projectId}/compute`, { what: `${what} in project ${projectId}`, project: projectId, service: SERVICES.compute, permission }, signal, call);
        } catch (error) {
          computeDisabled = error instanceof ApiDisabledError;
          throw error;
        }
        return 'readable';
      });
    };
    if (resources.has('networks')) {
      await computeCheck('networks.list', 'compute.networks.list', () => compute.networks.list({ project: projectId, maxResults: 1 }, { signal }));
    }
    if (resources.has('subnetworks')) {
      await computeCheck('subnetworks.aggregatedList', 'compute.subnetworks.list', () =>
        compute.subnetworks.aggregatedList({ project: projectId, maxResults: 1 }, { signal }),
      );
    }
    if (resources.has('instances')) {
      await computeCheck('instances.aggregatedList', 'compute.instances.list', () =>
        compute.instances.aggregatedList({ project: projectId, maxResults: 1 }, { signal }),
      );
    }
  }
  if (resources.has('buckets')) {
    const storage = await clients.storage(projectId);
    await probe('storage: buckets.list', async () => {
      await callGoogle(`${projectId}/storage`, { what: `storage.buckets.list in project ${projectId}`, project: projectId, service: SERVICES.storage, permission: 'storage.buckets.list' }, signal, () =>
        storage.getBuckets({ autoPaginate: false, maxResults: 1 }),
      );
      return 'readable';
    });
  }
  return checks;
}

function failedCheck(name: string, error: unknown): ConnectionCheck {
  if (error instanceof ApiDisabledError) return { name, ok: false, detail: error.message, missing: [`${error.api} (API disabled)`] };
  if (error instanceof PermissionDeniedError && error.permission) return { name, ok: false, detail: error.message, missing: [error.permission] };
  return { name, ok: false, detail: errorMessage(error) };
}
