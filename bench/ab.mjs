#!/usr/bin/env node
// Interleaved A/B of two builds of packages/core: is a change to the engine faster? One `pnpm bench`
// run against another cannot tell on a shared 2-core machine, where the same build's first sync
// varies by ±15 % from one run to the next. Here the two builds take turns (A B, B A, ...) on the same
// peers, and each run reports the CLI's own CPU, which varies far less than its wall time.
//
//   node bench/ab.mjs DIST_A DIST_B [--scenario ldap|sweep] [--users 50000] [--rounds 4]
//
// DIST_A and DIST_B are copies of packages/core/dist built at the two revisions, e.g.
//   git stash && pnpm -C packages/core build && cp -r packages/core/dist /tmp/distA
//   git stash pop && pnpm -C packages/core build && cp -r packages/core/dist /tmp/distB
// Each run copies one of them over packages/core/dist; the build found there at start is put back at
// the end, also when stopped with Ctrl-C.
//   ldap:  first sync and no-change run of --users LDAP users (slapd) into the emulator at 0 ms, the
//          real CLI (`bench/lib/cli-child.mjs`): CPU µs per entity, wall, peak RSS;
//   sweep: the concurrency sweep's engine child at 64 in flight and 20 ms: ratio to ideal and CPU.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startDirectory } from './lib/directory.mjs';
import { ldapBenchConfig } from './lib/elder-config.mjs';
import { startRemoteEmulator } from './lib/emulator.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'packages/core/dist');
const USAGE = 'usage: node bench/ab.mjs DIST_A DIST_B [--scenario ldap|sweep] [--users N] [--rounds N]';
function usage(problem) {
  console.error(`${problem}\n${USAGE}`);
  process.exit(64);
}
let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: { scenario: { type: 'string', default: 'ldap' }, users: { type: 'string', default: '50000' }, rounds: { type: 'string', default: '4' } },
  });
} catch (error) {
  usage(error.message);
}
const { values, positionals } = parsed;
const builds = { A: positionals[0], B: positionals[1] };
if (!builds.A || !builds.B || positionals.length > 2) usage('two builds, DIST_A and DIST_B, are needed');
if (!['ldap', 'sweep'].includes(values.scenario)) usage(`--scenario: ldap or sweep, not ${values.scenario}`);
const users = Number(values.users);
const rounds = Number(values.rounds);
if (!Number.isInteger(users) || users < 1) usage(`--users: a whole number of users, not ${values.users}`);
if (!Number.isInteger(rounds) || rounds < 1) usage(`--rounds: a whole number of rounds, not ${values.rounds}`);
for (const dir of Object.values(builds)) {
  if (!existsSync(join(dir, 'index.js'))) usage(`${dir}: not a build of packages/core (no index.js); copy packages/core/dist after pnpm -C packages/core build`);
  if (resolve(dir) === DIST) usage(`${dir}: packages/core/dist itself is replaced by each run; copy it elsewhere first`);
}

const saved = mkdtempSync(join(tmpdir(), 'elder-sync-ab-'));
cpSync(DIST, join(saved, 'dist'), { recursive: true });
const restore = () => {
  rmSync(DIST, { recursive: true, force: true });
  cpSync(join(saved, 'dist'), DIST, { recursive: true });
  rmSync(saved, { recursive: true, force: true });
};
/** What is open (the directory, a round's emulator and folder, a running child), closed by Ctrl-C too. */
const open = new Set();
process.once('SIGINT', async () => {
  // The newest first: a run's child, then its emulator and folder, then the directory.
  for (const close of [...open].reverse()) await close();
  restore();
  process.exit(130);
});
/** Runs `fn` with an emulator at `latencyMs` and a work folder, both closed at the end. */
async function withPeers(latencyMs, fn) {
  const emulator = await startRemoteEmulator({ latencyMs });
  const work = mkdtempSync(join(tmpdir(), 'elder-sync-ab-work-'));
  const close = async () => {
    open.delete(close);
    await emulator.close();
    rmSync(work, { recursive: true, force: true });
  };
  open.add(close);
  try {
    return await fn(emulator, work);
  } finally {
    await close();
  }
}
const use = (build) => {
  rmSync(DIST, { recursive: true, force: true });
  cpSync(resolve(builds[build]), DIST, { recursive: true });
};

