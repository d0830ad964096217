import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, rmSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ElderSyncError } from '@elder-sync/core';
import type { DirectoryPeer } from '../peer/directory.js';
import { freePort, sleep, terminateGroup, trackDir, trackServer } from '../peer/process.js';
import { run } from '../slapd/exec.js';
import { FIXTURE_SUFFIX, rewriteSuffix } from '../slapd/ldif.js';
import { makeTls } from '../slapd/tls.js';

/** A failure to install, create, start, load or stop the throwaway 389 Directory Server. */
export class Ds389Error extends ElderSyncError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('DS389_FAILED', message, options);
  }
}

/** The idempotent, root-only installer CI and the README call. */
export const INSTALL_389DS_SCRIPT: string = fileURLToPath(new URL('../../scripts/install-389ds.sh', import.meta.url));

export interface Start389DsOptions {
  /** LDIF files added as Directory Manager after the suffix and the reader. `dc=example,dc=test` in them becomes `suffix`. */
  ldif?: string[];
  /** Default `dc=example,dc=test`. Must start with `dc=` or `o=`. */
  suffix?: string;
  /** Enable the memberOf plugin (off in a default 389 instance; when on, it flattens nested groups). Default false. */
  memberOf?: boolean;
  /** Keep the entryUUID plugin on (the default of instances created by 389-DS 2.x). False mimics an instance older than the plugin: entries carry only nsUniqueId. */
  entryUuid?: boolean;
  /** Give the reader an ACI to read the suffix (a fresh 389 suffix has none, so a plain account sees nothing). Default true. */
  readAci?: boolean;
}

export interface Ds389Peer extends DirectoryPeer {
  readonly vendor: '389ds';
  /** The instance's config directory (dse.ldif, the NSS database). */
  configDir: string;
  /** The error log (server messages). */
  logFile: string;
}

const NS_SLAPD = process.env.NS_SLAPD_BIN ?? '/usr/sbin/ns-slapd';
const DSCREATE = process.env.DSCREATE_BIN ?? 'dscreate';
const DEFAULTS_INF = '/usr/share/dirsrv/inf/defaults.inf';
const SYSTEM_CONFIG = '/etc/dirsrv';
const HOST = '127.0.0.1';
const INSTANCE = 'testkit';
const ADMIN_DN = 'cn=Directory Manager';
const ADMIN_PASSWORD = 'Adm1n-Pass-7x';
const READER_PASSWORD = 'Rd-7f3k-pass';
const READY_TIMEOUT_MS = 30_000;
const START_ATTEMPTS = 3;
/** Paths lib389 (dscreate) derives from defaults.inf: moved under the temporary directory through $PREFIX. */
const MOVED_PATHS = [
  'tmp_dir', 'sysconf_dir', 'initconfig_dir', 'config_dir', 'local_state_dir', 'run_dir', 'ldapi', 'pid_file', 'inst_dir',
  'tmpfiles_d', 'schema_dir', 'cert_dir', 'lock_dir', 'log_dir', 'access_log', 'audit_log', 'error_log', 'security_log',
  'db_dir', 'db_home_dir', 'backup_dir', 'ldif_dir',
];
const TOOL_ENV: NodeJS.ProcessEnv = { ...process.env, LDAPNOINIT: '1' };

/** Is 389-DS (dscreate, ns-slapd, the NSS tools, ldap-utils) present? The error names the installer script. */
export async function assert389DsInstalled(): Promise<void> {
  const probe = await run('sh', ['-c', `test -x ${NS_SLAPD} && command -v ${DSCREATE} && test -f ${DEFAULTS_INF} && command -v certutil && command -v pk12util && command -v ldapadd && command -v openssl`]);
  if (probe.code !== 0) throw new Ds389Error(`389 Directory Server is not installed (389-ds-base, libnss3-tools, ldap-utils, openssl); run: sudo ${INSTALL_389DS_SCRIPT}`);
}

