import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ConnectorDefinition } from '@elder-sync/core';

/**
 * The connector contract version this CLI speaks, as declared in a plugin's package.json block.
 * Equal to core's CONNECTOR_API_VERSION (a unit test holds them together); repeated here so that
 * listing connectors never imports core or any connector.
 */
export const SUPPORTED_API_VERSION = 1;

export type ConnectorOrigin = 'core' | 'user' | 'link' | 'dev';

/** A connector declared by an installed plugin; nothing of it has been imported. */
export interface ConnectorEntry {
  id: string;
  packageName: string;
  version: string;
  origin: ConnectorOrigin;
  apiVersion: number;
  /** Plugin root and the module path its `elder-sync` block names, relative to that root. */
  root: string;
  entry: string;
}

/** A plugin (or one of its connectors) that cannot be used, and why. Never fatal to the others. */
export interface ConnectorRefusal {
  packageName: string;
  id: string | null;
  reason: string;
}

export interface ConnectorDiscovery {
  /** By id, sorted by id. */
  connectors: Map<string, ConnectorEntry>;
  refused: ConnectorRefusal[];
  /** Id collisions, naming both packages. */
  warnings: string[];
}

/** What discovery needs of an oclif plugin (`this.config.getPluginsList()` items satisfy it). */
export interface PluginLike {
  name: string;
  version: string;
  type: string;
  root: string;
  pjson: unknown;
}

/**
 * Reads the `"elder-sync": {apiVersion, connectors: {id: entry}}` block of every plugin oclif
 * loaded (core, user-installed, linked), without importing anything.
 */
