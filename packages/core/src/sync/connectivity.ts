import type { ElderSyncConfig, SourceConfig } from '../config/schema.js';
import type { ElderApi } from '../elder/types.js';
import { validateSourceConfig } from '../config/index.js';
import { discoverScopes, type ConnectionCheck } from '../connector.js';
import { errorMessage, PermissionDeniedError } from '../errors.js';
import { redact } from '../secrets.js';
import { OrgTree } from './org-tree.js';
import { resolveRoot } from './organizations.js';
import { joinPath } from './projection.js';
import { createElderClientFromConfig, selectSources } from './run-sync.js';
import type { ConnectivityReport, SyncOptions } from './types.js';

/** Seconds a single source check may take before it is reported as failed. */
const CHECK_TIMEOUT_MS = 30_000;

/**
 * For Elder and every scope of the selected sources: reachable, authenticated, permitted.
 * Never writes anywhere — not to Elder, not to the sources, not to state.
 */
export async function testConnectivity(
  options: Pick<SyncOptions, 'config' | 'connectors' | 'sources' | 'log' | 'elder' | 'signal'>,
): Promise<ConnectivityReport> {
  const config = options.config as ElderSyncConfig;
  const sources = selectSources(config, options.sources ?? []);
  const elder = options.elder ?? createElderClientFromConfig(config, options.log);
  const elderChecks: ConnectionCheck[] = [];
  try {
    const status = await elder.status();
    elderChecks.push({ name: 'reachable', ok: true, detail: `${config.elder.url} answers as ${status.service} ${status.version}` });
    try {
      await elder.checkAuth();
      elderChecks.push({ name: 'authenticated', ok: true, detail: config.elder.token ? 'static token accepted' : `logged in as ${config.elder.email}` });
      elderChecks.push({ name: 'list', ok: true, detail: 'can list organizations and entities' });
      // Elder v3.2.1 grants writes to every authenticated user (its RBAC is a stub, elder-api.md §2.1);
      // proving it would need a write, which this command never makes.
      elderChecks.push({ name: 'create', ok: true, detail: 'granted to every authenticated user by Elder v3.2.1 (not exercised: no writes)' });
      elderChecks.push(...(await organizationChecks(elder, config, sources)));
    } catch (error) {
      elderChecks.push({ name: 'authenticated', ok: false, detail: redact(errorMessage(error)) });
    }
  } catch (error) {
    elderChecks.push({ name: 'reachable', ok: false, detail: redact(errorMessage(error)) });
  } finally {
    if (!options.elder) await elder.close();
  }

  const results: ConnectivityReport['sources'] = [];
  for (const source of sources) {
    const log = options.log.child({ source: source.name });
    try {
      const connector = await options.connectors(source.connector);
      const connectorConfig = validateSourceConfig(config.sources.indexOf(source), source.config, connector, source.types);
      const discovery = await discoverScopes(connector, connectorConfig, { log, signal: options.signal ?? new AbortController().signal });
      for (const failure of discovery.failed) {
        results.push({
          source: source.name,
          connector: source.connector,
          scope: failure.id,
          label: failure.label,
          checks: [{ name: 'discovery', ok: false, detail: redact(errorMessage(failure.error)), ...missingPermission(failure.error) }],
        });
      }
      for (const scope of discovery.scopes) {
        let checks: ConnectionCheck[];
        const signal = AbortSignal.any([AbortSignal.timeout(CHECK_TIMEOUT_MS), ...(options.signal ? [options.signal] : [])]);
        try {
          checks = await connector.testConnection({ config: connectorConfig, scope, log: log.child({ scope: scope.id }), signal });
        } catch (error) {
          checks = [{ name: 'connection', ok: false, detail: redact(errorMessage(error)) }];
        }
        results.push({ source: source.name, connector: source.connector, scope: scope.id, label: scope.label, checks: checks.map(redactCheck) });
      }
    } catch (error) {
      results.push({
        source: source.name,
        connector: source.connector,
        scope: '*',
        label: source.connector,
        checks: [{ name: 'connector', ok: false, detail: redact(errorMessage(error)) }],
      });
    }
  }
  const ok = elderChecks.every((c) => c.ok) && results.every((r) => r.checks.every((c) => c.ok));
  return { elder: elderChecks, sources: results, ok };
}

/** A discovery denied for want of a permission names it, like any other check. */
function missingPermission(error: unknown): Pick<ConnectionCheck, 'missing'> {
  return error instanceof PermissionDeniedError && error.permission ? { missing: [error.permission] } : {};
}

function redactCheck(check: ConnectionCheck): ConnectionCheck {
  return check.detail === undefined ? check : { ...check, detail: redact(check.detail) };
}

/**
 * The organizations synced objects hang under (elder.organization, and each selected source's
 * own): an id must exist; a path must exist or be allowed to be created. Read only.
 */
async function organizationChecks(elder: ElderApi, config: ElderSyncConfig, sources: SourceConfig[]): Promise<ConnectionCheck[]> {
  let tree: OrgTree;
  try {
    tree = await OrgTree.load(elder);
  } catch (error) {
    return [{ name: 'organization', ok: false, detail: redact(errorMessage(error)) }];
  }
  const refs = new Map<string, { ref: { path: string[] } | { id: number }; configPath: string }>();
  refs.set(JSON.stringify(config.elder.organization), { ref: config.elder.organization, configPath: 'elder.organization' });
  for (const source of sources) {
    if (!source.organization) continue;
    const key = JSON.stringify(source.organization);
    if (!refs.has(key)) refs.set(key, { ref: source.organization, configPath: `sources[${config.sources.indexOf(source)}].organization` });
  }
  const checks: ConnectionCheck[] = [];
  for (const { ref, configPath } of refs.values()) {
    const what = 'id' in ref ? `organization #${ref.id}` : `organization "${joinPath(ref.path)}"`;
    try {
      const root = await resolveRoot(elder, tree, ref, { create: false, createMissing: config.elder.createMissingOrganizations, configPath });
      checks.push({
        name: 'organization',
        ok: true,
        detail: root.missing.length === 0 ? `${what} exists (${configPath})` : `${what} does not exist yet; the first run creates ${joinPath(root.missing)} (${configPath})`,
      });
    } catch (error) {
      const issues = (error as { issues?: Array<{ path: string; message: string }> }).issues;
      const detail = issues?.length ? issues.map((i) => `${i.path}: ${i.message}`).join('; ') : errorMessage(error);
      checks.push({ name: 'organization', ok: false, detail: redact(detail) });
    }
  }
  return checks;
}