/**
 * Creates a throwaway 389-DS instance with `dscreate from-file` entirely inside a temporary directory
 * (lib389 honours $PREFIX: a rewritten defaults.inf moves every instance path there), runs `ns-slapd`
 * itself in the foreground (no systemd) on free loopback ports with a certificate of the testkit's
 * CA, and loads `ldif`. About 10 s; `stop()` ends the server and removes the directory.
 */
export async function start389Ds(options: Start389DsOptions = {}): Promise<Ds389Peer> {
  await assert389DsInstalled();
  for (let attempt = 1; ; attempt++) {
    try {
      return await create(options);
    } catch (error) {
      // A free port found by binding 0 can be taken before ns-slapd binds it; retry with fresh ports.
      if (attempt >= START_ATTEMPTS || !(error instanceof Ds389Error) || !/address is in use|Address already in use/i.test(error.message)) throw error;
    }
  }
}

async function create(options: Start389DsOptions): Promise<Ds389Peer> {
  const suffix = options.suffix ?? FIXTURE_SUFFIX;
  const dir = await mkdtemp(join(tmpdir(), 'elder-sync-389ds-'));
  const pending = trackDir(dir); // stop() removes it once started; until then, process exit does
  let stopServer: (() => Promise<void>) | undefined;
  try {
    const ldifTexts = await Promise.all((options.ldif ?? []).map((f) => readFile(f, 'utf8')));
    const env = { ...process.env, PREFIX: dir };
    await mkdir(join(dir, 'share', 'dirsrv', 'inf'), { recursive: true });
    await writeFile(join(dir, 'share', 'dirsrv', 'inf', 'defaults.inf'), movedDefaults(await readFile(DEFAULTS_INF, 'utf8'), dir));
    // dscreate copies the instance's schema and config templates from <sysconf_dir>/dirsrv.
    await mkdir(join(dir, 'etc', 'dirsrv'), { recursive: true });
    for (const sub of await readdir(SYSTEM_CONFIG)) await cp(join(SYSTEM_CONFIG, sub), join(dir, 'etc', 'dirsrv', sub), { recursive: true });

    const port = await freePort(HOST);
    const ldapsPort = await freePort(HOST, port);
    const inf = join(dir, 'instance.inf');
    await writeFile(inf, instanceInf({ suffix, port, ldapsPort }));
    const created = await run(DSCREATE, ['from-file', inf], { env, cwd: dir, timeoutMs: 180_000 });
    if (created.code !== 0) throw new Ds389Error(`dscreate from-file failed (exit ${created.code}): ${tail(created.stderr || created.stdout)}`);

    const configDir = join(dir, 'etc', 'dirsrv', `slapd-${INSTANCE}`);
    const tls = await makeTls(dir);
    await importCertificate(dir, configDir, tls);
    await writeFile(join(configDir, 'dse.ldif'), editDse(await readFile(join(configDir, 'dse.ldif'), 'utf8'), options));

    const logFile = join(dir, 'var', 'log', 'dirsrv', `slapd-${INSTANCE}`, 'errors');
    const child = await launch(dir, configDir, port, logFile);
    const untrack = trackServer({ child, dir, ownsDir: true });
    pending.release();
    stopServer = async () => {
      await terminateGroup(child);
      untrack();
    };

    const url = `ldap://${HOST}:${port}`;
    const ldapTool = async (tool: string, args: string[], input: string, what: string) => {
      const r = await run(tool, ['-x', '-H', url, '-D', ADMIN_DN, '-w', ADMIN_PASSWORD, ...args], { input, env: TOOL_ENV });
      if (r.code !== 0) throw new Ds389Error(`${tool} ${what} failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
    };
    let stopped = false;
    const bindDn = `cn=reader,${suffix}`;
    const peer: Ds389Peer = {
      vendor: '389ds',
      url,
      ldapsUrl: `ldaps://${HOST}:${ldapsPort}`,
      host: HOST,
      port,
      ldapsPort,
      baseDn: suffix,
      bindDn,
      bindPassword: READER_PASSWORD,
      adminDn: ADMIN_DN,
      adminPassword: ADMIN_PASSWORD,
      caFile: tls.caFile,
      dir,
      configDir,
      pid: child.pid!,
      logFile,
      add: (ldif) => ldapTool('ldapadd', [], ldif, 'of LDIF'),
      modify: (ldif) => ldapTool('ldapmodify', [], ldif, 'of LDIF'),
      delete: (dn) => ldapTool('ldapdelete', [dn], '', `of "${dn}"`),
      async stop() {
        if (stopped) return;
        stopped = true;
        await stopServer?.();
        rmSync(dir, { recursive: true, force: true });
      },
    };

    await peer.add(
      `dn: ${bindDn}\nobjectClass: top\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: reader\n` +
        `description: read-only bind account for connector tests\nuserPassword: ${READER_PASSWORD}\n`,
    );
    if (options.readAci ?? true) {
      // "*" does not cover operational attributes in 389: the ones the connector reads are named.
      const attrs = ['*', 'entryUUID', 'nsUniqueId', 'modifyTimestamp', 'createTimestamp', 'nsAccountLock', 'memberOf'].join(' || ');
      await peer.modify(
        `dn: ${suffix}\nchangetype: modify\nadd: aci\naci: (targetattr="${attrs}")(version 3.0; acl "elder-sync testkit reader"; ` +
          `allow (read, search, compare) userdn = "ldap:///${bindDn}";)\n`,
      );
    }
    for (const [i, text] of ldifTexts.entries()) {
      await ldapTool('ldapadd', [], rewriteSuffix(text, suffix), `of ${options.ldif![i]}`);
    }
    return peer;
  } catch (error) {
    pending.release();
    await stopServer?.();
    await killLeftover(dir);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** dscreate starts (daemonised) and stops ns-slapd itself; if it failed in between, that server may still run. */
async function killLeftover(dir: string): Promise<void> {
  const pid = Number((await readFile(join(dir, 'run', 'dirsrv', `slapd-${INSTANCE}.pid`), 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 1) return;
  // Only that server: a pid is reused, the command line naming this directory is not.
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (!cmdline.includes('ns-slapd') || !cmdline.includes(dir)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

function movedDefaults(defaults: string, dir: string): string {
  return defaults
    .split('\n')
    .map((line) => {
      const m = /^(\w+)\s*=\s*(\/.*)$/.exec(line);
      if (m && MOVED_PATHS.includes(m[1]!)) return `${m[1]} = ${join(dir, m[2]!)}`;
      if (/^with_systemd\s*=/.test(line)) return 'with_systemd = 0';
      return line;
    })
    .join('\n');
}

function instanceInf(o: { suffix: string; port: number; ldapsPort: number }): string {
  return `# generated by @elder-sync/testkit start389Ds()
[general]
full_machine_name = localhost
selinux = False
start = False
strict_host_checking = False
systemd = False

[slapd]
instance_name = ${INSTANCE}
user = root
group = root
port = ${o.port}
secure_port = ${o.ldapsPort}
self_sign_cert = False
root_dn = ${ADMIN_DN}
root_password = ${ADMIN_PASSWORD}

[backend-userroot]
suffix = ${o.suffix}
create_suffix_entry = True
sample_entries = no
`;
}

/** The testkit CA and a server certificate, into the instance's NSS database under the nickname cn=RSA expects. */
async function importCertificate(dir: string, configDir: string, tls: { caFile: string; certFile: string; keyFile: string }): Promise<void> {
  const p12 = join(dir, 'tls', 'server.p12');
  const db = `sql:${configDir}`;
  const pwd = join(configDir, 'pwdfile.txt');
  const steps: [string, string[]][] = [
    ['openssl', ['pkcs12', '-export', '-in', tls.certFile, '-inkey', tls.keyFile, '-name', 'Server-Cert', '-out', p12, '-passout', 'pass:']],
    ['pk12util', ['-i', p12, '-d', db, '-k', pwd, '-W', '']],
    ['certutil', ['-A', '-d', db, '-f', pwd, '-n', 'elder-sync testkit CA', '-t', 'CT,,', '-a', '-i', tls.caFile]],
  ];
  for (const [tool, args] of steps) {
    const r = await run(tool, args);
    if (r.code !== 0) throw new Ds389Error(`${tool} failed while installing the TLS certificate: ${tail(r.stderr || r.stdout)}`);
  }
}

/** Offline edits to dse.ldif: loopback only, TLS on, plugins as asked. */
function editDse(dse: string, options: Start389DsOptions): string {
  const records = dse.split(/\n\n+/);
  const edit = (dnPattern: RegExp, change: (record: string) => string) => {
    const i = records.findIndex((r) => dnPattern.test(r.split('\n')[0] ?? ''));
    if (i < 0) throw new Ds389Error(`dse.ldif has no entry matching ${dnPattern}`);
    records[i] = change(records[i]!);
  };
  const setAttr = (record: string, attr: string, value: string) => {
    const re = new RegExp(`^${attr}:.*$`, 'mi');
    return re.test(record) ? record.replace(re, `${attr}: ${value}`) : `${record}\n${attr}: ${value}`;
  };
  edit(/^dn: cn=config$/i, (r) => setAttr(setAttr(r, 'nsslapd-security', 'on'), 'nsslapd-listenhost', HOST));
  edit(/^dn: cn=MemberOf Plugin,cn=plugins,cn=config$/i, (r) => setAttr(r, 'nsslapd-pluginEnabled', options.memberOf ? 'on' : 'off'));
  edit(/^dn: cn=entryuuid,cn=plugins,cn=config$/i, (r) => setAttr(r, 'nsslapd-pluginEnabled', (options.entryUuid ?? true) ? 'on' : 'off'));
  return records.join('\n\n');
}

async function launch(dir: string, configDir: string, port: number, logFile: string): Promise<ChildProcess> {
  const out = join(dir, 'ns-slapd.out');
  const log = openSync(out, 'w');
  let child: ChildProcess;
  try {
    // -d 0 keeps ns-slapd in the foreground: this child is the server (no daemonising fork to track).
    child = spawn(NS_SLAPD, ['-D', configDir, '-i', join(dir, 'run', 'ns-slapd.pid'), '-d', '0'], { detached: true, stdio: ['ignore', log, log] });
  } finally {
    closeSync(log);
  }
  child.unref();
  let exited = false;
  child.once('exit', () => (exited = true));
  const spawnError = new Promise<Error>((res) => child.once('error', res));
  const url = `ldap://${HOST}:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const failed = await Promise.race([spawnError, sleep(200).then(() => undefined)]);
    if (failed) throw new Ds389Error(`cannot run ${NS_SLAPD}: ${failed.message}`, { cause: failed });
    if (exited) {
      const text = `${await readFile(out, 'utf8').catch(() => '')}\n${await readFile(logFile, 'utf8').catch(() => '')}`;
      throw new Ds389Error(`ns-slapd exited during startup (port ${port}); log tail:\n${tail(text)}`);
    }
    const probe = await run('ldapsearch', ['-x', '-H', url, '-s', 'base', '-b', '', '-LLL', 'namingContexts'], { env: TOOL_ENV, timeoutMs: 5_000 });
    if (probe.code === 0 && /namingContexts:/i.test(probe.stdout)) return child;
  }
  await terminateGroup(child);
  throw new Ds389Error(`ns-slapd did not answer on ${url} within ${READY_TIMEOUT_MS / 1000} s; see ${logFile}`);
}

function tail(text: string, lines = 15): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}