export function discoverConnectors(plugins: Iterable<PluginLike>): ConnectorDiscovery {
  const found = new Map<string, ConnectorEntry>();
  const refused: ConnectorRefusal[] = [];
  const warnings: string[] = [];

  for (const plugin of plugins) {
    const block = (plugin.pjson as { 'elder-sync'?: unknown } | null)?.['elder-sync'];
    const origin = originOf(plugin.type);
    if (block === undefined) {
      // Bundled plugins without a block are ours (help, plugins). A user-installed or linked one
      // that adds no commands either was most likely meant as a connector: say why it is not one.
      if ((origin === 'user' || origin === 'link') && !contributesToOclif(plugin.pjson)) {
        refused.push({ packageName: plugin.name, id: null, reason: NO_BLOCK_REASON });
      }
      continue;
    }
    if (block === null || typeof block !== 'object') {
      refused.push({ packageName: plugin.name, id: null, reason: 'its package.json "elder-sync" block is not an object' });
      continue;
    }
    const { apiVersion, connectors } = block as { apiVersion?: unknown; connectors?: unknown };
    const versionProblem = apiVersionProblem(apiVersion, plugin.name);
    if (versionProblem !== null) {
      refused.push({ packageName: plugin.name, id: null, reason: versionProblem });
      continue;
    }
    if (connectors === null || typeof connectors !== 'object' || Array.isArray(connectors)) {
      refused.push({
        packageName: plugin.name,
        id: null,
        reason: 'its "elder-sync" block has no "connectors" object ({"<id>": "./dist/index.js"})',
      });
      continue;
    }
    for (const [id, entry] of Object.entries(connectors as Record<string, unknown>)) {
      if (typeof entry !== 'string' || entry.length === 0) {
        refused.push({ packageName: plugin.name, id, reason: `the entry of connector "${id}" is not a module path` });
        continue;
      }
      const candidate: ConnectorEntry = {
        id,
        packageName: plugin.name,
        version: plugin.version,
        origin,
        apiVersion: apiVersion as number,
        root: plugin.root,
        entry,
      };
      const existing = found.get(id);
      if (existing === undefined) {
        found.set(id, candidate);
        continue;
      }
      if (existing.packageName === candidate.packageName) continue; // the same plugin seen twice
      // DESIGN §4: what the user installed or linked beats what ships with the CLI.
      const winner = rank(candidate.origin) < rank(existing.origin) ? candidate : existing;
      const loser = winner === candidate ? existing : candidate;
      found.set(id, winner);
      warnings.push(
        `connector "${id}" is provided by ${winner.packageName} (${winner.origin}) and ${loser.packageName} (${loser.origin}); using ${winner.packageName}`,
      );
    }
  }

  const sorted = new Map([...found.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { connectors: sorted, refused, warnings };
}

export const NO_BLOCK_REASON =
  'its package.json has no "elder-sync" block, so it provides no connector (a connector package declares "elder-sync": {"apiVersion": 1, "connectors": {"<id>": "./dist/index.js"}})';

/** Whether a plugin brings commands or hooks of its own: then it is an ordinary oclif plugin. */
function contributesToOclif(pjson: unknown): boolean {
  const oclif = (pjson as { oclif?: { commands?: unknown; hooks?: unknown } } | null)?.oclif;
  return oclif?.commands !== undefined || oclif?.hooks !== undefined;
}

function originOf(type: string): ConnectorOrigin {
  return type === 'user' || type === 'link' || type === 'dev' ? type : 'core';
}

// Lower wins. oclif itself loads user, then dev, then core plugins.
function rank(origin: ConnectorOrigin): number {
  return { link: 0, user: 0, dev: 1, core: 2 }[origin];
}

function apiVersionProblem(apiVersion: unknown, packageName: string): string | null {
  if (apiVersion === SUPPORTED_API_VERSION) return null;
  if (typeof apiVersion !== 'number' || !Number.isInteger(apiVersion)) {
    return `its "elder-sync" block has no integer apiVersion (this elder-sync speaks apiVersion ${SUPPORTED_API_VERSION})`;
  }
  const upgrade =
    apiVersion > SUPPORTED_API_VERSION
      ? 'upgrade elder-sync'
      : `upgrade the plugin (elder-sync plugins update, or install a newer ${packageName})`;
  return `it declares connector apiVersion ${apiVersion}, but this elder-sync speaks apiVersion ${SUPPORTED_API_VERSION}: ${upgrade}`;
}

/** The parts of core the loader needs; passed in so this module stays import-free at startup. */
export interface LoaderCore {
  validateConnector(candidate: unknown, origin: string): ConnectorDefinition<unknown>;
  makeError(message: string, exitCode: number): Error;
}

/**
 * The `ConnectorLoader` handed to the engine: imports a connector's module the first time a
 * source uses it, and checks it against the contract (structurally: a user-installed plugin may
 * carry its own copy of core).
 */
export function createConnectorLoader(
  discovery: ConnectorDiscovery,
  core: LoaderCore,
): (connectorId: string) => Promise<ConnectorDefinition<unknown>> {
  const cache = new Map<string, Promise<ConnectorDefinition<unknown>>>();
  return (connectorId: string) => {
    let pending = cache.get(connectorId);
    if (pending === undefined) {
      pending = load(discovery, core, connectorId);
      cache.set(connectorId, pending);
    }
    return pending;
  };
}

async function load(
  discovery: ConnectorDiscovery,
  core: LoaderCore,
  connectorId: string,
): Promise<ConnectorDefinition<unknown>> {
  const entry = discovery.connectors.get(connectorId);
  if (entry === undefined) {
    // A whole-package refusal (bad apiVersion) has no ids; guess by the naming convention.
    const refusal =
      discovery.refused.find((r) => r.id === connectorId) ??
      discovery.refused.find((r) => r.id === null && r.packageName.endsWith(`connector-${connectorId}`));
    const known = [...discovery.connectors.keys()].join(', ') || 'none';
    const hint =
      refusal !== undefined
        ? ` (${refusal.packageName} is installed but refused: ${refusal.reason})`
        : `; install it with: elder-sync plugins install ${connectorId}`;
    throw core.makeError(`unknown connector "${connectorId}" (installed: ${known})${hint}`, 64);
  }
  const url = pathToFileURL(join(entry.root, entry.entry)).href;
  let mod: { default?: unknown };
  try {
    mod = (await import(url)) as { default?: unknown };
  } catch (error) {
    const missing = (error as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes(url.slice('file://'.length));
    const why = missing ? `${url.slice('file://'.length)} does not exist (is the package built?)` : error instanceof Error ? error.message : String(error);
    throw core.makeError(`cannot load connector "${connectorId}" from ${entry.packageName}: ${why}`, 1);
  }
  const connector = core.validateConnector(mod.default, entry.packageName);
  if (connector.id !== connectorId) {
    throw core.makeError(
      `${entry.packageName} declares connector "${connectorId}" in package.json but its module exports connector "${connector.id}"`,
      1,
    );
  }
  return connector;
}
