import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_LDIF, generateUsersLdif, startElderEmulator, startSlapd, type ElderEmulator, type SlapdPeer } from '@elder-sync/testkit';
import { BIN, assertBuilt, cliEnv, runCli, scratch, type CliResult } from '../testing/cli.js';
import { ldapConfig, passwordAuth, writeConfig } from '../testing/config.js';

/**
 * DESIGN §5.5: a crash or kill at any moment, then a rerun, converges with no duplicates and no
 * loss. The CLI is SIGKILLed at many points of a sync (by the number of writes Elder has seen, so
 * the points fall in organizations, entities, dependencies and stamp writes alike), then run again.
 */

const BULK_USERS = 120;
const SAMPLE_PEOPLE = 10;
const SAMPLE_GROUPS = 4;
const ENTITIES = BULK_USERS + SAMPLE_PEOPLE + SAMPLE_GROUPS;
/** Writes at which the first sync is killed (0: while it reads and plans, before any write). */
const KILL_POINTS = [0, 1, 2, 3, 5, 8, 12, 16, 20, 25, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150];
/** A first sync here makes about 170 writes; the issue asks for at least 20 real kills. */
const MIN_REAL_KILLS = 20;
/** Writes into a changing run (updates and deletes) at which it is killed. */
const CHANGE_KILL_POINTS = [1, 5, 15, 30, 45];
/** Three CLI runs per point; generous, because CI shares two cores with the other test files. */
const PER_POINT_TIMEOUT_MS = 120_000;

let slapd: SlapdPeer;
let elder: ElderEmulator;
let work: { dir: string; cleanup: () => void };
let run = 0;
let realKills = 0;

beforeAll(async () => {
  assertBuilt();
  work = scratch('elder-sync-crash');
  slapd = await startSlapd({ ldif: [SAMPLE_LDIF] });
  await slapd.add(generateUsersLdif(BULK_USERS, 'bulk', slapd.baseDn));
  // Latency spreads a sync over time, so the kill points land mid-flight.
  elder = await startElderEmulator({ latencyMs: 3 });
});

afterAll(async () => {
  await elder?.close();
  await slapd?.stop();
  work?.cleanup();
});

/** A fresh state file and config for one kill point. */
function freshConfig(): string {
  const dir = join(work.dir, `point-${++run}`);
  mkdirSync(dir);
  return writeConfig(join(dir, 'elder-sync.yaml'), {
    elder: { url: elder.url, ...passwordAuth(), organization: { path: ['Acme'] }, concurrency: 4 },
    state: { path: join(dir, 'state.db') },
    sources: [{ name: 'corp', connector: 'ldap', maxDeletePercent: 100, config: ldapConfig(slapd) }],
  });
}

const env = () => cliEnv(join(work.dir, 'data'), { ELDER_PASSWORD: 'admin123', LDAP_PW: slapd.bindPassword });

function cli(args: string[], config: string): Promise<CliResult> {
  return runCli([...args, '--config', config], { cwd: work.dir, env: env(), timeoutMs: 120_000 });
}

/** Starts `run` and sends `signal` once Elder has seen `writes` more writes; resolves with the exit. */
function runUntil(config: string, writes: number, signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; killed: boolean }> {
  const start = elder.stats().writes;
  const child = spawn(process.execPath, [BIN, 'run', '--config', config], { cwd: work.dir, env: env(), stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let killed = false;
  const poll = setInterval(() => {
    // For the 0 point: kill once the CLI is reading (it has logged in and listed organizations).
    const due = writes === 0 ? (elder.stats().byRoute['GET /api/v1/organizations'] ?? 0) > 0 : elder.stats().writes - start >= writes;
    if (due && !killed) {
      killed = true;
      child.kill(signal);
    }
  }, 1);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, sig) => {
      clearInterval(poll);
      resolve({ code, signal: sig, stderr, killed });
    });
  });
}

