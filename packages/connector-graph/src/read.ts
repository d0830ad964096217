import { PermissionDeniedError, type ReadContext, type ReadItem } from '@elder-sync/connector-sdk';
import { evidenceUsers, readAlerts } from './alerts.js';
import { endpointsFor } from './cloud.js';
import type { GraphConfig } from './config.js';
import { emptyCursor, parseCursor, type GraphCursor } from './cursor.js';
import { DeviceIndex } from './device-index.js';
import { KnownIds } from './known-ids.js';
import { readDirectory } from './directory.js';
import { fullPull } from './full-pull.js';
import { HttpTransport } from './http.js';
import { MANAGED_DEVICE_SELECT, mapMachine, mapManagedDevice, mapSecureScore, type TenantPlace } from './mapping.js';
import { RESOURCE_SPECS, type Resource } from './resources.js';
import { TenantSession } from './session.js';
import { tenantOf } from './tenants.js';
import { readVulnerabilities } from './vulnerabilities.js';

/** One transport per CA setting for the process (connection pools are shared by every tenant). */
const transports = new Map<string, Promise<HttpTransport>>();
export function transportFor(caFile: string | undefined): Promise<HttpTransport> {
  const key = caFile ?? '';
  let t = transports.get(key);
  if (!t) {
    t = HttpTransport.create(caFile);
    t.catch(() => transports.delete(key));
    transports.set(key, t);
  }
  return t;
}

export async function sessionFor(ctx: Pick<ReadContext<GraphConfig>, 'config' | 'scope' | 'log' | 'signal'>): Promise<TenantSession> {
  const tenant = tenantOf(ctx.config, ctx.scope);
  return new TenantSession(tenant, endpointsFor(ctx.config.cloud, ctx.config.endpoints), await transportFor(ctx.config.caFile), ctx.log, ctx.signal);
}

/**
 * One tenant's read, resource by resource in a fixed order (directory first: Intune devices and
 * Defender machines link to Entra devices). Each resource resumes from its own part of the cursor; the
 * one checkpoint comes at the end, so a run that fails halfway resumes from the previous one (the engine
 * stores it only after Elder confirmed every write, and never in `diff` or `run --dry-run`: a delta
 * link is then read again, which Graph allows until it expires).
 */
export async function* readTenant(ctx: ReadContext<GraphConfig>): AsyncGenerator<ReadItem> {
  const s = await sessionFor(ctx);
  try {
    yield* readResources(ctx, s);
  } catch (error) {
    if (!(error instanceof PermissionDeniedError)) throw error;
    throw await allMissingPermissions(ctx, s, error);
  }
}

/**
 * A refused read names every application permission the tenant's app lacks, not just the first one
 * hit (revoked consent lacks them all): one probe per configured resource, as testConnection does.
 */
async function allMissingPermissions(ctx: ReadContext<GraphConfig>, s: TenantSession, first: PermissionDeniedError): Promise<PermissionDeniedError> {
  const { testTenant } = await import('./check.js');
  const checks = await testTenant(ctx).catch(() => []);
  const missing = [...new Set([first.permission, ...checks.flatMap((c) => (c.name.startsWith('read ') ? (c.missing ?? []) : []))].filter((p): p is string => !!p))].sort();
  if (missing.length <= 1) return first;
  const resources = ctx.config.resources.filter((r) => missing.includes(RESOURCE_SPECS[r].permission));
  return new PermissionDeniedError(
    `${s.who}: the app registration ${s.tenant.clientId} lacks the application permissions ${missing.join(', ')} (consent revoked?); ` +
      `grant them with admin consent in this tenant, or remove ${resources.map((r) => `"${r}"`).join(', ')} from resources`,
    { permission: missing.join(', '), cause: first },
  );
}

async function* readResources(ctx: ReadContext<GraphConfig>, s: TenantSession): AsyncGenerator<ReadItem> {
  const want = new Set<Resource>(ctx.config.resources);
  const previous = ctx.mode === 'incremental' ? parseCursor(ctx.checkpoint) : undefined;
  if (ctx.mode === 'incremental' && previous === undefined) ctx.log.info('no usable Graph cursor for an incremental read; reading everything', { tenant: s.tenant.id });
  const next: GraphCursor = emptyCursor();
  const place: TenantPlace = { tenantId: s.tenant.id.toLowerCase(), organizationPath: [s.tenant.name] };
  const devices = new DeviceIndex();
  const users = new KnownIds();
  const machines = new KnownIds();

  if (want.has('users') || want.has('groups') || want.has('devices')) {
    next.delta = yield* readDirectory(s, {
      users: want.has('users'),
      groups: want.has('groups'),
      devices: want.has('devices'),
      cursor: previous?.delta,
      place,
      devicesIndex: devices,
      usersIndex: users,
    });
  }

  const entraDevices = async (rows: Record<string, unknown>[], field: string) =>
    want.has('devices')
      ? devices.resolve(s, rows.map((r) => r[field]).filter((v): v is string => typeof v === 'string' && v !== ''))
      : new Map<string, string>();

  if (want.has('managedDevices')) {
    next.hashes.managedDevices = yield* fullPull(
      s,
      'managedDevices',
      s.graphUrl(`/deviceManagement/managedDevices?$select=${MANAGED_DEVICE_SELECT}`),
      previous?.hashes.managedDevices,
      async (rows) => {
        const ids = await entraDevices(rows, 'azureADDeviceId');
        return rows.map((r) => mapManagedDevice(r, place, ids.get(String(r.azureADDeviceId ?? '').toLowerCase())));
      },
    );
  }

  if (want.has('machines')) {
    next.hashes.machines = yield* fullPull(s, 'machines', s.defenderUrl('/api/machines?$top=10000'), previous?.hashes.machines, async (rows) => {
      const ids = await entraDevices(rows, 'aadDeviceId');
      return rows.map((r) => mapMachine(r, place, ids.get(String(r.aadDeviceId ?? '').toLowerCase())));
    });
    // Listed whole every run: every machine that exists is now known.
    for (const id of Object.keys(next.hashes.machines)) machines.add(id);
    machines.complete = true;
  }
  const isMachine = (id: string) => want.has('machines') && machines.has(id);

  if (want.has('alerts')) {
    const alerts = yield* readAlerts(
      s,
      previous?.alerts,
      place,
      { machine: isMachine, user: (id) => want.has('users') && users.has(id) },
      async (page) => {
        if (want.has('users')) await users.confirmUsers(s, page.flatMap(evidenceUsers));
      },
    );
    if (alerts) next.alerts = alerts;
  }

  if (want.has('vulnerabilities')) {
    next.vulnerabilities = yield* readVulnerabilities(s, previous?.vulnerabilities, place, isMachine);
  }

  if (want.has('secureScore')) {
    const page = await s.get<{ value?: Record<string, unknown>[] }>('secureScore', s.graphUrl('/security/secureScores?$top=1'));
    const latest = Array.isArray(page?.value) ? page.value[0] : undefined;
    if (latest) {
      const id = String(latest.id ?? latest.createdDateTime ?? '');
      if (previous?.secureScore !== id) yield { type: 'record', record: mapSecureScore(latest, place, s.tenant.name) };
      next.secureScore = id;
    } else if (previous?.secureScore) {
      next.secureScore = previous.secureScore;
    }
  }

  yield { type: 'checkpoint', cursor: next };
}
