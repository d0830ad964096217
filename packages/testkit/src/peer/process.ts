import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * Process plumbing shared by the directory-server launchers (Samba AD, 389-DS): free ports, a
 * bounded SIGTERM-then-SIGKILL stop, and a process-exit hook that kills servers a crashed test left
 * running and removes their temporary directories.
 */

interface LiveServer {
  child: ChildProcess;
  dir: string;
  ownsDir: boolean;
}

const live = new Set<LiveServer>();
/** Temporary directories of servers still being created (provisioning takes seconds). */
const pendingDirs = new Set<string>();
let exitHookInstalled = false;

/** Registers a started server; returns the function that unregisters it. */
export function trackServer(server: LiveServer): () => void {
  live.add(server);
  installExitHook();
  return () => live.delete(server);
}

/** Registers a temporary directory to remove if the process exits before `release()`. */
export function trackDir(dir: string): { release(): void } {
  pendingDirs.add(dir);
  installExitHook();
  return { release: () => pendingDirs.delete(dir) };
}

function installExitHook(): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const dir of pendingDirs) rmSync(dir, { recursive: true, force: true });
      for (const p of live) {
        // The servers run in their own process group (detached), so the group id is the child's pid.
        try {
          if (p.child.pid !== undefined) process.kill(-p.child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
        if (p.ownsDir) rmSync(p.dir, { recursive: true, force: true });
      }
    });
  }
}

/**
 * SIGTERM to the child's whole process group (Samba forks workers), SIGKILL after `timeoutMs`.
 * Resolves once the child itself has exited.
 */
export async function terminateGroup(child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((res) => child.once('exit', () => res()));
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      try {
        child.kill(sig);
      } catch {
        /* already gone */
      }
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), timeoutMs);
  await gone;
  clearTimeout(timer);
  // Workers that outlive the parent for a moment would keep the ports; reap the group.
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    /* group empty */
  }
}

/** A TCP port nobody listens on at `host` right now (the kernel's pick for port 0). */
export function freePort(host = '127.0.0.1', avoid?: number): Promise<number> {
  return new Promise((res, rej) => {
    const server = createServer();
    server.once('error', rej);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port === avoid ? freePort(host, avoid).then(res, rej) : res(port)));
    });
  });
}

/** Whether every port can be bound on `host` at this moment. */
export async function portsFree(host: string, ports: number[]): Promise<boolean> {
  for (const port of ports) {
    const ok = await new Promise<boolean>((res) => {
      const server = createServer();
      server.once('error', () => res(false));
      server.listen(port, host, () => server.close(() => res(true)));
    });
    if (!ok) return false;
  }
  return true;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((res) => setTimeout(res, ms));
}
