import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile, access, constants } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ElderSyncError } from '@elder-sync/core';
import { slapdConf } from './conf.js';
import { run } from './exec.js';
import { baseLdif, FIXTURE_SUFFIX, rewriteSuffix, sshaHash } from './ldif.js';
import { makeTls } from './tls.js';
import type { DirectoryPeer } from '../peer/directory.js';

/** A failure to install, start, load or stop the throwaway slapd. */
export class SlapdError extends ElderSyncError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('SLAPD_FAILED', message, options);
  }
}

/** The sample directory (8 OUs, 10 people, 4 groups) shipped in `@elder-sync/testkit/fixtures`. */
export const SAMPLE_LDIF: string = fileURLToPath(new URL('../../fixtures/sample.ldif', import.meta.url));
/** The idempotent, root-only installer CI and the README call. */
export const INSTALL_SLAPD_SCRIPT: string = fileURLToPath(new URL('../../scripts/install-slapd.sh', import.meta.url));

export interface StartSlapdOptions {
  /** Where config, database, TLS material, pid file and log live. Default: a new temp dir, removed by `stop()`. A dir you pass is left in place. */
  dir?: string;
  /** LDIF files added online as the rootdn after the base entries (so memberof sees them). `dc=example,dc=test` in them becomes `suffix`. */
  ldif?: string[];
  /** LDAP port; `0` or absent picks a free one. */
  port?: number;
  /** LDAPS port; default: a free one (or `port + 1` when `port` is fixed). */
  ldapsPort?: number;
  /** Default `dc=example,dc=test`. Must start with `dc=` or `o=`. */
  suffix?: string;
  /** Load the memberof overlay (groupOfNames/member → memberOf). Default true; false mimics a plain OpenLDAP. */
  memberOf?: boolean;
  /** Size limit for non-paged searches by non-root binds. Default 500. */
  sizeLimit?: number;
  /** slapd `-d` debug level, e.g. `stats` to log every operation to `<dir>/slapd.log`. Default 0. */
  logLevel?: string;
}

/** The OpenLDAP peer: every directory peer's members, and slapd's own log file. */
export interface SlapdPeer extends DirectoryPeer {
  readonly vendor: 'openldap';
  logFile: string;
}

const SLAPD_BIN = process.env.SLAPD_BIN ?? '/usr/sbin/slapd';
const SCHEMA_DIR = process.env.SLAPD_SCHEMA_DIR ?? '/etc/ldap/schema';
const MODULE_PATH = process.env.SLAPD_MODULE_PATH ?? '/usr/lib/ldap';
const HOST = '127.0.0.1';
const ADMIN_PASSWORD = 'admin';
// Not a word that appears in DNs: the secret registry redacts every occurrence of a password.
const READER_PASSWORD = 'Rd-7f3k-pass';
const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 10_000;
/** A free port found by binding 0 can be taken before slapd binds it; retry with fresh ports. */
const START_ATTEMPTS = 3;
/** ldap-utils must not read /etc/ldap/ldap.conf or ~/.ldaprc: the peer is hermetic. */
const TOOL_ENV: NodeJS.ProcessEnv = { ...process.env, LDAPNOINIT: '1' };

// Peers still running when the process exits (a crashed test) are killed, and their temp dirs removed.
const live = new Set<{ child: ChildProcess; dir: string; ownsDir: boolean }>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const p of live) {
      try {
        p.child.kill('SIGKILL');
      } catch {
        /* already gone */
      }
      if (p.ownsDir) rmSync(p.dir, { recursive: true, force: true });
    }
  });
}

/** Is the slapd binary (and ldap-utils) present? The error names the installer script. */
export async function assertSlapdInstalled(): Promise<void> {
  const missing: string[] = [];
  try {
    await access(SLAPD_BIN, constants.X_OK);
  } catch {
    missing.push(SLAPD_BIN);
  }
  const probe = await run('sh', ['-c', 'command -v ldapadd && command -v openssl'], { env: TOOL_ENV });
  if (probe.code !== 0) missing.push('ldap-utils/openssl');
  if (missing.length > 0) {
    throw new SlapdError(`slapd is not installed (missing ${missing.join(', ')}); run: sudo ${INSTALL_SLAPD_SCRIPT}`);
  }
}

