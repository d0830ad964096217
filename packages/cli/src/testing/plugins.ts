// Test helpers (not built): connector plugins written on the fly, and an oclif data dir that links them.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { CLI_ROOT } from './cli.js';

const coreRoot = join(CLI_ROOT, '..', 'core');
const zodRoot = dirname(createRequire(join(coreRoot, 'package.json')).resolve('zod/package.json'));

export interface FixturePlugin {
  /** package.json `name`. */
  name: string;
  version?: string;
  /** The `elder-sync` block; omitted when `undefined`. */
  block?: unknown;
  /** `dist/index.js`, an ES module that may import `@elder-sync/core` and `zod`. */
  indexJs?: string;
}

/**
 * Writes a plugin package under `dir/<name>` with `oclif: {}` (what `plugins link` requires) and,
 * so that its module can import them as a published plugin would, `@elder-sync/core` and `zod`
 * linked into its own node_modules. Returns its root.
 */
export function writePlugin(dir: string, plugin: FixturePlugin): string {
  const root = join(dir, plugin.name.replace(/^@/, '').replace('/', '__'));
  mkdirSync(join(root, 'dist'), { recursive: true });
  mkdirSync(join(root, 'node_modules', '@elder-sync'), { recursive: true });
  symlinkSync(coreRoot, join(root, 'node_modules', '@elder-sync', 'core'), 'dir');
  symlinkSync(zodRoot, join(root, 'node_modules', 'zod'), 'dir');
  const pjson: Record<string, unknown> = { name: plugin.name, version: plugin.version ?? '1.0.0', type: 'module', oclif: {} };
  if (plugin.block !== undefined) pjson['elder-sync'] = plugin.block;
  writeFileSync(join(root, 'package.json'), JSON.stringify(pjson, null, 2));
  if (plugin.indexJs !== undefined) writeFileSync(join(root, 'dist', 'index.js'), plugin.indexJs);
  return root;
}

/** An oclif data dir whose package.json links the given plugin roots (what `plugins link` writes). */
export function writeLinkDataDir(dataDir: string, plugins: Array<{ name: string; root: string }>): void {
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(
    join(dataDir, 'package.json'),
    JSON.stringify({ private: true, oclif: { schema: 1, plugins: plugins.map((p) => ({ ...p, type: 'link' })) } }, null, 2),
  );
}

/**
 * A complete connector with no dependencies beyond core and zod: `static` emits `hosts` as
 * `compute/server` entities. `omit` drops members to make it fail the structural check.
 */
export function staticConnectorJs(id: string, hosts: string[], omit: string[] = []): string {
  return `import { CONNECTOR_API_VERSION, defineConnector, secret } from '@elder-sync/core';
import { z } from 'zod';
const connector = {
  apiVersion: CONNECTOR_API_VERSION,
  id: ${JSON.stringify(id)},
  configSchema: z.object({ token: secret(z.string()).optional() }).strict(),
  kinds: { host: { target: 'entity', entityType: 'compute', subType: 'server' } },
  scopes: () => [{ id: 'all', label: 'all hosts' }],
  testConnection: async () => [{ name: 'reachable', ok: true }],
  async *read() {
    for (const name of ${JSON.stringify(hosts)}) yield { type: 'record', record: { kind: 'host', externalId: name, name, attributes: { os: 'linux' } } };
  },
};
for (const member of ${JSON.stringify(omit)}) delete connector[member];
export default defineConnector(connector);
`;
}
