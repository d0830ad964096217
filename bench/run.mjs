#!/usr/bin/env node
// `pnpm bench`: the performance contract of DESIGN §9, measured. Plain ESM over the packages' built
// dist/ (the root script builds first). Every sync runs in its own child process (lib/cli-child.mjs
// runs the real CLI; lib/sweep-child.mjs and lib/scopes-child.mjs the engine alone), so peak RSS and CPU
// are the sync's; for the LDAP series, the floors and the sweep the Elder emulator runs in a process of
// its own (lib/emulator.mjs), slapd in its own. Writes bench/results.json and
// docs/benchmarks.md, and prints each scenario as a `BENCH {json}` line.
//
//   node bench/run.mjs [--quick] [--scenario NAME]... [--sizes 10000,100000] [--latency-sizes 10000] [--gcp-sizes 1000,10000]
//
// Scenarios: first-sync, no-change, one-percent, diff (each with its floors: a bare HTTP client, the
// connector's read alone, a bare ldapts read), scopes (5,000 scopes, 20 000 objects), startup, concurrency, overlap (a slow source, writes while reading), graph (--graph-tenants 40 --graph-objects 100000),
// aws (--aws-resources 20000), gcp (--gcp-sizes 1000,10000), workspace (--workspace-users 10000),
// scale-out (1, 2 and 4 workers; --scale-per-region 10 --scale-latency 20).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startDirectory } from './lib/directory.mjs';
import { startRemoteEmulator } from './lib/emulator.mjs';
import { ldapBenchConfig } from './lib/elder-config.mjs';
import { graphSeries } from './lib/graph.mjs';
import { awsSeries } from './lib/aws.mjs';
import { scaleOutSeries } from './lib/scale-out.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI_BIN = join(ROOT, 'packages/cli/bin/run.js');
const SCENARIOS = ['first-sync', 'no-change', 'one-percent', 'diff', 'scopes', 'startup', 'concurrency', 'overlap', 'graph', 'aws', 'gcp', 'workspace', 'scale-out'];
const LDAP_SCENARIOS = ['first-sync', 'no-change', 'one-percent', 'diff'];
/** Streaming promise (issue 4): peak RSS at the large size within this factor of the small one. */
const RSS_GROWTH_LIMIT = 1.5;

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    scenario: { type: 'string', multiple: true },
    sizes: { type: 'string' },
    'latency-sizes': { type: 'string' },
    'gcp-sizes': { type: 'string' },
    out: { type: 'string' },
    render: { type: 'boolean', default: false },
    'graph-tenants': { type: 'string' },
    'graph-objects': { type: 'string' },
    'aws-resources': { type: 'string' },
    'workspace-users': { type: 'string' },
    'scale-per-region': { type: 'string' },
    'scale-latency': { type: 'string' },
  },
});
const selected = new Set(opts.scenario?.length ? opts.scenario : SCENARIOS);
for (const s of selected) if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario "${s}"; one of ${SCENARIOS.join(', ')}`);
const sizes = (opts.sizes ?? (opts.quick ? '1000,10000' : '10000,100000')).split(',').map(Number);
// 100 000 creates at 20 ms and 8 in flight take ~5 minutes of pure latency: 20 ms runs at the small size only.
const latencySizes = (opts['latency-sizes'] ?? String(sizes[0])).split(',').map(Number);
// GCP objects in the loopback estate (10 projects); its server and fixture live in the bench process.
const gcpSizes = (opts['gcp-sizes'] ?? (opts.quick ? '1000' : '1000,10000')).split(',').map(Number);

const testkit = await import(new URL('../packages/testkit/dist/index.js', import.meta.url).href);
const results = [];
const emit = (result) => {
  results.push(result);
  console.log(`BENCH ${JSON.stringify(result)}`);
};
const round = (n, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

/** Runs the real CLI in a child; returns its own wall, peak RSS and CPU, and the emulator's counts. */
async function cli(work, emulator, args, extraEnv = {}) {
  await emulator.resetStats();
  const usageFile = join(work, `usage-${Date.now()}.json`);
  const started = performance.now();
  const child = spawn(process.execPath, [join(ROOT, 'bench/lib/cli-child.mjs'), usageFile, ...args, '--config', join(work, 'elder-sync.yaml'), '--log-format', 'json', '--log-level', 'warn'], {
    cwd: work,
    env: { ...process.env, ELDER_SYNC_DATA_DIR: join(work, 'data'), NO_COLOR: '1', ...extraEnv },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const code = await new Promise((resolve) => child.on('close', resolve));
  const wallS = (performance.now() - started) / 1000;
  const usage = JSON.parse(readFileSync(usageFile, 'utf8'));
  const stats = await emulator.stats();
  if (code !== 0 && !(args[0] === 'diff' && code === 2)) throw new Error(`elder-sync ${args.join(' ')} exited ${code}:\n${stderr}`);
  return { code, wallS, maxRssMb: usage.maxRssMb, cpuSeconds: usage.cpuSeconds, reads: stats.reads, writes: stats.writes };
}

function writeConfig(work, emulator, directory) {
  writeFileSync(join(work, 'elder-sync.yaml'), ldapBenchConfig(emulator.url, directory));
}

/** Runs a bench/lib child script; returns the JSON line it prints. */
async function child(script, args) {
  const proc = spawn(process.execPath, [join(ROOT, 'bench/lib', script), ...args.map(String)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.setEncoding('utf8').on('data', (d) => (out += d));
  proc.stderr.setEncoding('utf8').on('data', (d) => (err = (err + d).slice(-4000)));
  const code = await new Promise((resolve) => proc.on('close', resolve));
  if (code !== 0) throw new Error(`${script} exited ${code}: ${err}`);
  return JSON.parse(out.trim().split('\n').pop());
}

/**
 * The floors the LDAP series is measured against, in the same run on the same peers: a bare HTTP
 * client sending the first sync's creates at the same concurrency (on the same emulator, reset
 * after), the LDAP connector's read alone, and a bare ldapts paged read. Each read runs twice,
 * interleaved, and the quicker run counts: the first read of a freshly loaded directory also warms
 * slapd, which was charged to whichever client went first (the connector: at 50 000 users 1.44 s
 * cold, 1.24 and 1.34 s warm, against 1.08 - 1.13 s for ldapts).
 */
async function floors(users, emulator, directory) {
  const bareHttp = await child('bare-http-child.mjs', [emulator.url, await emulator.token(), 8, users]);
  await emulator.reset();
  const runs = { connector: [], ldapts: [] };
  for (let round = 0; round < 2; round++) {
    for (const kind of ['connector', 'ldapts']) runs[kind].push(await child('read-child.mjs', [kind, directory.url, directory.bindDn, directory.bindPassword, directory.baseDn]));
  }
  const quickest = (all) => all.reduce((a, b) => (b.wallMs < a.wallMs ? b : a));
  const connectorRead = quickest(runs.connector);
  const ldaptsRead = quickest(runs.ldapts);
  const row = {
    scenario: 'floors', users, bareHttpS: round(bareHttp.wallMs / 1000), bareHttpPerS: round(bareHttp.perS, 0),
    connectorReadS: round(connectorRead.wallMs / 1000), connectorRecords: connectorRead.records, connectorReadRssMb: round(connectorRead.maxRssMb, 1),
    ldaptsReadS: round(ldaptsRead.wallMs / 1000), ldaptsRecords: ldaptsRead.records,
    readRatio: round(connectorRead.wallMs / ldaptsRead.wallMs),
  };
  return row;
}

/** First sync, no-change run, diff over a 1 % change, then the 1 % run, on one directory and one Elder. */
async function ldapSeries(users, latencyMs) {
  const t0 = performance.now();
  const directory = await startDirectory(users);
  const loadS = (performance.now() - t0) / 1000;
  const emulator = await startRemoteEmulator({ latencyMs });
  const work = mkdtempSync(join(tmpdir(), 'elder-sync-bench-'));
  const base = { users, latencyMs };
  try {
    const floor = latencyMs === 0 ? await floors(users, emulator, directory) : null;
    writeConfig(work, emulator, directory);
    const first = await cli(work, emulator, ['run']);
    const entities = await emulator.entityCount();
    if (entities !== users) throw new Error(`first sync left ${entities} entities in Elder, expected ${users}`);
    const same = await cli(work, emulator, ['run']);
    if (floor) {
      // Issue 10's contract, as ratios of the same run: the first sync at >= 0.6 x the bare client's
      // rate and <= 200 us of CLI CPU per entity; no-change wall <= 1.5 x the connector's own read;
      // the connector's read <= 1.3 x a bare ldapts read.
      const firstRatio = round(users / first.wallS / floor.bareHttpPerS);
      const cpuUsPerEntity = round((first.cpuSeconds / users) * 1e6, 0);
      const noChangeRatio = round(same.wallS / floor.connectorReadS);
      emit({
        ...floor, firstSyncRatio: firstRatio, cpuUsPerEntity, noChangeRatio,
        ok: firstRatio >= 0.6 && cpuUsPerEntity <= 200 && noChangeRatio <= 1.5 && floor.readRatio <= 1.3,
      });
    }
    if (selected.has('first-sync')) {
      emit({
        scenario: 'first-sync', ...base, slapdLoadS: round(loadS), wallS: round(first.wallS), entitiesPerS: round(users / first.wallS, 0),
        elderCallsPerEntity: round((first.reads + first.writes) / users, 3), reads: first.reads, writes: first.writes,
        peakRssMb: round(first.maxRssMb, 1), cpuSeconds: round(first.cpuSeconds),
      });
    }
    if (selected.has('no-change')) {
      emit({ scenario: 'no-change', ...base, wallS: round(same.wallS), writes: same.writes, reads: same.reads, peakRssMb: round(same.maxRssMb, 1), cpuSeconds: round(same.cpuSeconds), ok: same.writes === 0 });
    }
    const changes = Math.max(1, Math.round(users / 100));
    await directory.changeUsers(changes, `changed ${new Date().toISOString()}`);
    const diff = await cli(work, emulator, ['diff']);
    if (selected.has('diff')) {
      emit({ scenario: 'diff', ...base, pending: changes, wallS: round(diff.wallS), reads: diff.reads, writes: diff.writes, peakRssMb: round(diff.maxRssMb, 1), cpuSeconds: round(diff.cpuSeconds) });
    }
    const one = await cli(work, emulator, ['run']);
    if (selected.has('one-percent')) {
      emit({ scenario: 'one-percent', ...base, changes, wallS: round(one.wallS), writes: one.writes, reads: one.reads, peakRssMb: round(one.maxRssMb, 1), cpuSeconds: round(one.cpuSeconds), ok: one.writes === changes });
    }
  } finally {
    await emulator.close();
    await directory.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * 5,000 scopes, most of them empty, holding 20 000 objects: a first sync, then a no-change run whose
 * Elder reads must stay within objects / 1000 + 50 (the index grows with objects, not scopes).
 */
async function manyScopes(scopes, objects) {
  const emulator = await startRemoteEmulator({ latencyMs: 0 });
  const work = mkdtempSync(join(tmpdir(), 'elder-sync-scopes-'));
  try {
    const statePath = join(work, 'state.db');
    await emulator.resetStats();
    const first = await child('scopes-child.mjs', [emulator.url, scopes, objects, statePath]);
    const firstStats = await emulator.stats();
    await emulator.resetStats();
    const again = await child('scopes-child.mjs', [emulator.url, scopes, objects, statePath]);
    const stats = await emulator.stats();
    const limit = Math.floor(objects / 1000) + 50;
    emit({
      scenario: 'scopes', scopes, objects, firstWallS: round(first.wallMs / 1000), firstReads: firstStats.reads, firstWrites: firstStats.writes,
      wallS: round(again.wallMs / 1000), reads: stats.reads, writes: stats.writes, readLimit: limit, peakRssMb: round(again.maxRssMb, 1),
      ok: first.ok && again.ok && stats.writes === 0 && stats.reads <= limit,
    });
  } finally {
    await emulator.close();
    rmSync(work, { recursive: true, force: true });
  }
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function startup() {
  const time = (args) => {
    const samples = [];
    for (let i = 0; i < 7; i++) {
      const t = performance.now();
      const r = spawnSync(process.execPath, args, { stdio: 'ignore', env: { ...process.env, ELDER_SYNC_DATA_DIR: join(tmpdir(), 'elder-sync-bench-data') } });
      if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}`);
      samples.push(performance.now() - t);
    }
    return median(samples);
  };
  const bare = time(['-e', '0']);
  const version = time([CLI_BIN, '--version']);
  const help = time([CLI_BIN, '--help']);
  emit({ scenario: 'startup', bareNodeMs: round(bare, 0), versionMs: round(version, 0), helpMs: round(help, 0), versionRatio: round(version / bare), helpRatio: round(help / bare) });
}