/** Starts a throwaway OpenLDAP server on loopback and loads `ldif` into it. */
export async function startSlapd(options: StartSlapdOptions = {}): Promise<SlapdPeer> {
  await assertSlapdInstalled();
  const suffix = options.suffix ?? FIXTURE_SUFFIX;
  const ownsDir = options.dir === undefined;
  const dir = ownsDir ? await mkdtemp(join(tmpdir(), 'elder-sync-slapd-')) : resolve(options.dir!);
  try {
    await mkdir(join(dir, 'db'), { recursive: true });
    await mkdir(join(dir, 'run'), { recursive: true });
    const ldifTexts = await Promise.all((options.ldif ?? []).map((f) => readFile(f, 'utf8')));
    const tls = await makeTls(dir);
    const confFile = join(dir, 'slapd.conf');
    await writeFile(
      confFile,
      slapdConf({
        dir,
        suffix,
        adminHash: sshaHash(ADMIN_PASSWORD),
        schemaDir: SCHEMA_DIR,
        modulePath: MODULE_PATH,
        sizeLimit: options.sizeLimit ?? 500,
        memberOf: options.memberOf ?? true,
      }),
    );
    const check = await run('/usr/sbin/slaptest', ['-u', '-f', confFile], { env: TOOL_ENV });
    if (check.code !== 0) throw new SlapdError(`slaptest rejected ${confFile}: ${check.stderr.trim()}`);

    const auto = !options.port;
    let started: { child: ChildProcess; port: number; ldapsPort: number } | undefined;
    for (let attempt = 1; attempt <= START_ATTEMPTS && !started; attempt++) {
      const port = options.port || (await freePort());
      const ldapsPort = options.ldapsPort ?? (auto ? await freePort(port) : port + 1);
      try {
        started = { child: await launch(dir, confFile, port, ldapsPort, options.logLevel ?? '0'), port, ldapsPort };
      } catch (error) {
        if (!auto || attempt === START_ATTEMPTS || !(error instanceof PortInUse)) throw error;
      }
    }
    const { child, port, ldapsPort } = started!;
    const entry = { child, dir, ownsDir };
    live.add(entry);
    installExitHook();

    const url = `ldap://${HOST}:${port}`;
    const adminDn = `cn=admin,${suffix}`;
    const ldapTool = async (tool: string, args: string[], input: string, what: string) => {
      const r = await run(tool, ['-x', '-H', url, '-D', adminDn, '-w', ADMIN_PASSWORD, ...args], { input, env: TOOL_ENV });
      if (r.code !== 0) throw new SlapdError(`${tool} ${what} failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
    };

    let stopped = false;
    const peer: SlapdPeer = {
      vendor: 'openldap',
      url,
      ldapsUrl: `ldaps://${HOST}:${ldapsPort}`,
      host: HOST,
      port,
      ldapsPort,
      baseDn: suffix,
      bindDn: `cn=reader,${suffix}`,
      bindPassword: READER_PASSWORD,
      adminDn,
      adminPassword: ADMIN_PASSWORD,
      caFile: tls.caFile,
      dir,
      pid: child.pid!,
      logFile: join(dir, 'slapd.log'),
      add: (ldif) => ldapTool('ldapadd', [], ldif, 'of LDIF'),
      modify: (ldif) => ldapTool('ldapmodify', [], ldif, 'of LDIF'),
      delete: (dn) => ldapTool('ldapdelete', [dn], '', `of "${dn}"`),
      async stop() {
        if (stopped) return;
        stopped = true;
        await terminate(child);
        live.delete(entry);
        if (ownsDir) rmSync(dir, { recursive: true, force: true });
      },
    };

    try {
      // Online, as the rootdn: slapadd would bypass the memberof overlay and leave memberOf empty.
      await peer.add(baseLdif(suffix, READER_PASSWORD));
      for (const [i, text] of ldifTexts.entries()) {
        await ldapTool('ldapadd', [], rewriteSuffix(text, suffix), `of ${options.ldif![i]}`);
      }
    } catch (error) {
      await peer.stop();
      throw error;
    }
    return peer;
  } catch (error) {
    if (ownsDir) rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

class PortInUse extends SlapdError {}

async function launch(dir: string, confFile: string, port: number, ldapsPort: number, logLevel: string): Promise<ChildProcess> {
  const url = `ldap://${HOST}:${port}`;
  const logFile = join(dir, 'slapd.log');
  const log = openSync(logFile, 'w');
  let child: ChildProcess;
  try {
    // -d keeps slapd in the foreground, so this child is slapd itself (no daemonising fork to track);
    // detached puts it in its own process group, away from the terminal's signals.
    child = spawn(SLAPD_BIN, ['-d', logLevel, '-h', `${url}/ ldaps://${HOST}:${ldapsPort}/`, '-f', confFile], {
      detached: true,
      stdio: ['ignore', log, log],
    });
  } finally {
    closeSync(log);
  }
  child.unref();
  let exited = false;
  child.once('exit', () => (exited = true));
  const spawnError = new Promise<Error>((res) => child.once('error', res));

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const failed = await Promise.race([spawnError, sleep(100).then(() => undefined)]);
    if (failed) throw new SlapdError(`cannot run ${SLAPD_BIN}: ${failed.message}`, { cause: failed });
    if (exited) {
      const tail = (await readFile(logFile, 'utf8').catch(() => '')).trim().split('\n').slice(-15).join('\n');
      const Err = /Address already in use/i.test(tail) ? PortInUse : SlapdError;
      throw new Err(`slapd exited during startup (ports ${port}/${ldapsPort}); log tail:\n${tail}`);
    }
    const probe = await run('ldapsearch', ['-x', '-H', url, '-s', 'base', '-b', '', '-LLL', '1.1'], {
      env: TOOL_ENV,
      timeoutMs: 5_000,
    });
    if (probe.code === 0 && existsSync(join(dir, 'run', 'slapd.pid'))) return child;
  }
  await terminate(child);
  throw new SlapdError(`slapd did not answer on ${url} within ${READY_TIMEOUT_MS / 1000} s; see ${logFile}`);
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((res) => child.once('exit', () => res()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await gone;
  clearTimeout(timer);
}

function freePort(avoid?: number): Promise<number> {
  return new Promise((res, rej) => {
    const server = createServer();
    server.once('error', rej);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port === avoid ? freePort(avoid).then(res, rej) : res(port)));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((res) => setTimeout(res, ms));
}
