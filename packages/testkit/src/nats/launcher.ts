import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ElderSyncError } from '@elder-sync/core';

/** The script that installs what `startNatsServer` needs (Debian's nats-server). */
export const INSTALL_NATS_SCRIPT = 'packages/testkit/scripts/install-nats.sh';

export interface StartNatsOptions {
  /** Port; default a free one. A restart keeps it. */
  port?: number;
  /** JetStream store directory; default a new temp dir, removed by `stop()`. */
  storeDir?: string;
  /** Require `user`/`password` from clients. */
  user?: string;
  password?: string;
}

export interface NatsPeer {
  /** `nats://127.0.0.1:PORT`, without credentials. */
  url: string;
  port: number;
  storeDir: string;
  pid(): number;
  /** SIGTERM and wait, then start again on the same port and store (JetStream state survives). */
  restart(): Promise<void>;
  /** Stop and remove the temp store. Idempotent. */
  stop(): Promise<void>;
}

/**
 * A throwaway `nats-server -js` on loopback with its JetStream store in a temp dir, for the
 * scale-out tests: the real server, started and stopped by the test.
 */
export async function startNatsServer(options: StartNatsOptions = {}): Promise<NatsPeer> {
  if (spawnSync('nats-server', ['--version']).status !== 0) {
    throw new ElderSyncError('NATS_NOT_INSTALLED', `nats-server is not installed; run: sudo bash ${INSTALL_NATS_SCRIPT}`);
  }
  const ownsDir = options.storeDir === undefined;
  const storeDir = options.storeDir ?? mkdtempSync(join(tmpdir(), 'elder-sync-nats-'));
  const port = options.port ?? (await freePort());
  let child: ChildProcess | null = null;
  const start = async () => {
    const args = ['-js', '-sd', storeDir, '-a', '127.0.0.1', '-p', String(port)];
    if (options.user !== undefined) args.push('--user', options.user, '--pass', options.password ?? '');
    const server = spawn('nats-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child = server;
    let stderr = '';
    let ready = false;
    server.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
      // The server's own word, not a probe of the port: a port that answers may be someone else's.
      ready ||= stderr.includes('Server is ready');
    });
    const deadline = Date.now() + 15_000;
    while (!ready) {
      if (server.exitCode !== null || Date.now() > deadline) {
        throw new ElderSyncError('NATS_START_FAILED', `nats-server did not start on port ${port}: ${stderr.trim().split('\n').slice(-3).join(' ')}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const halt = async () => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((r) => running.once('exit', r));
    running.kill('SIGTERM');
    const timer = setTimeout(() => running.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    pid: () => (child as ChildProcess | null)?.pid ?? -1,
    restart: async () => {
      await halt();
      await start();
    },
    stop: async () => {
      await halt();
      if (ownsDir) rmSync(storeDir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
