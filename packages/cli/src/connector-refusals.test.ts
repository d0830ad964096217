import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startElderEmulator, type ElderEmulator } from '@elder-sync/testkit';
import { assertBuilt, cliEnv, runCli, scratch } from './testing/cli.js';
import { passwordAuth, writeConfig } from './testing/config.js';
import { staticConnectorJs, writeLinkDataDir, writePlugin } from './testing/plugins.js';

/**
 * Every way a plugin can be refused, all installed (linked) at once beside a good one: each refusal
 * explains itself, none crashes the CLI, and the other connectors keep working (listed, and a run
 * with the good one syncs into the Elder emulator).
 */
const ELDER_PASSWORD = 'Elder-Pw-9d2c-secret';
let work: { dir: string; cleanup: () => void };
let dataDir: string;
let elder: ElderEmulator;

const cli = (args: string[]) => runCli(args, { cwd: work.dir, env: cliEnv(dataDir, { ELDER_PASSWORD }) });
const noStack = (text: string) => expect(text).not.toMatch(/^\s+at /m);

beforeAll(async () => {
  assertBuilt();
  work = scratch('elder-sync-refusals');
  dataDir = join(work.dir, 'data');
  const plugins = join(work.dir, 'plugins');
  const linked = [
    { name: 'elder-sync-connector-static', block: { apiVersion: 1, connectors: { static: './dist/index.js' } }, indexJs: staticConnectorJs('static', ['web-1', 'web-2']) },
    { name: 'elder-sync-connector-blockless', indexJs: staticConnectorJs('blockless', ['x']) },
    { name: 'elder-sync-connector-future', version: '9.0.0', block: { apiVersion: 2, connectors: { future: './dist/index.js' } }, indexJs: staticConnectorJs('future', ['x']) },
    { name: 'elder-sync-connector-ancient', version: '0.0.1', block: { apiVersion: 0, connectors: { ancient: './dist/index.js' } }, indexJs: staticConnectorJs('ancient', ['x']) },
    { name: 'elder-sync-connector-halfdone', block: { apiVersion: 1, connectors: { halfdone: './dist/index.js' } }, indexJs: staticConnectorJs('halfdone', ['x'], ['read']) },
    { name: 'acme-ldap', version: '2.0.0', block: { apiVersion: 1, connectors: { ldap: './dist/index.js' } }, indexJs: staticConnectorJs('ldap', ['x']) },
  ].map((p) => ({ name: p.name, root: writePlugin(plugins, p) }));
  writeLinkDataDir(dataDir, linked);

  elder = await startElderEmulator({ users: [{ email: 'sync@example.test', password: ELDER_PASSWORD, globalRole: 'admin' }] });
  const source = (name: string, connector: string) => ({ name, connector, config: {} });
  writeConfig(join(work.dir, 'elder-sync.yaml'), {
    elder: { url: elder.url, ...passwordAuth('sync@example.test'), organization: { path: ['Acme'] } },
    state: { path: './state.db' },
    sources: [source('inventory', 'static'), source('half', 'halfdone'), source('later', 'future')],
  });
});

afterAll(async () => {
  await elder?.close();
  work?.cleanup();
});

describe('refused connector plugins', () => {
  it('connectors lists the good ones and explains each refusal on stderr, exit 0', async () => {
    const r = await cli(['connectors']);
    expect(r.code).toBe(0);
    noStack(r.stderr);
    expect(r.stdout).toMatch(/^static\s+elder-sync-connector-static\s+1\.0\.0\s+link\s+1$/m);
    // Not imported when listing, so its missing `read` is found only when it is used.
    expect(r.stdout).toMatch(/^halfdone\s+elder-sync-connector-halfdone\s+1\.0\.0\s+link\s+1$/m);
    // A linked connector with a core connector's id wins, with a warning naming both packages.
    expect(r.stdout).toMatch(/^ldap\s+acme-ldap\s+2\.0\.0\s+link\s+1$/m);
    expect(r.stderr).toContain('warning: connector "ldap" is provided by acme-ldap (link) and @elder-sync/connector-ldap (core); using acme-ldap\n');

    expect(r.stderr).toContain(
      'warning: elder-sync-connector-blockless refused: its package.json has no "elder-sync" block, so it provides no connector (a connector package declares "elder-sync": {"apiVersion": 1, "connectors": {"<id>": "./dist/index.js"}})\n',
    );
    expect(r.stderr).toContain(
      'warning: elder-sync-connector-future refused: it declares connector apiVersion 2, but this elder-sync speaks apiVersion 1: upgrade elder-sync\n',
    );
    expect(r.stderr).toContain(
      'warning: elder-sync-connector-ancient refused: it declares connector apiVersion 0, but this elder-sync speaks apiVersion 1: upgrade the plugin (elder-sync plugins update, or install a newer elder-sync-connector-ancient)\n',
    );
    expect(r.stdout).not.toMatch(/^(blockless|future|ancient)\s/m);
  });

  it('connectors --json carries the refusals with their reasons', async () => {
    const r = await cli(['connectors', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { connectors: Array<{ id: string; origin: string }>; refused: Array<{ packageName: string; reason: string }> };
    expect(doc.connectors.map((c) => `${c.id}:${c.origin}`)).toEqual(['aws:core', 'gcp:core', 'graph:core', 'halfdone:link', 'ldap:link', 'static:link', 'workspace:core']);
    expect(doc.refused.map((x) => x.packageName).sort()).toEqual([
      'elder-sync-connector-ancient',
      'elder-sync-connector-blockless',
      'elder-sync-connector-future',
    ]);
  });

  it('a source whose connector fails the structural check is refused by name and member, exit 64, no stack', async () => {
    const r = await cli(['run', 'half']);
    // Reported on the config line that uses it: the fix is there (another connector) or a plugin update.
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('error: sources[1].connector: elder-sync-connector-halfdone: not a valid elder-sync connector: read must be a function.');
    noStack(r.stderr);
    expect(elder.stats().writes).toBe(0);
  });

  it('a source whose connector was refused for its apiVersion says which side to upgrade, exit 64', async () => {
    const r = await cli(['run', 'later']);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/error: .*unknown connector "future" .*elder-sync-connector-future is installed but refused: .*apiVersion 2.*upgrade elder-sync/);
    noStack(r.stderr);
  });

  it('the good connector still syncs into Elder beside all of them', async () => {
    const r = await cli(['run', 'inventory']);
    expect(r.stderr).not.toMatch(/^error:/m);
    expect(r.code).toBe(0);
    const names = elder.entities().map((e) => e['name']).sort();
    expect(names).toEqual(['web-1', 'web-2']);
  });
});
