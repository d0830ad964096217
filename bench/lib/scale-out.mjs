// The scale-out scenario (issue 19): one `run --dispatch` over the loopback AWS (4 accounts × 10
// regions = 40 regional units plus 4 global ones), run by 1, 2 and 4 `elder-sync worker` processes
// against an Elder emulator with a fixed latency. Throughput is reported as a ratio to one worker;
// on a 2-core machine the ratio is bounded by CPU, so the scenario also reports how busy the cores
// were (all processes' CPU seconds over wall × cores): near 1.0 means CPU-bound, not Elder-bound.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { elderConfigLines, STATE_LINES } from './elder-config.mjs';

const ACCOUNTS = 4;
const REGIONS = ['ap-northeast-1', 'ap-southeast-1', 'ap-southeast-2', 'ca-central-1', 'eu-central-1', 'eu-west-1', 'eu-west-2', 'sa-east-1', 'us-east-1', 'us-west-2'];

/** utime + stime of a live process, in seconds (Linux /proc). */
function cpuSecondsOf(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * @param {{ testkit: any, cliBin: string, emit: (r: object) => void, round: (n: number, d?: number) => number, perRegion: number, latencyMs: number, workerCounts: number[] }} ctx
 */
export async function scaleOutSeries({ testkit, cliBin, emit, round, perRegion, latencyMs, workerCounts }) {
  const world = testkit.generateWorld({ accounts: ACCOUNTS, regions: REGIONS, perRegion });
  const fake = await testkit.startAwsFake({ world, pageSize: 100 });
  let base = null;
  try {
    for (const count of workerCounts) {
      const emulator = await testkit.startElderEmulator({ latencyMs });
      const nats = await testkit.startNatsServer();
      const work = mkdtempSync(join(tmpdir(), 'elder-sync-bench-scale-'));
      const workers = [];
      try {
        writeFileSync(
          join(work, 'elder-sync.yaml'),
          [
            ...elderConfigLines(emulator.url, ['  concurrency: 8']),
            `nats: { servers: [${nats.url}] }`,
            ...STATE_LINES,
            'sources:',
            '  - name: bench-aws',
            '    connector: aws',
            '    config:',
            '      organization: { roleName: elder-sync-read }',
            '',
          ].join('\n'),
        );
        const env = { ...process.env, ...fake.env(), ELDER_SYNC_DATA_DIR: join(work, 'data'), NO_COLOR: '1' };
        for (let i = 0; i < count; i++) {
          // Each worker its own state file: SQLite is one machine's; these stand for separate machines.
          const child = spawn(process.execPath, [cliBin, 'worker', '--config', join(work, 'elder-sync.yaml'), '--concurrency', '2', '--listen', 'off', '--log-level', 'error'], {
            cwd: work,
            env: { ...env, ELDER_SYNC_STATE: join(work, `state-${i}.db`) },
            stdio: ['ignore', 'ignore', 'ignore'],
          });
          workers.push(child);
        }
        const started = performance.now();
        const dispatcher = spawn(process.execPath, [cliBin, 'run', '--dispatch', '--config', join(work, 'elder-sync.yaml'), '--quiet', '--log-level', 'error'], { cwd: work, env, stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        dispatcher.stderr.setEncoding('utf8').on('data', (d) => (stderr = (stderr + d).slice(-4000)));
        const code = await new Promise((resolve) => dispatcher.on('close', resolve));
        const wallS = (performance.now() - started) / 1000;
        if (code !== 0) throw new Error(`run --dispatch exited ${code}:\n${stderr}`);
        const cpuSeconds = workers.reduce((sum, w) => sum + cpuSecondsOf(w.pid), 0);
        const entities = emulator.entities().length;
        const throughput = entities / wallS;
        base ??= throughput;
        emit({
          scenario: 'scale-out', workers: count, units: ACCOUNTS * (REGIONS.length + 1), entities, latencyMs,
          wallS: round(wallS), entitiesPerS: round(throughput, 0), ratioToOneWorker: round(throughput / base),
          workerCpuSeconds: round(cpuSeconds), coresBusy: round(cpuSeconds / (wallS * cpus().length)),
        });
      } finally {
        for (const w of workers) w.kill('SIGTERM');
        await Promise.all(workers.map((w) => (w.exitCode !== null ? null : new Promise((r) => w.once('exit', r)))));
        await nats.stop();
        await emulator.close();
        rmSync(work, { recursive: true, force: true });
      }
    }
  } finally {
    await fake.close();
  }
}
