#!/usr/bin/env node
// CPU profile of the real CLI over the bench fixture: a first sync and a no-change run of N LDAP
// users into the emulator (in this process), each CLI run with `node --cpu-prof`; prints the
// functions with the most self time and where the .cpuprofile files are.
//
//   node bench/profile.mjs [users=20000] [outDir]
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDirectory } from './lib/directory.mjs';
import { ldapBenchConfig } from './lib/elder-config.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const users = Number(process.argv[2] ?? 20000);
const out = process.argv[3] ?? mkdtempSync(join(tmpdir(), 'elder-sync-profile-'));
const testkit = await import(new URL('../packages/testkit/dist/index.js', import.meta.url).href);

const directory = await startDirectory(users);
const emulator = await testkit.startElderEmulator({ latencyMs: 0 });
const work = mkdtempSync(join(tmpdir(), 'elder-sync-profile-work-'));
writeFileSync(join(work, 'elder-sync.yaml'), ldapBenchConfig(emulator.url, directory));

async function profiled(name, args) {
  const dir = join(out, name);
  const started = performance.now();
  const child = spawn(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, join(ROOT, 'packages/cli/bin/run.js'), ...args, '--config', join(work, 'elder-sync.yaml'), '--log-level', 'warn'], { cwd: work, stdio: ['ignore', 'ignore', 'inherit'] });
  await new Promise((r) => child.on('close', r));
  const wall = (performance.now() - started) / 1000;
  const file = join(dir, readdirSync(dir)[0]);
  summarise(name, file, wall);
}

function summarise(name, file, wall) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const dt = new Map();
  for (let i = 0; i < profile.samples.length; i++) dt.set(profile.samples[i], (dt.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const self = new Map();
  let total = 0;
  let idle = 0;
  for (const node of profile.nodes) {
    const us = dt.get(node.id) ?? 0;
    total += us;
    const f = node.callFrame;
    if (f.functionName === '(idle)') { idle += us; continue; }
    const where = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(packages|node_modules)\//, '$1/')}:${f.lineNumber + 1}`;
    self.set(where, (self.get(where) ?? 0) + us);
  }
  console.log(`\n== ${name}: wall ${wall.toFixed(1)} s, sampled ${(total / 1e6).toFixed(1)} s, busy ${((total - idle) / 1e6).toFixed(1)} s; ${file}`);
  for (const [where, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) {
    console.log(`${(us / 1e3).toFixed(0).padStart(7)} ms ${((us / (total - idle)) * 100).toFixed(1).padStart(5)} %  ${where}`);
  }
}

try {
  await profiled('first-sync', ['run']);
  await profiled('no-change', ['run']);
} finally {
  await emulator.close();
  await directory.stop();
}
