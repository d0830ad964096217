import type { SourceRecord } from '@elder-sync/connector-sdk';
import { parseDn, rdnType } from './dn.js';
import type { DnCache } from './dn-cache.js';
import { first, values, type LdapEntry } from './entry.js';
import type { GroupIndex } from './membership.js';
import type { LdapVendor } from './vendors.js';

export interface MappingContext {
  /** DN parsing and placement below the base DN, shared by every entry of the read. */
  dns: DnCache;
  /** Host name of the directory (no scheme, port or credentials): the `ldap_server` attribute. */
  server: string;
  vendor: LdapVendor;
  groups: GroupIndex;
}

/** Attributes read for each kind (besides the vendor's id and cursor attributes). */
export const OU_ATTRIBUTES = ['ou', 'description'];
export const USER_ATTRIBUTES = ['cn', 'mail', 'givenName', 'sn', 'displayName', 'employeeNumber', 'title'];
export const GROUP_ATTRIBUTES = ['cn', 'description', 'member', 'uniqueMember', 'memberUid'];

/** An OU becomes an organization named after its own `ou=` RDN, hanging below its ancestor OUs. */
export function mapOu(entry: LdapEntry, ctx: MappingContext): SourceRecord | undefined {
  const externalId = ctx.vendor.externalIdOf(entry);
  if (externalId === undefined) return undefined;
  const rdns = parseDn(entry.dn);
  const own = rdns[0];
  const name = own !== undefined && own.length === 1 && rdnType(own) === 'ou' ? own[0]!.value : (first(entry, 'ou') ?? own?.[0]?.value ?? entry.dn);
  return {
    kind: 'ou',
    externalId,
    name,
    attributes: { ldap_dn: entry.dn, description: first(entry, 'description') },
    organizationPath: ctx.dns.pathOf(rdns),
  };
}

/**
 * A person. The attribute key set is fixed (absent values are `null`) so that a value removed in the
 * directory is cleared in Elder rather than left behind.
 */
export function mapUser(entry: LdapEntry, ctx: MappingContext): SourceRecord | undefined {
  const externalId = ctx.vendor.externalIdOf(entry);
  if (externalId === undefined) return undefined;
  const uid = first(entry, ctx.vendor.uidAttribute);
  const cn = first(entry, 'cn');
  const mail = first(entry, 'mail');
  const displayName = first(entry, 'displayName');
  return {
    kind: 'user',
    externalId,
    name: displayName ?? cn ?? uid ?? mail ?? entry.dn,
    attributes: {
      ldap_dn: entry.dn,
      uid,
      cn,
      email: mail,
      first_name: first(entry, 'givenName'),
      last_name: first(entry, 'sn'),
      display_name: displayName,
      employee_number: first(entry, 'employeeNumber'),
      title: first(entry, 'title'),
      is_active: ctx.vendor.isActive(entry),
      ldap_server: ctx.server,
      kind: 'person',
    },
    organizationPath: ctx.dns.organizationPath(entry.dn),
    relations: ctx.groups.relationsFor({ dn: entry.dn, memberOf: values(entry, 'memberOf'), uid, selfId: externalId }),
  };
}

/** Members counted from the group's own lists (AD ranged `member;range=…` values count what was returned). */
function memberCount(entry: LdapEntry): number {
  let n = 0;
  for (const [name, list] of Object.entries(entry.attrs)) {
    const base = name.split(';')[0];
    if (base === 'member' || base === 'uniquemember' || base === 'memberuid') n += list.length;
  }
  return n;
}

export function mapGroup(entry: LdapEntry, ctx: MappingContext): SourceRecord | undefined {
  const externalId = ctx.vendor.externalIdOf(entry);
  if (externalId === undefined) return undefined;
  const cn = first(entry, 'cn');
  return {
    kind: 'group',
    externalId,
    name: cn ?? parseDn(entry.dn)[0]?.[0]?.value ?? entry.dn,
    attributes: {
      ldap_dn: entry.dn,
      cn,
      group_name: cn,
      member_count: memberCount(entry),
      description: first(entry, 'description'),
      kind: 'group',
    },
    organizationPath: ctx.dns.organizationPath(entry.dn),
    // Nested groups: a group is a member of the groups listing it.
    relations: ctx.groups.relationsFor({ dn: entry.dn, memberOf: values(entry, 'memberOf'), uid: null, selfId: externalId }),
  };
}
