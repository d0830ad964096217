import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, rmSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ElderSyncError } from '@elder-sync/core';
import type { DirectoryPeer } from '../peer/directory.js';
import { portsFree, sleep, terminateGroup, trackDir, trackServer } from '../peer/process.js';
import { run } from '../slapd/exec.js';
import { FIXTURE_SUFFIX, rewriteSuffix } from '../slapd/ldif.js';
import { makeTls } from '../slapd/tls.js';

/** A failure to install, provision, start, load or stop the throwaway Samba AD domain controller. */
export class SambaAdError extends ElderSyncError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('SAMBA_AD_FAILED', message, options);
  }
}

/** The sample directory for AD (same shape as `SAMPLE_LDIF`: 8 OUs, 10 people, 4 groups) in AD's object classes. */
export const SAMPLE_AD_LDIF: string = fileURLToPath(new URL('../../fixtures/sample-ad.ldif', import.meta.url));
/** The idempotent, root-only installer CI and the README call. */
export const INSTALL_SAMBA_AD_SCRIPT: string = fileURLToPath(new URL('../../scripts/install-samba-ad.sh', import.meta.url));

export interface StartSambaAdOptions {
  /** LDIF files added as the domain Administrator after provisioning. `dc=example,dc=test` in them becomes `suffix`. */
  ldif?: string[];
  /** The domain's naming context. Default `dc=example,dc=test` (realm EXAMPLE.TEST, NetBIOS domain EXAMPLE). Only `dc=` components. */
  suffix?: string;
  /**
   * Samba's default (`ldap server require strong auth = yes`) refuses simple binds over plain LDAP
   * ("Transport encryption required"), as a hardened AD does. Default false: plain simple binds are
   * allowed, as on a default Windows AD.
   */
  requireStrongAuth?: boolean;
}

export interface SambaAdPeer extends DirectoryPeer {
  readonly vendor: 'samba-ad';
  /** The domain's DNS name, e.g. `example.test`. */
  realm: string;
  logFile: string;
  /** Restarts the DC with `ldap server require strong auth` on or off (about 2 s; the data stays). */
  setRequireStrongAuth(required: boolean): Promise<void>;
}

const SAMBA_BIN = process.env.SAMBA_BIN ?? '/usr/sbin/samba';
const SAMBA_TOOL = process.env.SAMBA_TOOL_BIN ?? 'samba-tool';
const ADMIN_PASSWORD = 'Adm1n-Pass-7x';
// Meets AD's complexity rule; not a word found in DNs (the secret registry redacts every occurrence).
const READER_PASSWORD = 'Rd-7f3k-pass';
const READY_TIMEOUT_MS = 30_000;
/** Samba's LDAP ports are fixed (389, 636, global catalog 3268/3269): each DC gets its own loopback address instead. */
const AD_PORTS = [389, 636, 3268, 3269];
const ADDRESS_ATTEMPTS = 20;

/** Is Samba's AD DC (and ldap-utils, openssl) present? The error names the installer script. */
export async function assertSambaAdInstalled(): Promise<void> {
  const probe = await run('sh', ['-c', `test -x ${SAMBA_BIN} && command -v ${SAMBA_TOOL} && test -d /usr/share/samba/setup && command -v ldapadd && command -v openssl`]);
  if (probe.code !== 0) {
    throw new SambaAdError(`Samba AD DC is not installed (samba, samba-tool, samba-ad-provision, ldap-utils, openssl); run: sudo ${INSTALL_SAMBA_AD_SCRIPT}`);
  }
  if (process.getuid?.() !== 0) throw new SambaAdError('startSambaAd() must run as root: samba refuses to run a domain controller otherwise');
}

/**
 * Provisions a throwaway Active Directory domain with `samba-tool domain provision` inside a
 * temporary directory and runs `samba -i` (one process group, LDAP service only) on a free loopback
 * address (127.x.y.z: Samba cannot move its LDAP ports), then loads `ldif` as the Administrator.
 * About 5 s; `stop()` kills the DC and removes the directory.
 */
