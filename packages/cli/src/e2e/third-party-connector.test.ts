import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startElderEmulator, type ElderEmulator } from '@elder-sync/testkit';
import { assertBuilt, CLI_ROOT, cliEnv, runCli, scratch, type CliResult } from '../testing/cli.js';
import { passwordAuth, writeConfig } from '../testing/config.js';
import { exec } from '../testing/exec.js';

/**
 * A vendor's afternoon, end to end and outside the workspace: `connectors new` scaffolds a package,
 * npm installs it (with @elder-sync/connector-sdk, core and testkit from tarballs packed here, as they are not on
 * npm yet), its conformance test passes, `npm pack` builds it, `plugins install` of the tarball
 * puts it in a fresh data dir, `connectors` shows it, and `run` syncs its fake API into the Elder
 * emulator. `plugins link` of the same folder works too. One scaffold serves every step, in order.
 */
const ELDER_PASSWORD = 'Elder-Pw-51ab-secret';
const ID = 'acme';
const PACKAGE = `elder-sync-connector-${ID}`;

let work: { dir: string; cleanup: () => void };
let pkgDir: string;
let tarball: string;
let elder: ElderEmulator;
let transcript = '';

/**
 * npm without install scripts: better-sqlite3 (a dependency of core) would otherwise compile from
 * source here (no prebuilt binary is reachable). Neither a connector nor its tests open the state
 * store; the CLI that runs the sync uses its own core.
 */
// fetch_retries: a fresh machine downloads the connector's dev dependencies; ride out a registry hiccup.
const npmEnv = (): NodeJS.ProcessEnv => ({
  ...cliEnv(join(work.dir, 'unused-data')),
  npm_config_ignore_scripts: 'true',
  npm_config_fund: 'false',
  npm_config_audit: 'false',
  npm_config_fetch_retries: '5',
});
const npm = async (args: string[]) => {
  const r = await exec('npm', args, { cwd: pkgDir, env: npmEnv() });
  transcript += r.stdout + r.stderr;
  return r;
};
const cli = async (args: string[], dataDir: string, extra: Record<string, string> = {}): Promise<CliResult> => {
  const r = await runCli(args, { cwd: work.dir, env: { ...cliEnv(dataDir, { ELDER_PASSWORD, ...extra }), npm_config_ignore_scripts: 'true' }, timeoutMs: 180_000 });
  transcript += r.stdout + r.stderr;
  return r;
};
const expectOk = (r: CliResult, what: string) => expect(r.code, `${what}\n${r.stdout}\n${r.stderr}`).toBe(0);

beforeAll(async () => {
  assertBuilt();
  work = scratch('elder-sync-3p');
  const tgz = join(work.dir, 'tgz');
  for (const pkg of ['connector-sdk', 'core', 'testkit']) {
    expectOk(await exec('pnpm', ['pack', '--pack-destination', tgz], { cwd: join(CLI_ROOT, '..', pkg) }), `pnpm pack ${pkg}`);
  }
  pkgDir = join(work.dir, 'src', PACKAGE);
  const created = await cli(
    ['connectors', 'new', ID, '--dir', pkgDir, '--sdk-spec', `file:${join(tgz, 'elder-sync-connector-sdk-0.1.0.tgz')}`, '--core-spec', `file:${join(tgz, 'elder-sync-core-0.1.0.tgz')}`, '--testkit-spec', `file:${join(tgz, 'elder-sync-testkit-0.1.0.tgz')}`],
    join(work.dir, 'data-none'),
  );
  expectOk(created, 'connectors new');
  expect(created.stdout).toContain(`created ${PACKAGE}`);
  elder = await startElderEmulator({ users: [{ email: 'sync@example.test', password: ELDER_PASSWORD, globalRole: 'admin' }] });
}, 300_000);

afterAll(async () => {
  await elder?.close();
  work?.cleanup();
});

