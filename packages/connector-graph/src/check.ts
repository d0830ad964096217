import { PermissionDeniedError, errorMessage, type ConnectionCheck, type ConnectorContext } from '@elder-sync/connector-sdk';
import type { GraphConfig } from './config.js';
import { sessionFor } from './read.js';
import { RESOURCE_SPECS, type Audience, type Resource } from './resources.js';

/** The cheap read that proves each resource's permission. */
function probeUrl(resource: Resource): string {
  if (resource === 'vulnerabilities') {
    return `/api/machines/SoftwareVulnerabilityChangesByMachine?pageSize=1&sinceTime=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString())}`;
  }
  return RESOURCE_SPECS[resource].probe;
}

/**
 * Per tenant: a token for each audience the configured resources need (Graph, Defender), then one
 * small read per resource, the Graph ones together in one `$batch`. Every refused read names the
 * application permission to grant (`missing`). Read-only.
 */
export async function testTenant(ctx: ConnectorContext<GraphConfig>): Promise<ConnectionCheck[]> {
  const s = await sessionFor(ctx);
  const resources = [...ctx.config.resources];
  const checks: ConnectionCheck[] = [];
  const tokenOk = new Map<Audience, string | undefined>();
  for (const audience of ['graph', 'defender'] as const) {
    if (!resources.some((r) => RESOURCE_SPECS[r].audience === audience)) continue;
    const host = audience === 'graph' ? s.endpoints.graph : s.endpoints.defender;
    try {
      await s.token(audience);
      checks.push({ name: `token ${audience}`, ok: true, detail: `app ${s.tenant.clientId} signed in to ${s.tenant.name} for ${host}` });
      tokenOk.set(audience, undefined);
    } catch (error) {
      checks.push({ name: `token ${audience}`, ok: false, detail: errorMessage(error), missing: ['admin consent or valid credentials for the app'] });
      tokenOk.set(audience, `not checked: no ${audience} token`);
    }
  }

  const graphResources = resources.filter((r) => RESOURCE_SPECS[r].audience === 'graph');
  const results = new Map<Resource, ConnectionCheck>();
  const failed = (r: Resource, error: unknown): ConnectionCheck => ({
    name: `read ${r}`,
    ok: false,
    detail: errorMessage(error),
    ...(error instanceof PermissionDeniedError ? { missing: [error.permission ?? RESOURCE_SPECS[r].permission] } : {}),
  });
  if (graphResources.length > 0 && tokenOk.get('graph') === undefined) {
    try {
      const answers = await s.batch(graphResources[0]!, graphResources.map((r) => ({ url: probeUrl(r).replace(/^\/v1\.0/, '') })));
      graphResources.forEach((r, i) => {
        const a = answers[i]!;
        results.set(
          r,
          a.status === 200
            ? { name: `read ${r}`, ok: true, detail: `${RESOURCE_SPECS[r].permission} granted` }
            : failed(r, s.itemFailure(a, `GET ${probeUrl(r)}`, r)),
        );
      });
    } catch (error) {
      for (const r of graphResources) results.set(r, failed(r, error));
    }
  }
  for (const r of resources) {
    if (results.has(r)) continue;
    const notChecked = tokenOk.get(RESOURCE_SPECS[r].audience);
    if (notChecked) {
      results.set(r, { name: `read ${r}`, ok: false, detail: notChecked });
      continue;
    }
    try {
      await s.get(r, s.defenderUrl(probeUrl(r)));
      results.set(r, { name: `read ${r}`, ok: true, detail: `${RESOURCE_SPECS[r].permission} granted` });
    } catch (error) {
      results.set(r, failed(r, error));
    }
  }
  for (const r of resources) checks.push(results.get(r)!);
  return checks;
}
