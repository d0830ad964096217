// The Elder emulator in a process of its own (`elder-emulator` bin), so the sync measured and the
// Elder it talks to do not share an event loop; its counters and data are read over its control
// routes (/__emulator/*). Same surface as the in-process emulator, with async methods.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../packages/testkit/bin/elder-emulator.js', import.meta.url));

export async function startRemoteEmulator({ latencyMs = 0 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'elder-sync-bench-emulator-'));
  const ready = join(dir, 'url');
  const child = spawn(process.execPath, [BIN, '--port', '0', '--latency-ms', String(latencyMs), '--ready-file', ready], { stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; !existsSync(ready); i++) {
    if (i > 200 || child.exitCode !== null) throw new Error('the Elder emulator did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = readFileSync(ready, 'utf8').trim();
  const control = async (method, path) => {
    const res = await fetch(`${url}/__emulator/${path}`, { method });
    if (!res.ok) throw new Error(`emulator ${method} ${path}: ${res.status}`);
    return res.json();
  };
  const token = async () => (await control('POST', 'token')).token;
  return {
    url,
    pid: child.pid,
    stats: () => control('GET', 'stats'),
    resetStats: () => control('POST', 'stats/reset'),
    reset: () => control('POST', 'reset'),
    token,
    /** Entities stored (the list's `total`, one request). */
    async entityCount() {
      const res = await fetch(`${url}/api/v1/entities?per_page=1`, { headers: { authorization: `Bearer ${await token()}` } });
      return (await res.json()).total;
    },
    async close() {
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
