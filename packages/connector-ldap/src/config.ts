import { secret } from '@elder-sync/connector-sdk';
import { z } from 'zod';
import { LdapError, LdapErrorCode } from './errors.js';
import { normalizeDn, parseDn } from './dn.js';

/**
 * Default user filter for directories other than Active Directory. Active Directory gets
 * `(&(objectCategory=person)(objectClass=user))` instead (see vendors.ts): in AD every `computer` is
 * also a `user` (and a `person` subclass), so the generic filter would sync machine accounts as people,
 * and `(!(objectClass=computer))` cannot be added here because OpenLDAP evaluates an unknown object
 * class to Undefined, and NOT(Undefined) drops every entry.
 */
export const DEFAULT_USER_FILTER = '(|(objectClass=inetOrgPerson)(objectClass=person)(objectClass=user))';
export const DEFAULT_GROUP_FILTER =
  '(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup)(objectClass=group))';
export const DEFAULT_OU_FILTER = '(objectClass=organizationalUnit)';
export const DEFAULT_PAGE_SIZE = 500;
export const DEFAULT_TIMEOUT_MS = 30_000;

export const LDAP_KINDS = ['ou', 'group', 'user'] as const;
export type LdapKind = (typeof LDAP_KINDS)[number];

/** Offline sanity check of a filter (the real parse happens in ldapts at search time). */
function filterProblem(filter: string): string | undefined {
  const f = filter.trim();
  if (!f.startsWith('(') || !f.endsWith(')')) return 'must be an LDAP filter in parentheses, e.g. (objectClass=person)';
  let depth = 0;
  for (let i = 0; i < f.length; i++) {
    const c = f[i];
    if (c === '\\') i += 2;
    else if (c === '(') depth++;
    else if (c === ')' && --depth < 0) return `unbalanced ")" at position ${i}`;
    else if (depth === 0) return `text outside the outer parentheses at position ${i}; wrap several filters in (&...) or (|...)`;
  }
  return depth === 0 ? undefined : 'unbalanced "(": a closing parenthesis is missing';
}

const filterSchema = (what: string) =>
  z
    .string()
    .min(1)
    .superRefine((f, ctx) => {
      const problem = filterProblem(f);
      if (problem) ctx.addIssue({ code: 'custom', message: `${what}: ${problem}` });
    });

const dnSchema = z
  .string()
  .trim()
  .min(1, 'must be a DN, e.g. dc=example,dc=com')
  .superRefine((dn, ctx) => {
    try {
      parseDn(dn);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
    }
  });

export interface LdapUrl {
  scheme: 'ldap' | 'ldaps';
  host: string;
  port: number;
}

