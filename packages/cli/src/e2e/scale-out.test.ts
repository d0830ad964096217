import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWorld, startAwsFake, startElderEmulator, startNatsServer, type ElderEmulator, type NatsPeer } from '@elder-sync/testkit';
import { assertBuilt, BIN, cliEnv, runCli, scratch, type CliResult } from '../testing/cli.js';
import { passwordAuth, writeConfig } from '../testing/config.js';
import { writeLinkDataDir, writePlugin } from '../testing/plugins.js';

/**
 * The README's three commands, for real: a nats-server with JetStream, `elder-sync worker`
 * processes, and `elder-sync run --dispatch`, over a 40-scope estate (a linked plugin: 10 accounts
 * × 4 regions, 3 servers each, read slowly enough to kill a worker in the middle of a unit).
 */
const ELDER_PASSWORD = 'Elder-Pw-4f1d-secret';
const NATS_PASSWORD = 'Nats-Pw-92be-secret';
let nats: NatsPeer;
let elder: ElderEmulator;
let work: { dir: string; cleanup: () => void };
let dataDir: string;
const workers: ChildProcess[] = [];
let transcript = '';

const ESTATE_JS = `import { CONNECTOR_API_VERSION, defineConnector } from '@elder-sync/core';
import { z } from 'zod';
const ACCOUNTS = Array.from({ length: 10 }, (_, i) => 'acct-' + i);
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-south-1'];
export default defineConnector({
  apiVersion: CONNECTOR_API_VERSION,
  id: 'estate',
  configSchema: z.object({ slowMs: z.number().default(0), failScope: z.string().optional() }).strict(),
  kinds: { server: { target: 'entity', entityType: 'compute', subType: 'server' } },
  scopes: () => ACCOUNTS.flatMap((a) => REGIONS.map((r) => ({ id: a + '/' + r, label: a + ' ' + r, params: { account: a, region: r } }))),
  testConnection: async () => [{ name: 'reachable', ok: true }],
  async *read({ config, scope }) {
    if (scope.id === config.failScope) throw new Error('region ' + scope.id + ' is on fire');
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, config.slowMs));
      const { account, region } = scope.params;
      yield { type: 'record', record: { kind: 'server', externalId: scope.id + '/' + i, name: 'srv-' + account + '-' + region + '-' + i, attributes: { region }, organizationPath: [account, region] } };
    }
  },
});
`;

function config(file: string, estate: Record<string, unknown>, withKvState = true): void {
  writeConfig(join(work.dir, file), {
    elder: { url: elder.url, ...passwordAuth('sync@example.test'), organization: { path: ['Acme'] } },
    state: withKvState ? { url: nats.url } : { path: './state.db' },
    nats: { servers: [nats.url], user: 'sync', password: '${NATS_PASSWORD}' },
    sources: [{ name: 'cloud', connector: 'estate', config: estate }],
  });
}

let extraEnv: Record<string, string> = {};
const env = () => cliEnv(dataDir, { ELDER_PASSWORD, NATS_PASSWORD, ...extraEnv });
async function cli(args: string[]): Promise<CliResult> {
  const r = await runCli(args, { cwd: work.dir, env: env(), timeoutMs: 240_000 });
  transcript += r.stdout + r.stderr;
  return r;
}

