import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONNECTOR_API_VERSION, ConfigError, ConnectorContractError, validateConnector } from '@elder-sync/core';
import { createConnectorLoader, discoverConnectors, NO_BLOCK_REASON, SUPPORTED_API_VERSION, type PluginLike } from './connectors.js';

const plugin = (name: string, type: string, block: unknown, version = '1.0.0'): PluginLike => ({
  name,
  version,
  type,
  root: `/plugins/${name}`,
  pjson: { name, version, 'elder-sync': block },
});

describe('discoverConnectors', () => {
  it('speaks the same apiVersion as core', () => {
    expect(SUPPORTED_API_VERSION).toBe(CONNECTOR_API_VERSION);
  });

  it('reads connectors from package.json blocks and skips plugins without one', () => {
    const d = discoverConnectors([
      { name: '@oclif/plugin-help', version: '6.3.0', type: 'core', root: '/x', pjson: { name: '@oclif/plugin-help' } },
      plugin('@elder-sync/connector-ldap', 'core', { apiVersion: 1, connectors: { ldap: './dist/index.js' } }),
      plugin('acme', 'user', { apiVersion: 1, connectors: { zeta: './z.js', alpha: './a.js' } }),
    ]);
    expect([...d.connectors.keys()]).toEqual(['alpha', 'ldap', 'zeta']);
    expect(d.connectors.get('ldap')).toMatchObject({ packageName: '@elder-sync/connector-ldap', origin: 'core', entry: './dist/index.js' });
    expect(d.refused).toEqual([]);
  });

  it('lets a user or linked plugin beat core, warning with both names, in either order', () => {
    for (const order of [0, 1]) {
      const plugins = [
        plugin('@elder-sync/connector-ldap', 'core', { apiVersion: 1, connectors: { ldap: './dist/index.js' } }),
        plugin('my-ldap', 'link', { apiVersion: 1, connectors: { ldap: './index.js' } }),
      ];
      const d = discoverConnectors(order ? plugins.reverse() : plugins);
      expect(d.connectors.get('ldap')?.packageName).toBe('my-ldap');
      expect(d.warnings).toEqual([
        'connector "ldap" is provided by my-ldap (link) and @elder-sync/connector-ldap (core); using my-ldap',
      ]);
    }
  });

  it('refuses an unsupported apiVersion saying which side to upgrade, without hiding the others', () => {
    const d = discoverConnectors([
      plugin('new-one', 'user', { apiVersion: 2, connectors: { a: './a.js' } }),
      plugin('old-one', 'user', { apiVersion: 0, connectors: { b: './b.js' } }),
      plugin('broken', 'user', { connectors: { c: './c.js' } }),
      plugin('no-map', 'user', { apiVersion: 1 }),
      plugin('good', 'user', { apiVersion: 1, connectors: { d: './d.js', e: 42 } }),
    ]);
    expect([...d.connectors.keys()]).toEqual(['d']);
    const reason = (name: string) => d.refused.find((r) => r.packageName === name)?.reason;
    expect(reason('new-one')).toMatch(/apiVersion 2.*upgrade elder-sync/);
    expect(reason('old-one')).toMatch(/apiVersion 0.*upgrade the plugin/);
    expect(reason('broken')).toMatch(/no integer apiVersion/);
    expect(reason('no-map')).toMatch(/no "connectors" object/);
    expect(d.refused.find((r) => r.id === 'e')?.reason).toMatch(/not a module path/);
  });
});

describe('discoverConnectors: plugins without an "elder-sync" block', () => {
  const bare = (name: string, type: string, oclif: unknown = {}): PluginLike => ({ name, version: '1.0.0', type, root: `/p/${name}`, pjson: { name, oclif } });

  it('refuses a user-installed or linked package that declares neither connectors nor commands, keeping the others', () => {
    const d = discoverConnectors([
      bare('elder-sync-connector-nothing', 'user'),
      bare('linked-nothing', 'link'),
      plugin('good', 'user', { apiVersion: 1, connectors: { good: './g.js' } }),
    ]);
    expect(d.refused).toEqual([
      { packageName: 'elder-sync-connector-nothing', id: null, reason: NO_BLOCK_REASON },
      { packageName: 'linked-nothing', id: null, reason: NO_BLOCK_REASON },
    ]);
    expect(NO_BLOCK_REASON).toContain('"elder-sync": {"apiVersion": 1, "connectors"');
    expect([...d.connectors.keys()]).toEqual(['good']);
  });

  it('leaves bundled plugins and ordinary oclif plugins (commands or hooks) alone', () => {
    const d = discoverConnectors([
      bare('@oclif/plugin-help', 'core'),
      bare('@oclif/plugin-autocomplete', 'user', { commands: './lib/commands' }),
      bare('some-hooks', 'link', { hooks: { init: './init.js' } }),
    ]);
    expect(d.refused).toEqual([]);
  });
});

describe('createConnectorLoader', () => {
  const core = {
    validateConnector,
    makeError: (message: string, exitCode: number) =>
      exitCode === 64 ? new ConfigError([{ path: '', message }]) : new ConnectorContractError(message),
  };

  it('names the installed connectors and the install command for an unknown id', async () => {
    const load = createConnectorLoader(discoverConnectors([plugin('x', 'core', { apiVersion: 1, connectors: { ldap: './i.js' } })]), core);
    await expect(load('aws')).rejects.toThrow('unknown connector "aws" (installed: ldap); install it with: elder-sync plugins install aws');
  });

  it('explains a refusal when the refused plugin is the one asked for', async () => {
    const load = createConnectorLoader(discoverConnectors([plugin('elder-sync-connector-okta', 'user', { apiVersion: 3, connectors: { okta: './i.js' } })]), core);
    await expect(load('okta')).rejects.toThrow(/elder-sync-connector-okta is installed but refused: .*apiVersion 3/);
  });

  it('names the member a default export is missing (the structural check), for that connector only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loader-'));
    try {
      const connector = (omit: string) =>
        `export default { apiVersion: 1, id: '${omit}', configSchema: { safeParse: () => ({ success: true }) }, kinds: { x: { target: 'organization' } }, ${['scopes', 'testConnection', 'read'].filter((m) => m !== omit).map((m) => `${m}: () => []`).join(', ')} };`;
      writeFileSync(join(dir, 'read.js'), connector('read'));
      writeFileSync(join(dir, 'scopes.js'), connector('scopes'));
      writeFileSync(join(dir, 'ok.js'), connector('none'));
      const load = createConnectorLoader(
        discoverConnectors([
          { name: 'half-done', version: '0.1.0', type: 'link', root: dir, pjson: { 'elder-sync': { apiVersion: 1, connectors: { read: './read.js', scopes: './scopes.js', none: './ok.js' } } } },
        ]),
        core,
      );
      await expect(load('read')).rejects.toThrow('half-done: not a valid elder-sync connector: read must be a function.');
      await expect(load('scopes')).rejects.toThrow('half-done: not a valid elder-sync connector: scopes must be a function.');
      await expect(load('none')).resolves.toMatchObject({ id: 'none' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a module that does not exist', async () => {
    const load = createConnectorLoader(discoverConnectors([plugin('ghost', 'core', { apiVersion: 1, connectors: { ghost: './dist/index.js' } })]), core);
    await expect(load('ghost')).rejects.toThrow(/cannot load connector "ghost" from ghost: .*does not exist \(is the package built\?\)/);
  });
});
