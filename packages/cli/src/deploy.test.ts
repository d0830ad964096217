import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLI_ROOT } from './testing/cli.js';

/**
 * The operator files in deploy/ cannot run here (no Docker, no cluster, no systemd as PID 1), so
 * this checks what can be checked offline: they parse, they keep the promises the README makes
 * (non-root, read-only root filesystem, state on a volume, probes on the health server), and the
 * commands and flags they call exist.
 */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DEPLOY = join(ROOT, 'deploy');
// yaml is core's dependency; borrow it rather than add it to the CLI for one test.
const YAML = createRequire(fileURLToPath(import.meta.resolve('@elder-sync/core')))('yaml') as typeof import('yaml');

const read = (path: string) => readFileSync(join(DEPLOY, path), 'utf8');
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const docs = (path: string): Obj[] => YAML.parseAllDocuments(read(path)).map((d) => {
  expect(d.errors, `${path}: ${d.errors.join('; ')}`).toEqual([]);
  return d.toJS() as Obj;
});

/** Flags of a command in the oclif manifest the build wrote. */
function flagsOf(command: string): string[] {
  const manifest = JSON.parse(readFileSync(join(CLI_ROOT, 'oclif.manifest.json'), 'utf8')) as { commands: Record<string, { flags: Record<string, unknown> }> };
  return Object.keys(manifest.commands[command]?.flags ?? {});
}

function argsUse(args: string[]): void {
  const [command, ...rest] = args;
  const flags = flagsOf(command!);
  expect(flags.length, `command ${command}`).toBeGreaterThan(0);
  for (const arg of rest) if (arg.startsWith('--')) expect(flags, `${command} ${arg}`).toContain(arg.slice(2));
}

function hardened(pod: Obj, container: Obj): void {
  expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } });
  expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
  const mounts = Object.fromEntries((container.volumeMounts as Obj[]).map((m) => [m.mountPath, m.name]));
  expect(mounts).toMatchObject({ '/var/lib/elder-sync': 'state', '/tmp': 'tmp', '/etc/elder-sync': 'config' });
  const volumes = Object.fromEntries((pod.volumes as Obj[]).map((v) => [v.name, v]));
  expect(volumes.state.persistentVolumeClaim.claimName).toBeTruthy();
  expect(volumes.tmp.emptyDir).toEqual({});
  // Longer than the daemon's default grace period (30 s), so SIGTERM can finish the writes in flight.
  expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(30);
}

