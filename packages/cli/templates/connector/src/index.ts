import { CONNECTOR_API_VERSION, defineConnector, type JsonValue, type ReadItem, type SourceRecord } from '@elder-sync/connector-sdk';
import { getJson, hostPages, type ApiHost } from './client.js';
import { configSchema, type HostsConfig } from './config.js';
import { HostsApiError, HostsApiErrorCode } from './errors.js';

export { configSchema, type HostsConfig } from './config.js';
export { HostsApiError, HostsApiErrorCode } from './errors.js';

/** What this connector stores between runs: the API revision its last read started at. */
type Cursor = { v: 1; revision: number };

function parseCursor(checkpoint: JsonValue | null): number | undefined {
  const c = checkpoint as Partial<Cursor> | null;
  return c !== null && typeof c === 'object' && c.v === 1 && typeof c.revision === 'number' ? c.revision : undefined;
}

function toRecord(host: ApiHost): SourceRecord {
  return {
    kind: 'host',
    externalId: host.id, // the API's immutable id, never the name (names change)
    name: host.name,
    organizationPath: [host.site],
    attributes: { hostname: host.name, os: host.os, ip: host.ip },
  };
}

/**
 * Hosts from an inventory API → Elder `compute/server` entities, one organization per site.
 * The starting point of a new connector: replace the client with your system's, keep the shape.
 */
export default defineConnector<HostsConfig>({
  apiVersion: CONNECTOR_API_VERSION,
  id: '__CONNECTOR_ID__',
  displayName: '__CONNECTOR_ID__ inventory',
  description: 'Hosts from an inventory API, as Elder compute/server entities grouped by site.',
  configSchema,
  kinds: {
    host: { target: 'entity', entityType: 'compute', subType: 'server', naturalKeys: ['hostname'] },
  },
  // One API, one scope. A multi-account or multi-region system returns one scope per unit here.
  scopes: (config) => [{ id: new URL(config.url).host, label: new URL(config.url).host }],

  async testConnection({ config, signal }) {
    try {
      await getJson(config, '/v1/hosts?limit=1', signal);
      return [
        { name: 'reachable', ok: true },
        { name: 'authenticated', ok: true },
        { name: 'permitted', ok: true },
      ];
    } catch (error) {
      const code = error instanceof HostsApiError ? error.code : HostsApiErrorCode.Unreachable;
      const detail = (error as Error).message;
      return [
        { name: 'reachable', ok: code !== HostsApiErrorCode.Unreachable, ...(code === HostsApiErrorCode.Unreachable ? { detail } : {}) },
        { name: 'authenticated', ok: code !== HostsApiErrorCode.Unreachable && code !== HostsApiErrorCode.Unauthorized, detail },
        { name: 'permitted', ok: false, detail, ...(code === HostsApiErrorCode.Forbidden ? { missing: ['hosts:read'] } : {}) },
      ];
    }
  },

  async *read({ config, mode, checkpoint, signal }): AsyncIterable<ReadItem> {
    const since = mode === 'incremental' ? parseCursor(checkpoint) : undefined;
    let startRevision: number | undefined;
    for await (const page of hostPages(config, signal, since)) {
      startRevision ??= page.revision;
      for (const host of page.hosts) yield { type: 'record', record: toRecord(host) };
    }
    // One checkpoint at the end: committed only after Elder confirmed every record before it.
    const cursor: Cursor = { v: 1, revision: startRevision ?? since ?? 0 };
    yield { type: 'checkpoint', cursor };
  },
});