/** `ldap[s]://host[:port]` (IPv6 in brackets), default ports 389/636. Paths, queries and credentials are refused. */
export function parseLdapUrl(url: string): LdapUrl {
  const m = /^(ldaps?):\/\/(\[[0-9A-Fa-f:.]+\]|[^\s/:@?#[\]]+)(?::(\d{1,5}))?\/?$/i.exec(url.trim());
  if (!m) {
    throw new LdapError(
      LdapErrorCode.Config,
      `url "${url}" must look like ldap://host[:port] or ldaps://host[:port] (no path, query or credentials)`,
    );
  }
  const scheme = m[1]!.toLowerCase() as LdapUrl['scheme'];
  const port = m[3] === undefined ? (scheme === 'ldaps' ? 636 : 389) : Number(m[3]);
  if (port < 1 || port > 65535) throw new LdapError(LdapErrorCode.Config, `url "${url}": port ${port} is out of range`);
  return { scheme, host: m[2]!.replace(/^\[|\]$/g, ''), port };
}

/** The connector's config block; its type is `z.infer` of this, nowhere else. */
export const ldapConfigSchema = z
  .object({
    url: z
      .string()
      .describe('ldap://host[:port] or ldaps://host[:port]; StartTLS: ldap:// with startTls: true')
      .superRefine((url, ctx) => {
        try {
          parseLdapUrl(url);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: (error as Error).message });
        }
      }),
    bindDn: dnSchema.describe('DN of a read-only account, e.g. cn=reader,dc=example,dc=com'),
    bindPassword: secret(z.string().min(1, 'must not be empty (anonymous binds are not supported)')),
    baseDn: dnSchema.describe('Subtree to sync, e.g. dc=example,dc=com'),
    startTls: z.boolean().default(false).describe('Upgrade an ldap:// connection with StartTLS before binding'),
    caFile: z.string().min(1).optional().describe('PEM file of the CA that signed the server certificate'),
    tlsVerify: z.boolean().default(true).describe('Verify the server certificate and host name (keep true outside labs)'),
    userFilter: filterSchema('userFilter')
      .optional()
      .describe(`Default ${DEFAULT_USER_FILTER}; Active Directory: (&(objectCategory=person)(objectClass=user))`),
    groupFilter: filterSchema('groupFilter').default(DEFAULT_GROUP_FILTER),
    ouFilter: filterSchema('ouFilter').default(DEFAULT_OU_FILTER),
    pageSize: z.number().int().min(1).max(10_000).default(DEFAULT_PAGE_SIZE).describe('Entries per paged-results page'),
    timeoutMs: z.number().int().min(100).default(DEFAULT_TIMEOUT_MS).describe('Per-operation and connect timeout'),
    kinds: z
      .array(z.enum(LDAP_KINDS))
      .min(1)
      .default([...LDAP_KINDS])
      .describe('Which kinds to read: ou, group, user'),
    membership: z
      .enum(['auto', 'memberOf', 'member'])
      .default('auto')
      .describe(
        'How group membership is found: memberOf on the member (only where it lists direct memberships: AD, the OpenLDAP memberof overlay; ignored on 389-DS), member/uniqueMember on the group, or auto-detect',
      ),
  })
  .superRefine((c, ctx) => {
    let url: LdapUrl | undefined;
    try {
      url = parseLdapUrl(c.url);
    } catch {
      return; // already reported on `url`
    }
    if (c.startTls && url.scheme === 'ldaps') {
      ctx.addIssue({ code: 'custom', path: ['startTls'], message: 'StartTLS is for ldap:// URLs; ldaps:// is already encrypted, remove startTls' });
    }
    if (c.caFile !== undefined && url.scheme === 'ldap' && !c.startTls) {
      ctx.addIssue({ code: 'custom', path: ['caFile'], message: 'caFile is only used with ldaps:// or startTls: true' });
    }
  });

export type LdapConfig = z.infer<typeof ldapConfigSchema>;

/**
 * The fan-out unit id: what the directory is, its normalised base DN, never how it is reached. A
 * change between ldap://, ldaps:// and StartTLS, of port, or to another server (domain controller,
 * replica) of the same directory keeps every object's ownership.
 */
export function scopeIdOf(config: Pick<LdapConfig, 'baseDn'>): string {
  return normalizeDn(config.baseDn);
}

/** The id earlier versions used (host:port plus base DN): a scope's former id, migrated on the first run. */
export function legacyScopeIdOf(config: Pick<LdapConfig, 'url' | 'baseDn'>): string {
  const u = parseLdapUrl(config.url);
  const host = u.host.includes(':') ? `[${u.host}]` : u.host.toLowerCase();
  return `${host}:${u.port}/${normalizeDn(config.baseDn)}`;
}

/**
 * The directory's name for the `ldap_server` attribute: the DNS name of its naming context
 * (`dc=example,dc=com` → `example.com`), or the normalised naming context when it is not made of
 * `dc=` labels. Not the host connected to, which differs between servers of one directory.
 */
export function directoryNameOf(namingContext: string): string {
  const rdns = parseDn(namingContext);
  const labels = rdns.map((rdn) => (rdn.length === 1 && rdn[0]!.type.toLowerCase() === 'dc' ? rdn[0]!.value.toLowerCase() : null));
  return labels.length > 0 && labels.every((l) => l !== null) ? labels.join('.') : normalizeDn(namingContext);
}

export function scopeLabelOf(config: Pick<LdapConfig, 'url' | 'baseDn'>): string {
  const u = parseLdapUrl(config.url);
  const host = u.host.includes(':') ? `[${u.host}]` : u.host;
  return `${u.scheme}://${host}:${u.port} ${config.baseDn}`;
}