async function sweepOnce(concurrency, latencyMs) {
  const emulator = await startRemoteEmulator({ latencyMs });
  const work = mkdtempSync(join(tmpdir(), 'elder-sync-sweep-'));
  try {
    const entities = Math.max(150, Math.round((concurrency / (latencyMs / 1000)) * 3));
    const r = await child('sweep-child.mjs', [emulator.url, concurrency, entities, join(work, 'state.db')]);
    const stats = await emulator.stats();
    const requests = stats.reads + stats.writes;
    const throughput = requests / (r.wallMs / 1000);
    const ideal = concurrency / (latencyMs / 1000);
    const ok = r.ok && (await emulator.entityCount()) === entities;
    // What the same emulator and machine allow a client with no engine at all: the bare HTTP child
    // sending as many creates at the same concurrency, against a fresh emulator.
    await emulator.reset();
    const bare = await child('bare-http-child.mjs', [emulator.url, await emulator.token(), concurrency, entities]);
    const bareRatio = bare.perS / ideal;
    emit({
      scenario: 'concurrency', latencyMs, concurrency, entities, requests, wallS: round(r.wallMs / 1000), requestsPerS: round(throughput, 0), idealPerS: round(ideal, 0),
      ratioToIdeal: round(throughput / ideal), bareRatioToIdeal: round(bareRatio), ratioToBare: round(throughput / ideal / bareRatio), ok,
    });
  } finally {
    await emulator.close();
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * A slow source into a distant Elder: the synthetic connector waits `pageMs` before each page (a
 * cloud API), Elder answers after `latencyMs`. Read and writes take about `readS` and `writesS` alone;
 * `run` writes while it reads, so the wall should approach the longer of the two, not their sum.
 */
async function overlapOnce({ records = 2000, page = 100, pageMs = 100, concurrency = 8, latencyMs = 20 } = {}) {
  const emulator = await startRemoteEmulator({ latencyMs });
  const work = mkdtempSync(join(tmpdir(), 'elder-sync-overlap-'));
  try {
    const r = await child('sweep-child.mjs', [emulator.url, concurrency, records, join(work, 'state.db'), page, pageMs]);
    const readS = (Math.ceil(records / page) * pageMs) / 1000;
    const writesS = (records * latencyMs) / concurrency / 1000;
    const wallS = r.wallMs / 1000;
    emit({
      scenario: 'overlap', records, page, pageMs, latencyMs, concurrency, readS, writesS, wallS: round(wallS),
      ratioToSum: round(wallS / (readS + writesS)), ratioToLonger: round(wallS / Math.max(readS, writesS)),
      ok: r.ok && (await emulator.entityCount()) === records,
    });
  } finally {
    await emulator.close();
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Streaming: for each LDAP scenario at 0 ms, peak RSS at the largest size over the smallest. Every
 * ratio must stay within RSS_GROWTH_LIMIT (memory may grow by a compact index, never by records).
 */
function memoryCheck(all) {
  const rows = [];
  for (const scenario of LDAP_SCENARIOS) {
    const runs = all.filter((r) => r.scenario === scenario && r.latencyMs === 0).sort((a, b) => a.users - b.users);
    if (runs.length < 2) continue;
    const small = runs[0];
    const large = runs[runs.length - 1];
    const ratio = round(large.peakRssMb / small.peakRssMb);
    rows.push({ scenario, smallUsers: small.users, largeUsers: large.users, smallPeakRssMb: small.peakRssMb, largePeakRssMb: large.peakRssMb, ratio, ok: ratio <= RSS_GROWTH_LIMIT });
  }
  return rows.length === 0 ? null : { limit: RSS_GROWTH_LIMIT, ok: rows.every((r) => r.ok), rows };
}

// `--render`: rewrite docs/benchmarks.md from bench/results.json without measuring again.
if (process.argv.includes('--render')) {
  const doc = JSON.parse(readFileSync(join(ROOT, 'bench/results.json'), 'utf8'));
  doc.memory = memoryCheck(doc.results);
  writeFileSync(join(ROOT, 'bench/results.json'), JSON.stringify(doc, null, 2) + '\n');
  const { renderMarkdown } = await import('./lib/report.mjs');
  writeFileSync(join(ROOT, 'docs/benchmarks.md'), renderMarkdown(doc));
  process.exit(0);
}

// ---- main -------------------------------------------------------------------------------------
const startedAt = new Date();
const machine = { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memoryGb: round(totalmem() / 2 ** 30, 1), node: process.version, platform: `${process.platform}-${process.arch}` };
console.log(`elder-sync bench: ${machine.cores} cores (${machine.cpu}), Node ${machine.node}; sizes ${sizes.join(', ')}; 20 ms latency at ${latencySizes.join(', ')}`);

if (selected.has('startup')) startup();
if (LDAP_SCENARIOS.some((s) => selected.has(s))) {
  for (const users of sizes) {
    await ldapSeries(users, 0);
    if (latencySizes.includes(users)) await ldapSeries(users, 20);
  }
}
if (selected.has('scopes')) await manyScopes(opts.quick ? 1000 : 5000, opts.quick ? 4000 : 20000);
if (selected.has('concurrency')) for (const c of [1, 4, 16, 64]) await sweepOnce(c, 20);
if (selected.has('overlap')) await overlapOnce();
if (selected.has('graph')) {
  await graphSeries({
    testkit, cli, emit, round,
    mkWork: () => mkdtempSync(join(tmpdir(), 'elder-sync-bench-graph-')),
    tenants: Number(opts['graph-tenants'] ?? (opts.quick ? 4 : 40)),
    objects: Number(opts['graph-objects'] ?? (opts.quick ? 4000 : 100000)),
  });
}
if (selected.has('scale-out')) {
  await scaleOutSeries({
    testkit, cliBin: CLI_BIN, emit, round,
    perRegion: Number(opts['scale-per-region'] ?? (opts.quick ? 2 : 10)),
    latencyMs: Number(opts['scale-latency'] ?? 20),
    workerCounts: [1, 2, 4],
  });
}
if (selected.has('aws')) await awsSeries({ testkit, cli, emit, round, resources: Number(opts['aws-resources'] ?? (opts.quick ? 2000 : 20000)) });
if (selected.has('gcp')) {
  const { gcpSeries } = await import('./lib/gcp.mjs');
  const google = await import(new URL('../packages/testkit/dist/google/index.js', import.meta.url).href);
  for (const objects of gcpSizes) await gcpSeries({ objects, latencyMs: 0, testkit, google, cli, emit, round });
}
if (selected.has('workspace')) {
  // Issue 17: 10 000 users and 500 groups (one group per 20 users), at 0 ms Elder latency.
  const users = Number(opts['workspace-users'] ?? (opts.quick ? 1000 : 10000));
  const { workspaceSeries } = await import('./lib/workspace.mjs');
  const google = await import(new URL('../packages/testkit/dist/google/index.js', import.meta.url).href);
  const emulator = await testkit.startElderEmulator({});
  const work = mkdtempSync(join(tmpdir(), 'elder-sync-bench-workspace-'));
  try {
    await workspaceSeries({ users, groups: Math.max(1, Math.round(users / 20)), work, emulator, google, cli, emit, round });
  } finally {
    await emulator.close();
    rmSync(work, { recursive: true, force: true });
  }
}

const memory = memoryCheck(results);
if (memory) console.log(`BENCH ${JSON.stringify({ scenario: 'memory', ...memory })}`);

const doc = { startedAt: startedAt.toISOString(), durationS: round((Date.now() - startedAt.getTime()) / 1000, 0), command: `node bench/run.mjs ${process.argv.slice(2).join(' ')}`.trim(), machine, sizes, latencySizes, gcpSizes, memory, results };
const outJson = opts.out ?? join(ROOT, 'bench/results.json');
writeFileSync(outJson, JSON.stringify(doc, null, 2) + '\n');
if (opts.out === undefined) {
  // docs/benchmarks.md is the committed run's page: a run written elsewhere (--out) leaves it alone.
  const { renderMarkdown } = await import('./lib/report.mjs');
  mkdirSync(join(ROOT, 'docs'), { recursive: true });
  writeFileSync(join(ROOT, 'docs/benchmarks.md'), renderMarkdown(doc));
  console.log(`wrote ${outJson} and docs/benchmarks.md in ${doc.durationS} s`);
} else {
  console.log(`wrote ${outJson} in ${doc.durationS} s (docs/benchmarks.md left as it was)`);
}
const failed = results.filter((r) => r.ok === false);
if (failed.length > 0 || memory?.ok === false) {
  console.error(`contract not met: ${JSON.stringify([...failed, ...(memory?.ok === false ? [memory] : [])])}`);
  process.exitCode = 1;
}