export async function startSambaAd(options: StartSambaAdOptions = {}): Promise<SambaAdPeer> {
  await assertSambaAdInstalled();
  const suffix = options.suffix ?? FIXTURE_SUFFIX;
  const labels = suffix.split(',').map((rdn) => /^\s*dc\s*=\s*([A-Za-z0-9-]+)\s*$/i.exec(rdn)?.[1]);
  if (labels.some((l) => l === undefined)) throw new SambaAdError(`startSambaAd: suffix must be dc= components only, got "${suffix}"`);
  const realm = labels.join('.').toLowerCase();
  const netbios = labels[0]!.toUpperCase().slice(0, 15);
  const dir = await mkdtemp(join(tmpdir(), 'elder-sync-samba-'));
  const pending = trackDir(dir); // stop() removes it once started; until then, process exit does
  let stopServer: (() => Promise<void>) | undefined;
  try {
    const ldifTexts = await Promise.all((options.ldif ?? []).map((f) => readFile(f, 'utf8')));
    const host = await freeLoopbackAddress();
    const tls = await makeTls(dir, 'openssl', [host]);
    await chmod(tls.keyFile, 0o600); // samba refuses a key others can read

    const provision = await run(
      SAMBA_TOOL,
      [
        'domain', 'provision',
        `--realm=${realm.toUpperCase()}`, `--domain=${netbios}`, '--server-role=dc', '--dns-backend=NONE',
        `--adminpass=${ADMIN_PASSWORD}`, `--targetdir=${dir}`, '--host-name=dc1', `--host-ip=${host}`,
        `--option=interfaces=${host}/8`, '--option=bind interfaces only=yes',
      ],
      { timeoutMs: 120_000 },
    );
    if (provision.code !== 0) throw new SambaAdError(`samba-tool domain provision failed (exit ${provision.code}): ${tail(provision.stderr || provision.stdout)}`);

    const confFile = join(dir, 'etc', 'smb.conf');
    await mkdir(join(dir, 'run'), { recursive: true });
    const writeConf = (requireStrongAuth: boolean) => writeFile(confFile, smbConf({ dir, host, realm, netbios, tls, requireStrongAuth }));
    await writeConf(options.requireStrongAuth ?? false);
    const logFile = join(dir, 'samba.log');
    let child = await launch(confFile, host, logFile);
    let untrack = trackServer({ child, dir, ownsDir: true });
    pending.release();
    stopServer = async () => {
      await terminateGroup(child);
      untrack();
    };

    const adminDn = `CN=Administrator,CN=Users,${suffix}`;
    // Over LDAPS, so that the admin's writes work whatever requireStrongAuth says.
    const ldapsUrl = `ldaps://${host}:636`;
    const toolEnv = { ...process.env, LDAPCONF: '/dev/null', LDAPRC: 'elder-sync-none', LDAPTLS_CACERT: tls.caFile, LDAPTLS_REQCERT: 'demand' };
    const ldapTool = async (tool: string, args: string[], input: string, what: string) => {
      const r = await run(tool, ['-x', '-H', ldapsUrl, '-D', adminDn, '-w', ADMIN_PASSWORD, ...args], { input, env: toolEnv });
      if (r.code !== 0) throw new SambaAdError(`${tool} ${what} failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
    };

    let stopped = false;
    const peer: SambaAdPeer = {
      vendor: 'samba-ad',
      url: `ldap://${host}:389`,
      ldapsUrl,
      host,
      port: 389,
      ldapsPort: 636,
      baseDn: suffix,
      realm,
      bindDn: `CN=reader,CN=Users,${suffix}`,
      bindPassword: READER_PASSWORD,
      adminDn,
      adminPassword: ADMIN_PASSWORD,
      caFile: tls.caFile,
      dir,
      pid: child.pid!,
      logFile,
      add: (ldif) => ldapTool('ldapadd', [], ldif, 'of LDIF'),
      modify: (ldif) => ldapTool('ldapmodify', [], ldif, 'of LDIF'),
      delete: (dn) => ldapTool('ldapdelete', [dn], '', `of "${dn}"`),
      async setRequireStrongAuth(required) {
        await stopServer!();
        await writeConf(required);
        child = await launch(confFile, host, logFile);
        untrack = trackServer({ child, dir, ownsDir: true });
        peer.pid = child.pid!;
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        await stopServer?.();
        rmSync(dir, { recursive: true, force: true });
      },
    };
    // The reader: AD sets a password only over an encrypted connection, as a quoted UTF-16LE unicodePwd.
    const bindDn = peer.bindDn;
    const unicodePwd = Buffer.from(`"${READER_PASSWORD}"`, 'utf16le').toString('base64');
    await peer.add(
      `dn: ${bindDn}\nobjectClass: user\nsAMAccountName: reader\ndescription: read-only bind account for connector tests\n` +
        `unicodePwd:: ${unicodePwd}\nuserAccountControl: 66048\n`, // NORMAL_ACCOUNT | DONT_EXPIRE_PASSWORD
    );
    for (const [i, text] of ldifTexts.entries()) {
      await ldapTool('ldapadd', [], rewriteSuffix(text, suffix), `of ${options.ldif![i]}`);
    }
    return peer;
  } catch (error) {
    pending.release();
    await stopServer?.();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** smb.conf for a DC that runs only the LDAP service and keeps every file inside `dir`. */
function smbConf(o: { dir: string; host: string; realm: string; netbios: string; tls: { caFile: string; certFile: string; keyFile: string }; requireStrongAuth: boolean }): string {
  const d = o.dir;
  return `# generated by @elder-sync/testkit startSambaAd()
[global]
	netbios name = DC1
	realm = ${o.realm.toUpperCase()}
	workgroup = ${o.netbios}
	server role = active directory domain controller
	server services = ldap
	interfaces = ${o.host}/8
	bind interfaces only = yes
	private dir = ${d}/private
	lock directory = ${d}
	state directory = ${d}/state
	cache directory = ${d}/cache
	binddns dir = ${d}/bind-dns
	pid directory = ${d}/run
	ncalrpc dir = ${d}/run/ncalrpc
	winbindd socket directory = ${d}/run/winbindd
	ntp signd socket directory = ${d}/run/ntp_signd
	log file = ${d}/samba.log
	logging = file
	tls enabled = yes
	tls certfile = ${o.tls.certFile}
	tls keyfile = ${o.tls.keyFile}
	tls cafile = ${o.tls.caFile}
	ldap server require strong auth = ${o.requireStrongAuth ? 'yes' : 'no'}
`;
}

/** A 127.x.y.z address on which Samba's fixed ports are free (Linux routes all of 127/8 to lo). */
async function freeLoopbackAddress(): Promise<string> {
  for (let attempt = 0; attempt < ADDRESS_ATTEMPTS; attempt++) {
    const host = `127.${100 + Math.floor(Math.random() * 150)}.${Math.floor(Math.random() * 256)}.${1 + Math.floor(Math.random() * 250)}`;
    if (await portsFree(host, AD_PORTS)) return host;
  }
  throw new SambaAdError(`no loopback address with ports ${AD_PORTS.join(', ')} free after ${ADDRESS_ATTEMPTS} tries`);
}

async function launch(confFile: string, host: string, logFile: string): Promise<ChildProcess> {
  const log = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    // -i: foreground, logs to stdout; -M single: one process (no prefork workers); detached: its own
    // process group, so stop() reaches anything it forks.
    child = spawn(SAMBA_BIN, ['-i', '-M', 'single', '-s', confFile], { detached: true, stdio: ['ignore', log, log] });
  } finally {
    closeSync(log);
  }
  child.unref();
  let exited = false;
  child.once('exit', () => (exited = true));
  const spawnError = new Promise<Error>((res) => child.once('error', res));
  const url = `ldap://${host}:389`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const failed = await Promise.race([spawnError, sleep(200).then(() => undefined)]);
    if (failed) throw new SambaAdError(`cannot run ${SAMBA_BIN}: ${failed.message}`, { cause: failed });
    if (exited) throw new SambaAdError(`samba exited during startup on ${host}; log tail:\n${tail(await readFile(logFile, 'utf8').catch(() => ''))}`);
    const probe = await run('ldapsearch', ['-x', '-H', url, '-s', 'base', '-b', '', '-LLL', 'defaultNamingContext'], {
      env: { ...process.env, LDAPNOINIT: '1' },
      timeoutMs: 5_000,
    });
    if (probe.code === 0 && /defaultNamingContext:/i.test(probe.stdout)) return child;
  }
  await terminateGroup(child);
  throw new SambaAdError(`samba did not answer on ${url} within ${READY_TIMEOUT_MS / 1000} s; see ${logFile}`);
}

function tail(text: string, lines = 15): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}