/** The invariant: every source object exactly once, owned organizations once, and nothing left to do. */
async function expectConverged(config: string, context: string): Promise<void> {
  const entities = elder.entities();
  const keys = entities.map((e) => (e['metadata'] as { elder_sync?: { key?: string } } | null)?.elder_sync?.key);
  expect(keys.filter((k) => k === undefined), `${context}: unstamped entity`).toEqual([]);
  expect(new Set(keys).size, `${context}: duplicate keys`).toBe(keys.length);
  expect(keys.length, `${context}: lost objects`).toBe(ENTITIES);
  const orgs = elder.organizations().map((o) => `${o['parent_id']}/${o['name']}`);
  expect(new Set(orgs).size, `${context}: duplicate organizations`).toBe(orgs.length);
  const diff = await cli(['diff', '--detailed-exitcode'], config);
  expect(diff.code, `${context}: plan not empty after the rerun\n${diff.stdout}${diff.stderr}`).toBe(0);
}

describe('killed with SIGKILL at any point of a first sync', () => {
  it.each(KILL_POINTS.map((writes) => [writes]))('after %i writes, a rerun converges with no duplicate and no loss', async (writes) => {
    elder.reset();
    const config = freshConfig();
    const killed = await runUntil(config, writes, 'SIGKILL');
    expect(killed.signal === 'SIGKILL' || killed.code === 0, killed.stderr).toBe(true);
    if (killed.signal === 'SIGKILL') realKills++;
    const rerun = await cli(['run'], config);
    expect(rerun.code, rerun.stderr).toBe(0);
    await expectConverged(config, `kill after ${writes} writes`);
  }, PER_POINT_TIMEOUT_MS);

  it(`killed the CLI mid-sync at least ${MIN_REAL_KILLS} times (zero duplicates, zero losses above)`, () => {
    console.log(`crash safety: ${realKills} SIGKILLs mid-sync, 0 duplicates, 0 losses`);
    expect(realKills).toBeGreaterThanOrEqual(MIN_REAL_KILLS);
  });
});

describe('killed with SIGKILL while applying changes', () => {
  it('converges after every kill while users are updated and deleted', async () => {
    elder.reset();
    const config = freshConfig();
    expect((await cli(['run'], config)).code).toBe(0);
    for (const [round, writes] of CHANGE_KILL_POINTS.entries()) {
      // Change 30 mails each round; the next round brings them back, so every run has work to do.
      const mail = round % 2 === 0 ? 'changed.example.test' : 'example.test';
      const changes = Array.from({ length: 30 }, (_, i) => {
        const uid = `bulk${String(i + 1).padStart(5, '0')}`;
        return `dn: uid=${uid},ou=bulk,${slapd.baseDn}\nchangetype: modify\nreplace: mail\nmail: ${uid}@${mail}\n`;
      });
      await slapd.modify(changes.join('\n'));
      const killed = await runUntil(config, writes, 'SIGKILL');
      expect(killed.signal === 'SIGKILL' || killed.code === 0, killed.stderr).toBe(true);
      const rerun = await cli(['run'], config);
      expect(rerun.code, rerun.stderr).toBe(0);
      await expectConverged(config, `change round ${round}, kill after ${writes} writes`);
      const first = elder.entities().find((e) => (e['metadata'] as { uid?: string } | null)?.uid === 'bulk00001');
      expect((first?.['metadata'] as { email?: string }).email).toBe(`bulk00001@${mail}`);
    }
  }, PER_POINT_TIMEOUT_MS * CHANGE_KILL_POINTS.length);
});

describe('stopped with SIGINT or SIGTERM', () => {
  it.each([['SIGINT'], ['SIGTERM']] as const)('%s: writes in flight finish, state is saved, exit 130, and the next run completes', async (signal) => {
    elder.reset();
    const config = freshConfig();
    const stopped = await runUntil(config, 40, signal);
    expect(stopped.killed).toBe(true);
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(stopped.stderr).toContain('finishing the writes in flight');
    expect(elder.entities().length).toBeLessThan(ENTITIES);
    const rerun = await cli(['run'], config);
    expect(rerun.code, rerun.stderr).toBe(0);
    await expectConverged(config, `${signal} after 40 writes`);
  }, PER_POINT_TIMEOUT_MS);
});

afterAll(() => rmSync(join(work?.dir ?? '/nonexistent', 'data'), { recursive: true, force: true }));