describe('deploy/', () => {
  it('kubernetes/deployment.yaml: one daemon replica, hardened, probes on /healthz and /readyz of its health server', () => {
    const [pvc, deployment] = docs('kubernetes/deployment.yaml');
    expect(pvc).toMatchObject({ kind: 'PersistentVolumeClaim', metadata: { name: 'elder-sync-state' } });
    expect(deployment).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment', spec: { replicas: 1, strategy: { type: 'Recreate' } } });
    const pod = deployment!.spec.template.spec as Obj;
    const container = pod.containers[0] as Obj;
    hardened(pod, container);
    expect(pod.volumes.find((v: Obj) => v.name === 'state').persistentVolumeClaim.claimName).toBe(pvc!.metadata.name);
    argsUse(container.args);
    expect(container.args).toEqual(['daemon', '--listen', '0.0.0.0:9464']);
    expect(container.ports).toEqual([{ name: 'metrics', containerPort: 9464 }]);
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    // /readyz waits up to 5 s for Elder.
    expect(container.readinessProbe.timeoutSeconds).toBeGreaterThan(5);
  });

  it('kubernetes/cronjob.yaml: run --all on a cron schedule, never two at once, hardened', async () => {
    const { isCronExpression } = await import('@elder-sync/core');
    const [pvc, cron] = docs('kubernetes/cronjob.yaml');
    expect(pvc).toMatchObject({ kind: 'PersistentVolumeClaim' });
    expect(cron).toMatchObject({ apiVersion: 'batch/v1', kind: 'CronJob', spec: { concurrencyPolicy: 'Forbid' } });
    expect(isCronExpression(cron!.spec.schedule)).toBe(true);
    const pod = cron!.spec.jobTemplate.spec.template.spec as Obj;
    expect(pod.restartPolicy).toBe('Never');
    const container = pod.containers[0] as Obj;
    hardened(pod, container);
    argsUse(container.args);
    expect(container.args.slice(0, 2)).toEqual(['run', '--all']);
  });

  it('kubernetes/cronjob-sharded.yaml: an Indexed Job whose pods each run their shard, as many shards as completions', async () => {
    const { isCronExpression, parseShard } = await import('@elder-sync/core');
    const [pvc, cron] = docs('kubernetes/cronjob-sharded.yaml');
    // Every shard's state file lives on the one volume: it must be mountable by all pods at once.
    expect(pvc).toMatchObject({ kind: 'PersistentVolumeClaim', spec: { accessModes: ['ReadWriteMany'] } });
    expect(isCronExpression(cron!.spec.schedule)).toBe(true);
    const job = cron!.spec.jobTemplate.spec as Obj;
    expect(job).toMatchObject({ completionMode: 'Indexed' });
    expect(job.parallelism).toBe(job.completions);
    const pod = job.template.spec as Obj;
    const container = pod.containers[0] as Obj;
    hardened(pod, container);
    argsUse(container.args);
    const shard = container.args[container.args.indexOf('--shard') + 1] as string;
    // The last pod (index completions - 1) is the last shard: auto/N agrees with the Job's size.
    expect(parseShard(shard, { JOB_COMPLETION_INDEX: String(job.completions - 1) })).toEqual({ index: job.completions, count: job.completions });
  });

  it('Dockerfile: multi-stage on node:20-bookworm-slim, non-root, state on a volume, copies files that exist', () => {
    const text = read('Dockerfile');
    const lines = text.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
    const froms = lines.filter((l) => l.startsWith('FROM '));
    expect(froms).toEqual(['FROM node:20-bookworm-slim AS build', 'FROM node:20-bookworm-slim']);
    const runtime = lines.slice(lines.indexOf(froms[1]!));
    const user = runtime.find((l) => l.startsWith('USER '));
    expect(user).toBeDefined();
    expect(user).not.toMatch(/USER (root|0)(:|$)/);
    expect(runtime).toContain('VOLUME /var/lib/elder-sync');
    expect(text).toMatch(/ELDER_SYNC_STATE=\/var\/lib\/elder-sync\/state\.db/);
    expect(runtime.find((l) => l.startsWith('ENTRYPOINT'))).toBe('ENTRYPOINT ["node", "/app/bin/run.js"]');
    argsUse(JSON.parse(runtime.find((l) => l.startsWith('CMD'))!.slice(4)) as string[]);
    for (const line of lines.filter((l) => l.startsWith('COPY ') && !l.includes('--from'))) {
      const sources = line.split(/\s+/).slice(1, -1);
      for (const source of sources) expect(existsSync(join(ROOT, source)), `${line}: ${source}`).toBe(true);
    }
    expect(existsSync(join(DEPLOY, 'Dockerfile.dockerignore'))).toBe(true);
  });

  const analyze = spawnSync('systemd-analyze', ['--version']).status === 0;
  it.skipIf(!analyze)('systemd/elder-sync.service passes systemd-analyze verify, reloads on HUP and outlasts the grace period', () => {
    const unit = read('systemd/elder-sync.service');
    expect(unit).toMatch(/^ExecStart=elder-sync daemon/m);
    expect(unit).toMatch(/^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
    expect(Number(/^TimeoutStopSec=(\d+)/m.exec(unit)?.[1])).toBeGreaterThan(30);
    for (const option of ['DynamicUser=yes', 'StateDirectory=elder-sync', 'ProtectSystem=strict', 'NoNewPrivileges=yes', 'ProtectHome=yes']) {
      expect(unit).toContain(`\n${option}\n`);
    }
    // elder-sync is not installed here: verify everything else with a stand-in executable.
    const dir = mkdtempSync(join(tmpdir(), 'unit-'));
    try {
      const file = join(dir, 'elder-sync.service');
      writeFileSync(file, unit.replace(/^ExecStart=elder-sync /m, 'ExecStart=/bin/true '));
      const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
      expect(r.stderr + r.stdout).toBe('');
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the README points operators at each file', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const file of ['deploy/Dockerfile', 'deploy/kubernetes/deployment.yaml', 'deploy/kubernetes/cronjob.yaml', 'deploy/kubernetes/cronjob-sharded.yaml', 'deploy/systemd/elder-sync.service']) {
      expect(readme).toContain(`](${file})`);
    }
  });
});