function startWorker(configFile: string, extra: string[] = []): ChildProcess {
  const child = spawn(process.execPath, [BIN, 'worker', '--config', configFile, '--concurrency', '2', '--lease', '3', '--listen', 'off', '--log-level', 'warn', ...extra], {
    cwd: work.dir,
    env: env(),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (chunk: Buffer) => (transcript += chunk.toString()));
  workers.push(child);
  return child;
}

async function stopWorkers(): Promise<number[]> {
  const codes = await Promise.all(
    workers.splice(0).map(
      (w) =>
        new Promise<number>((resolve) => {
          if (w.exitCode !== null || w.signalCode !== null) return resolve(w.exitCode ?? -1);
          w.once('exit', (code) => resolve(code ?? -1));
          w.kill('SIGTERM');
        }),
    ),
  );
  return codes;
}

/** Elder's content by names and paths. */
function content(): string[] {
  const orgs = new Map(elder.organizations().map((o) => [o['id'], o]));
  const path = (id: unknown): string => {
    const o = orgs.get(id);
    return o ? `${path(o['parent_id'])}/${String(o['name'])}` : '';
  };
  return [...[...orgs.keys()].map((id) => `org ${path(id)}`), ...elder.entities().map((e) => `server ${path(e['organization_id'])}/${String(e['name'])}:${String(e['entity_type'] ?? e['type'])}`)].sort();
}

beforeAll(async () => {
  assertBuilt();
  work = scratch('elder-sync-scale-out');
  dataDir = join(work.dir, 'data');
  const root = writePlugin(join(work.dir, 'plugins'), { name: 'elder-sync-connector-estate', block: { apiVersion: 1, connectors: { estate: './dist/index.js' } }, indexJs: ESTATE_JS });
  writeLinkDataDir(dataDir, [{ name: 'elder-sync-connector-estate', root }]);
  nats = await startNatsServer({ user: 'sync', password: NATS_PASSWORD });
  elder = await startElderEmulator({ users: [{ email: 'sync@example.test', password: ELDER_PASSWORD, globalRole: 'admin' }] });
}, 120_000);
afterAll(async () => {
  await stopWorkers();
  await elder?.close();
  await nats?.stop();
  work?.cleanup();
});

describe('elder-sync worker and run --dispatch', () => {
  it('three workers and a dispatcher give a local run\'s result; SIGKILL of a worker mid-unit loses and doubles nothing', async () => {
    config('local.yaml', {}, false);
    expect((await cli(['run', '--config', 'local.yaml'])).code).toBe(0);
    const expected = content();
    expect(expected.filter((l) => l.startsWith('server')).length).toBe(120);
    elder.reset();

    config('elder-sync.yaml', { slowMs: 150 });
    const victim = startWorker('elder-sync.yaml');
    startWorker('elder-sync.yaml');
    startWorker('elder-sync.yaml');
    const run = cli(['run', '--dispatch', `nats://sync:${NATS_PASSWORD}@127.0.0.1:${nats.port}`]);
    // A unit reads for ~0.5 s; by now the victim holds two.
    await new Promise((r) => setTimeout(r, 2_500));
    victim.kill('SIGKILL');
    const r = await run;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/40 scopes?/);
    expect(content()).toEqual(expected);

    const writes = elder.stats().writes;
    const again = await cli(['run', '--dispatch']);
    expect(again.code, again.stderr).toBe(0);
    expect(elder.stats().writes).toBe(writes);
    // The survivors drain and exit 0 on SIGTERM.
    expect((await stopWorkers()).slice(1)).toEqual([0, 0]);
  }, 300_000);

  it('the AWS connector over its loopback server: 44 units (4 accounts × 10 regions, S3 per account) give a local run\'s result', async () => {
    elder.reset();
    const world = generateWorld({ accounts: 4, regions: ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'eu-west-1', 'eu-west-2', 'eu-central-1', 'ap-south-1', 'ap-southeast-1', 'sa-east-1'], perRegion: 1 });
    const aws = await startAwsFake({ world, pageSize: 2 });
    extraEnv = aws.env();
    try {
      const source = { name: 'aws', connector: 'aws', config: { organization: { roleName: 'elder-sync-read' } } };
      const write = (file: string, state: Record<string, unknown>) =>
        writeConfig(join(work.dir, file), {
          elder: { url: elder.url, ...passwordAuth('sync@example.test'), organization: { path: ['Acme'] } },
          state,
          nats: { servers: [nats.url], user: 'sync', password: '${NATS_PASSWORD}' },
          sources: [source],
        });
      write('aws-local.yaml', { path: './aws-state.db' });
      expect((await cli(['run', '--config', 'aws-local.yaml'])).code).toBe(0);
      const expected = content();
      expect(expected.filter((l) => l.startsWith('server')).length).toBeGreaterThan(200);
      elder.reset();
      write('aws.yaml', { url: nats.url });
      for (let i = 0; i < 3; i++) startWorker('aws.yaml');
      const r = await cli(['run', '--dispatch', '--config', 'aws.yaml']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/44 scopes/);
      expect(content()).toEqual(expected);
      await stopWorkers();
    } finally {
      extraEnv = {};
      await aws.close();
    }
  }, 300_000);

  it('a unit that always fails is dead-lettered after --max-attempts; the rest finish; exit 3 naming it', async () => {
    config('failing.yaml', { failScope: 'acct-7/eu-west-1' });
    startWorker('failing.yaml', ['--max-attempts', '2']);
    startWorker('failing.yaml', ['--max-attempts', '2']);
    const r = await cli(['run', '--dispatch', '--config', 'failing.yaml']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout + r.stderr).toContain('acct-7/eu-west-1');
    expect(r.stdout + r.stderr).toContain('region acct-7/eu-west-1 is on fire');
    expect(transcript).toMatch(/unit cloud\/acct-7\/eu-west-1 failed 2 time\(s\); sent to elder-sync\.dead\./);
    await stopWorkers();
  }, 300_000);

  it('--no-wait returns once the units are published; secrets never printed', async () => {
    config('elder-sync.yaml', {});
    const r = await cli(['run', '--dispatch', '--no-wait']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/dispatched 40 unit\(s\) as run [0-9a-f-]{36}/);
    // Picked up later by a worker that starts afterwards.
    startWorker('elder-sync.yaml');
    await new Promise((r) => setTimeout(r, 3_000));
    await stopWorkers();
    expect(transcript).not.toContain(NATS_PASSWORD);
    expect(transcript).not.toContain(ELDER_PASSWORD);
  }, 120_000);

  it('daemon --dispatch feeds the workers: each due source becomes units, its run and counts in /status', async () => {
    elder.reset();
    config('daemon.yaml', {});
    startWorker('daemon.yaml');
    startWorker('daemon.yaml');
    const daemon = spawn(process.execPath, [BIN, 'daemon', '--config', 'daemon.yaml', '--dispatch', 'config', '--listen', '127.0.0.1:0'], { cwd: work.dir, env: env(), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    daemon.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      const deadline = Date.now() + 60_000;
      let status: { sources?: Array<{ lastRun?: { status: string; counts?: { create: number } } }> } = {};
      while (Date.now() < deadline) {
        const url = /health and metrics on (http:\/\/\S+)/.exec(stderr)?.[1];
        if (url) {
          status = (await (await fetch(`${url}/status`)).json()) as typeof status;
          if (status.sources?.[0]?.lastRun) break;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(status.sources?.[0]?.lastRun?.status, stderr).toBe('success');
      expect(elder.entities().length).toBe(120);
    } finally {
      daemon.kill('SIGTERM');
      await new Promise((r) => daemon.once('exit', r));
      transcript += stderr;
      await stopWorkers();
    }
  }, 120_000);
});