/** Runs a bench child from the repository's root; resolves with its standard output. */
function child(args, env = {}) {
  return new Promise((done, fail) => {
    const p = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'inherit'] });
    const stop = async () => {
      open.delete(stop);
      p.kill('SIGINT');
      await new Promise((exited) => p.once('close', exited));
    };
    open.add(stop);
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('close', (code) => {
      open.delete(stop);
      if (code === 0) done(out);
      else fail(new Error(`${args.join(' ')} exited ${code}`));
    });
  });
}

const figures = { A: [], B: [] };
const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;

function ldapRound(directory, build) {
  return withPeers(0, async (emulator, work) => {
    const config = join(work, 'elder-sync.yaml');
    writeFileSync(config, ldapBenchConfig(emulator.url, directory));
    const run = async (name) => {
      const usage = join(work, `${name}.json`);
      await child(['bench/lib/cli-child.mjs', usage, 'run', '--config', config, '--log-level', 'warn'], { ELDER_SYNC_DATA_DIR: join(work, 'data') });
      const u = JSON.parse(readFileSync(usage, 'utf8'));
      if (u.exitCode !== 0) throw new Error(`${name} run of build ${build} exited ${u.exitCode}`);
      return u;
    };
    const first = await run('first');
    const same = await run('no-change');
    const row = { firstCpuUs: (first.cpuSeconds / users) * 1e6, firstWallS: first.wallMs / 1000, firstRssMb: first.maxRssMb, noChangeCpuS: same.cpuSeconds, noChangeWallS: same.wallMs / 1000 };
    console.log(`${build}: first sync ${row.firstCpuUs.toFixed(0)} µs CPU/entity, ${row.firstWallS.toFixed(1)} s, ${row.firstRssMb.toFixed(0)} MB; no-change ${row.noChangeCpuS.toFixed(2)} s CPU, ${row.noChangeWallS.toFixed(2)} s`);
    return row;
  });
}

function sweepRound(build) {
  const concurrency = 64;
  const latencyMs = 20;
  const ideal = concurrency / (latencyMs / 1000);
  return withPeers(latencyMs, async (emulator, work) => {
    const out = await child(['bench/lib/sweep-child.mjs', emulator.url, String(concurrency), String(Math.round(ideal * 3)), join(work, 'state.db')]);
    const result = JSON.parse(out.trim().split('\n').pop());
    const stats = await emulator.stats();
    const row = { ratio: (stats.reads + stats.writes) / (result.wallMs / 1000) / ideal, wallS: result.wallMs / 1000, cpuS: result.cpuSeconds };
    console.log(`${build}: ${row.ratio.toFixed(3)} of ideal, ${row.wallS.toFixed(2)} s, CPU ${row.cpuS.toFixed(2)} s`);
    return row;
  });
}

try {
  const directory = values.scenario === 'ldap' ? await startDirectory(users) : null;
  const stopDirectory = async () => {
    open.delete(stopDirectory);
    await directory?.stop();
  };
  open.add(stopDirectory);
  try {
    for (let round = 0; round < rounds; round++) {
      for (const build of round % 2 === 0 ? ['A', 'B'] : ['B', 'A']) {
        use(build);
        console.log(`round ${round + 1}/${rounds}, build ${build}`);
        figures[build].push(directory ? await ldapRound(directory, build) : await sweepRound(build));
      }
    }
  } finally {
    await stopDirectory();
  }
  console.log(`\nmeans over ${rounds} rounds (A = ${builds.A}, B = ${builds.B}):`);
  for (const key of Object.keys(figures.A[0])) {
    const a = mean(figures.A.map((f) => f[key]));
    const b = mean(figures.B.map((f) => f[key]));
    const spread = (xs) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
    console.log(`  ${key.padEnd(14)} A ${a.toFixed(2).padStart(9)} (${spread(figures.A.map((f) => f[key]))})   B ${b.toFixed(2).padStart(9)} (${spread(figures.B.map((f) => f[key]))})   B/A ${(b / a).toFixed(3)}`);
  }
} finally {
  restore();
}
