import { readFile } from 'node:fs/promises';
import { connect as netConnect, isIP, Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { ConnectionOptions } from 'node:tls';
import type { Client, Entry } from 'ldapts';
import { parseLdapUrl, type LdapConfig, type LdapUrl } from './config.js';
import { lowerName, type LdapEntry } from './entry.js';
import { LdapError, LdapErrorCode } from './errors.js';
import { MessageSizeGuard, PageLoopGuard } from './wire-guard.js';
import { detectVendor, ROOT_DSE_ATTRIBUTES, type LdapVendor } from './vendors.js';

/** What the client needs from the config; the password is used for the bind and never appears in a message. */
export type ClientConfig = Pick<LdapConfig, 'url' | 'bindDn' | 'bindPassword' | 'startTls' | 'caFile' | 'tlsVerify' | 'timeoutMs'>;

export interface SearchOptions {
  filter: string;
  attributes: string[];
  scope?: 'base' | 'one' | 'sub';
  pageSize: number;
  /** Attributes to fetch as bytes (hex in the result). */
  binaryAttributes?: readonly string[];
  signal?: AbortSignal;
}

/** Node's certificate-verification error codes, plus OpenSSL's: a TLS problem, not an unreachable server. */
const TLS_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REVOKED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EPIPE']);

/**
 * Turns whatever ldapts or Node threw into an LdapError whose message says what failed, where, and
 * which config key fixes it. `operation` is the context prefix (`LDAP search at "ou=…"`).
 */
export function toLdapError(error: unknown, operation: string, config: ClientConfig): LdapError {
  if (error instanceof LdapError) return error;
  const e = error as { code?: unknown; message?: unknown; name?: unknown };
  const code = e?.code;
  const raw = typeof e?.message === 'string' ? e.message : String(error);
  const url = config.url;
  let out: LdapError;
  if (code === 49) {
    out = new LdapError(LdapErrorCode.InvalidCredentials, `${operation} failed: invalid credentials for ${config.bindDn} (check bindDn and bindPassword)`, { cause: error });
  } else if (code === 32) {
    out = new LdapError(LdapErrorCode.NoSuchObject, `${operation} failed: no such object (check baseDn; the bind account may also lack read access to it)`, { cause: error });
  } else if (code === 50) {
    out = new LdapError(LdapErrorCode.InsufficientAccess, `${operation} failed: insufficient access rights for ${config.bindDn}`, { cause: error });
  } else if (code === 12) {
    out = new LdapError(LdapErrorCode.PagingUnsupported, `${operation} failed: the server refused the paged-results control (1.2.840.113556.1.4.319), which this connector always uses`, { cause: error });
  } else if (code === 51 || code === 52) {
    out = new LdapError(LdapErrorCode.ServerBusy, `${operation} failed: server busy or unavailable (${raw})`, { cause: error });
  } else if (code === 8 || /Transport encryption required|confidentiality required/i.test(raw)) {
    out = new LdapError(
      LdapErrorCode.EncryptionRequired,
      `${operation} failed: the server requires an encrypted connection for a simple bind (${raw.trim()}); use an ldaps:// url (port 636) or startTls: true, with caFile naming the CA of the server certificate`,
      { cause: error },
    );
  } else if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const host = parseLdapUrl(url).host;
    out = new LdapError(
      LdapErrorCode.Tls,
      `${operation} failed: the server certificate is not issued for the host name "${host}" in url ${url} (${raw}); use a url with a host name the certificate names (tlsVerify: false skips the check)`,
      { cause: error },
    );
  } else if (typeof code === 'string' && (TLS_CODES.has(code) || code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL'))) {
    const hint = config.caFile
      ? `the server certificate does not verify against caFile ${config.caFile}`
      : 'set caFile to the PEM of the CA that signed the server certificate';
    out = new LdapError(LdapErrorCode.Tls, `${operation} failed: TLS handshake with ${url} failed (${code}: ${raw}); ${hint} (tlsVerify: false skips verification)`, { cause: error });
  } else if (typeof code === 'string' && NETWORK_CODES.has(code)) {
    out = new LdapError(LdapErrorCode.Unreachable, `${operation} failed: cannot reach the LDAP server at ${url} (${code})`, { cause: error });
  } else if (/Connection timeout/i.test(raw)) {
    out = new LdapError(LdapErrorCode.Unreachable, `${operation} failed: cannot reach the LDAP server at ${url} (no connection within timeoutMs ${config.timeoutMs})`, { cause: error });
  } else if (/timed out/i.test(raw) || code === 3) {
    out = new LdapError(LdapErrorCode.Timeout, `${operation} failed: no answer from ${url} within timeoutMs ${config.timeoutMs}`, { cause: error });
  } else {
    const ldapCode = typeof code === 'number' ? ` (LDAP result ${code})` : '';
    out = new LdapError(LdapErrorCode.Failed, `${operation} failed${ldapCode}: ${raw}`, { cause: error });
  }
  return scrub(out, config.bindPassword);
}

/** Belt and braces: no message this connector raises may carry the bind password. */
function scrub(error: LdapError, password: string): LdapError {
  if (password.length > 0 && error.message.includes(password)) {
    error.message = error.message.split(password).join('[REDACTED]');
  }
  return error;
}

/** TLS options for ldaps:// and StartTLS; reads caFile. */
export async function tlsOptionsFor(config: ClientConfig, url: LdapUrl): Promise<ConnectionOptions> {
  const options: ConnectionOptions = { rejectUnauthorized: config.tlsVerify, minVersion: 'TLSv1.2' };
  // SNI must be a host name: Node refuses an IP there (the certificate is still checked against the IP).
  if (isIP(url.host) === 0) options.servername = url.host;
  if (config.caFile !== undefined) {
    try {
      options.ca = [await readFile(config.caFile)];
    } catch (error) {
      throw new LdapError(LdapErrorCode.Config, `cannot read caFile ${config.caFile}: ${(error as Error).message}`, { cause: error });
    }
  }
  return options;
}

/** Converts an ldapts entry: lower-case names, arrays everywhere, bytes as hex. */
export function toEntry(raw: Entry): LdapEntry {
  const attrs: Record<string, string[]> = {};
  // Runs once per entry read (100 000 times for as many users): no per-attribute arrays or closures
  // beyond the one list each attribute needs. ldapts gives one value as itself, several as an array
  // it no longer uses (taken over when it holds only strings).
  for (const name in raw) {
    if (name === 'dn') continue;
    const value = raw[name] as unknown;
    let list: string[];
    if (typeof value === 'string') list = [value];
    else if (Array.isArray(value)) {
      if (value.length === 0) continue; // ldapts echoes requested pseudo-attributes ('*', '+') as empty lists
      list = value.every((v) => typeof v === 'string') ? (value as string[]) : value.map(text);
    } else list = [text(value)];
    attrs[lowerName(name)] = list;
  }
  return { dn: raw.dn, attrs };
}

function text(value: unknown): string {
  return Buffer.isBuffer(value) ? value.toString('hex') : String(value);
}

/**
 * One bound connection to the directory. Created by `LdapSession.open`; every call maps failures to
 * LdapError with the operation's context.
 */
export class LdapSession {
  private constructor(
    private readonly client: Client,
    readonly config: ClientConfig,
    readonly url: LdapUrl,
    readonly rootDse: LdapEntry,
    readonly vendor: LdapVendor,
  ) {}

  /** Connects (TLS / StartTLS as configured), binds, reads the root DSE and picks the vendor strategy. */
  static async open(config: ClientConfig): Promise<LdapSession> {
    const client = await createClient(config);
    const url = parseLdapUrl(config.url);
    try {
      if (config.startTls) await startTls(client, config, url);
      await bind(client, config);
      const rootDse = await readRootDse(client, config);
      return new LdapSession(client, config, url, rootDse, detectVendor(rootDse));
    } catch (error) {
      await client.unbind().catch(() => undefined);
      throw error;
    }
  }

  /** A base-scope read of one entry; undefined if it does not exist. */
  async readBase(dn: string, attributes: string[], binaryAttributes: readonly string[] = []): Promise<LdapEntry | undefined> {
    try {
      const { searchEntries } = await this.client.search(dn, {
        scope: 'base',
        filter: '(objectClass=*)',
        attributes,
        explicitBufferAttributes: [...binaryAttributes],
      });
      return searchEntries[0] === undefined ? undefined : toEntry(searchEntries[0]);
    } catch (error) {
      if ((error as { code?: unknown }).code === 32) return undefined;
      throw toLdapError(guarded(this.client, error), `LDAP read of "${dn}"`, this.config);
    }
  }

  /**
   * A paged subtree search, one page at a time. Always paged (RFC 2696): servers cap non-paged results
   * (AD MaxPageSize 1000, slapd sizelimit), and a capped result would look like deletions.
   */
  async *search(base: string, options: SearchOptions): AsyncGenerator<LdapEntry[]> {
    const pages = this.client.searchPaginated(base, {
      scope: options.scope ?? 'sub',
      filter: options.filter,
      attributes: options.attributes,
      explicitBufferAttributes: [...(options.binaryAttributes ?? [])],
      paged: { pageSize: options.pageSize },
    });
    const operation = `LDAP search at "${base}" with ${options.filter}`;
    const loop = new PageLoopGuard(operation);
    for (;;) {
      options.signal?.throwIfAborted();
      let next: IteratorResult<{ searchEntries: Entry[] }>;
      try {
        next = await pages.next();
      } catch (error) {
        throw toLdapError(guarded(this.client, error), operation, this.config);
      }
      if (next.done) return;
      try {
        loop.check(next.value.searchEntries.map((e) => e.dn));
      } catch (error) {
        // Stop following the server's cookie (and the socket with it: the search is abandoned).
        await pages.return(undefined).catch(() => undefined);
        throw error;
      }
      yield next.value.searchEntries.map(toEntry);
    }
  }

  /** The naming context (suffix) that holds `dn`, from the root DSE. */
  namingContextOf(dnNormalized: string, normalize: (dn: string) => string): string | undefined {
    const candidates = this.rootDse.attrs['namingcontexts'] ?? [];
    let best: string | undefined;
    for (const nc of candidates) {
      const n = normalize(nc);
      if ((dnNormalized === n || dnNormalized.endsWith(`,${n}`)) && (best === undefined || n.length > normalize(best).length)) best = nc;
    }
    return best;
  }

  async close(): Promise<void> {
    await this.client.unbind().catch(() => undefined);
  }
}

/** The ldapts client, imported lazily so that loading the connector for `--help` costs nothing. */
export async function createClient(config: ClientConfig): Promise<Client> {
  const { Client } = await import('ldapts');
  const url = parseLdapUrl(config.url);
  const address = `${url.scheme}://${url.host.includes(':') ? `[${url.host}]` : url.host}:${url.port}`;
  // Every socket the client reads from (plain, ldaps, and the one StartTLS upgrades to) is watched.
  const guard = new MessageSizeGuard(config.url);
  const client = new Client({
    url: address,
    timeout: config.timeoutMs,
    connectTimeout: config.timeoutMs,
    ...(url.scheme === 'ldaps' ? { tlsOptions: await tlsOptionsFor(config, url) } : {}),
    createConnection: ((...args: Parameters<typeof netConnect>) => guard.watch(netConnect(...args))) as typeof netConnect,
    createSecureConnection: ((...args: Parameters<typeof tlsConnect>) => {
      const existing = (args[0] as { socket?: unknown } | undefined)?.socket;
      if (existing instanceof Socket) guard.release(existing);
      return guard.watch(tlsConnect(...args));
    }) as typeof tlsConnect,
  });
  GUARDS.set(client, guard);
  return client;
}

const GUARDS = new WeakMap<Client, MessageSizeGuard>();

/** The wire guard's own error when it cut the connection (ldapts reports only "Socket error"). */
function guarded(client: Client, error: unknown): unknown {
  return GUARDS.get(client)?.tripped ?? error;
}

export async function startTls(client: Client, config: ClientConfig, url: LdapUrl): Promise<void> {
  const options = await tlsOptionsFor(config, url);
  try {
    // On an upgraded socket Node checks the certificate against `host` (not the socket's peer).
    await client.startTLS({ ...options, host: url.host });
  } catch (error) {
    throw toLdapError(error, `StartTLS with ${config.url}`, config);
  }
}

export async function bind(client: Client, config: ClientConfig): Promise<void> {
  try {
    await client.bind(config.bindDn, config.bindPassword);
  } catch (error) {
    throw toLdapError(error, `LDAP bind as "${config.bindDn}"`, config);
  }
}

export async function readRootDse(client: Client, config: ClientConfig): Promise<LdapEntry> {
  try {
    const { searchEntries } = await client.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ROOT_DSE_ATTRIBUTES });
    return searchEntries[0] === undefined ? { dn: '', attrs: {} } : toEntry(searchEntries[0]);
  } catch (error) {
    throw toLdapError(error, `LDAP root DSE read at ${config.url}`, config);
  }
}
