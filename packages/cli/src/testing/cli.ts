// Test helpers (not built): run the built CLI as a user would, in a scratch directory.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = join(CLI_ROOT, 'bin', 'run.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The tests run the build output; say how to make it instead of failing obscurely. */
export function assertBuilt(): void {
  for (const file of ['dist/commands/run.js', 'oclif.manifest.json']) {
    if (!existsSync(join(CLI_ROOT, file))) {
      throw new Error(
        `packages/cli/${file} is missing: build first (flock /tmp/build.lock sh -c 'npx tsc -b packages/cli && pnpm --filter elder-sync run manifest')`,
      );
    }
  }
}

/**
 * A clean environment: no inherited elder-sync settings, a private oclif data dir (no user
 * plugins of the machine), no colour, and no TTY (stdout is a pipe), like cron.
 */
export function cliEnv(dataDir: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('ELDER') || k.startsWith('LDAP') || k === 'FORCE_COLOR') continue;
    env[k] = v;
  }
  return { ...env, ELDER_SYNC_DATA_DIR: dataDir, NO_COLOR: '1', ...extra };
}

export function runCli(
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A scratch directory removed by the returned function. */
export function scratch(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