describe('a connector scaffolded outside the workspace', () => {
  it('installs, passes the conformance suite, builds and packs', async () => {
    expectOk(await npm(['install']), 'npm install');
    const test = await npm(['test']);
    expectOk(test, 'npm test');
    expect(test.stdout).toMatch(/Tests\s+9 passed/);
    expectOk(await npm(['run', 'build']), 'npm run build');
    expect(existsSync(join(pkgDir, 'dist', 'index.js'))).toBe(true);
    const pack = await npm(['pack', '--pack-destination', work.dir]);
    expect(pack.stderr).toMatch(/dist\/index\.js/);
    expectOk(pack, 'npm pack');
    tarball = join(work.dir, `${PACKAGE}-0.1.0.tgz`);
    expect(existsSync(tarball)).toBe(true);
  }, 300_000);

  it('plugins install of the tarball puts it in elder-sync connectors as a user connector', async () => {
    const data = join(work.dir, 'data');
    expectOk(await cli(['plugins', 'install', `file:${tarball}`], data), 'plugins install');
    const r = await cli(['connectors'], data);
    expectOk(r, 'connectors');
    expect(r.stdout).toMatch(new RegExp(`^${ID}\\s+${PACKAGE}\\s+0\\.1\\.0\\s+user\\s+1$`, 'm'));
    expect(r.stdout).toMatch(/^ldap\s+@elder-sync\/connector-ldap\s+\S+\s+core\s+1$/m);
    expect(r.stderr).toBe('');
    // What the user's machine got: the plugin, the SDK and zod — no engine, no native module to compile.
    const tree = await exec('npm', ['ls', '--all', '--omit=dev'], { cwd: data, env: npmEnv() });
    expect(tree.stdout).toContain('@elder-sync/connector-sdk@0.1.0');
    expect(tree.stdout).not.toMatch(/better-sqlite3|@elder-sync\/core|undici|pino/);
  }, 300_000);

  it('runs a sync of its fake API into the Elder emulator, and a second run writes nothing', async () => {
    const data = join(work.dir, 'data');
    // The package ships its fake; run the installed copy in its own process, as a user's CI would.
    const api = await startInstalledFake(join(data, 'node_modules', PACKAGE, 'dist', 'fake-api.js'));
    try {
      writeConfig(join(work.dir, 'elder-sync.yaml'), {
        elder: { url: elder.url, ...passwordAuth('sync@example.test'), organization: { path: ['Acme'] } },
        state: { path: './state.db' },
        sources: [{ name: 'inventory', connector: ID, config: { url: api.url, token: '${INVENTORY_TOKEN}' } }],
      });
      const env = { INVENTORY_TOKEN: api.token };
      expectOk(await cli(['test-connectivity'], data, env), 'test-connectivity');
      const first = await cli(['run'], data, env);
      expectOk(first, 'run');
      const hosts = elder
        .entities()
        .map((e) => `${String(e['name'])}:${String(e['entity_type'] ?? e['type'])}`)
        .sort();
      expect(hosts).toEqual(['db-1:compute', 'web-1:compute', 'web-2:compute']);
      const writes = elder.stats().writes;
      expectOk(await cli(['run'], data, env), 'second run');
      expect(elder.stats().writes).toBe(writes);
      expect(transcript).not.toContain(api.token);
    } finally {
      await api.close();
    }
  }, 300_000);

  it('plugins link of the package folder lists it with origin link', async () => {
    const data = join(work.dir, 'data-link');
    expectOk(await cli(['plugins', 'link', pkgDir], data), 'plugins link');
    const r = await cli(['connectors'], data);
    expect(r.stdout).toMatch(new RegExp(`^${ID}\\s+${PACKAGE}\\s+0\\.1\\.0\\s+link\\s+1$`, 'm'));
  }, 300_000);
});

/** Starts `startFakeHostsApi()` from the installed package in a child node; stopped with `close()`. */
async function startInstalledFake(file: string): Promise<{ url: string; token: string; close(): Promise<void> }> {
  const script = `import(${JSON.stringify(pathToFileURL(file).href)}).then((m) => m.startFakeHostsApi()).then((api) => console.log(JSON.stringify({ url: api.url, token: api.token })))`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    child.on('exit', (code) => reject(new Error(`the fake API exited with ${code}`)));
  });
  const { url, token } = JSON.parse(line) as { url: string; token: string };
  return {
    url,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}

describe('plugins install by friendly name', () => {
  let registry: Server;
  const requested: string[] = [];
  beforeAll(async () => {
    // A registry that knows nothing and remembers what it was asked for.
    registry = createServer((req, res) => {
      requested.push(decodeURIComponent(req.url ?? ''));
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
    });
    await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => registry.close(() => resolve())));

  it('plugins install okta asks for @elder-sync/connector-okta first', async () => {
    const url = `http://127.0.0.1:${(registry.address() as AddressInfo).port}/`;
    const r = await cli(['plugins', 'install', 'okta'], join(work.dir, 'data-okta'), { ELDER_SYNC_NPM_REGISTRY: url, npm_config_registry: url });
    expect(r.code).not.toBe(0);
    expect(requested[0]).toBe('/@elder-sync/connector-okta');
    // Neither name exists here; oclif then reports the name as typed.
    expect(r.stderr).toContain('okta does not exist in the registry');
  });
});
