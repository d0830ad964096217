import { DEFAULT_USER_FILTER } from './config.js';
import { first, values, type LdapEntry } from './entry.js';

/**
 * Everything that differs between directory servers lives here, in one strategy object per vendor
 * (the Backstage LDAP provider's `vendors.ts` pattern), not in `if`s through the reader.
 */
export interface LdapVendor {
  readonly name: 'openldap' | 'active-directory' | '389-ds' | 'generic';
  /** Attribute holding the entry's immutable id. */
  readonly idAttribute: string;
  /** Every attribute `externalIdOf` may use: the id attribute, then fallbacks (389: nsUniqueId). */
  readonly idAttributes: readonly string[];
  /** Attributes that must be fetched as bytes (turned into hex by the client). */
  readonly binaryAttributes: readonly string[];
  /** The id as an external id string, or undefined if the entry has none. */
  externalIdOf(entry: LdapEntry): string | undefined;
  readonly defaultUserFilter: string;
  /** Login name attribute; emitted as `uid`. */
  readonly uidAttribute: string;
  /** Extra user attributes the vendor needs (`userAccountControl`). */
  readonly extraUserAttributes: readonly string[];
  /** `false` only for accounts the directory marks disabled. */
  isActive(entry: LdapEntry): boolean;
  /**
   * What memberOf on an entry means on this server, when it is there:
   * `always-direct`: maintained on every member, direct memberships only (AD).
   * `direct`: direct memberships only, if maintained at all (OpenLDAP's memberof overlay): a member
   * entry is probed to see whether the server fills it.
   * `transitive` or `unknown`: may include the groups of nested groups (389-DS's memberOf plugin), so
   * it is never used; the groups' member lists are.
   */
  readonly memberOf: 'always-direct' | 'direct' | 'transitive' | 'unknown';
  readonly cursor: CursorStrategy;
}

/** How an incremental read finds entries changed since the last one. */
export interface CursorStrategy {
  /** Attribute compared; requested on every entry so the highest value can be tracked. */
  readonly attribute: string;
  /** Filter component matching entries changed after the raw cursor `value` (escaped here). */
  changedSince(value: string): string;
  /**
   * A cursor taken before the read starts, if the server offers one. Using it (rather than the highest
   * value seen) is what makes a paged read safe: entries change while pages stream, and an entry
   * modified behind the read position would otherwise be skipped forever.
   */
  startValue(ctx: { rootDse: LdapEntry; readBase(dn: string, attributes: string[]): Promise<LdapEntry | undefined>; namingContext: string | undefined }): Promise<string | undefined>;
}

/** RFC 4515 value escaping for values put into filters. */
export function escapeFilterValue(value: string): string {
  return value.replace(/[\\*()\0]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * OpenLDAP: entryCSN has microsecond resolution and an ordering rule, so "changed after" is exact
 * (`>=` and not `=`), unlike modifyTimestamp's 1 s, which would re-read every entry written in the
 * boundary second (all of a bulk load). The suffix's contextCSN (kept by syncprov) is the safe start
 * cursor; with several providers (one contextCSN per serverID) the lowest is used, so nothing a lagging
 * provider replicates later is skipped.
 */
const entryCsnCursor: CursorStrategy = {
  attribute: 'entryCSN',
  changedSince: (v) => `(&(entryCSN>=${escapeFilterValue(v)})(!(entryCSN=${escapeFilterValue(v)})))`,
  async startValue({ readBase, namingContext }) {
    if (namingContext === undefined) return undefined;
    const suffix = await readBase(namingContext, ['contextCSN']);
    const csns = suffix ? values(suffix, 'contextCSN').slice().sort() : [];
    return csns[0];
  },
};

/**
 * modifyTimestamp: 1 s resolution, so `>=` re-reads the boundary second (harmless: unchanged records
 * cost no writes). AD's root DSE `currentTime` is the safe start cursor; elsewhere the highest value
 * seen is used, which can miss an entry modified behind the read position during a long read (the
 * next full read catches it).
 */
const modifyTimestampCursor = (currentTimeAt: 'root-dse' | 'cn=monitor' | null): CursorStrategy => ({
  attribute: 'modifyTimestamp',
  changedSince: (v) => `(modifyTimestamp>=${escapeFilterValue(v)})`,
  async startValue({ rootDse, readBase }) {
    if (currentTimeAt === 'root-dse') return first(rootDse, 'currentTime') ?? undefined;
    // 389-DS keeps the server's clock in cn=monitor (readable by authenticated users by default).
    if (currentTimeAt === 'cn=monitor') {
      const monitor = await readBase('cn=monitor', ['currentTime']).catch(() => undefined); // hidden: fall back to the highest value seen
      return monitor === undefined ? undefined : (first(monitor, 'currentTime') ?? undefined);
    }
    return undefined;
  },
});

const textId = (attribute: string) => (entry: LdapEntry) => first(entry, attribute)?.toLowerCase() ?? undefined;

export const openLdap: LdapVendor = {
  name: 'openldap',
  idAttribute: 'entryUUID',
  idAttributes: ['entryUUID'],
  binaryAttributes: [],
  externalIdOf: textId('entryUUID'),
  defaultUserFilter: DEFAULT_USER_FILTER,
  uidAttribute: 'uid',
  extraUserAttributes: [],
  isActive: () => true,
  memberOf: 'direct',
  cursor: entryCsnCursor,
};

/** ApacheDS, ...: RFC 4530 entryUUID and the standard modifyTimestamp; memberOf of unknown meaning. */
export const genericLdap: LdapVendor = {
  ...openLdap,
  name: 'generic',
  memberOf: 'unknown',
  cursor: modifyTimestampCursor(null),
};

/**
 * 389 Directory Server. entryUUID comes from a plugin (on by default since 2.0), so instances created
 * before it have entries without one; nsUniqueId is on every entry, and is the fallback. (The two
 * formats differ: a UUID is 8-4-4-4-12 hex digits, a nsUniqueId 8-8-8-8, so they cannot collide.)
 * Locked accounts carry the operational nsAccountLock (`dsidm account lock`). The memberOf plugin is
 * off by default and, when on, lists nested groups' memberships too.
 */
export const ds389: LdapVendor = {
  ...genericLdap,
  name: '389-ds',
  idAttributes: ['entryUUID', 'nsUniqueId'],
  externalIdOf: (entry) => textId('entryUUID')(entry) ?? textId('nsUniqueId')(entry),
  extraUserAttributes: ['nsAccountLock'],
  isActive: (entry) => first(entry, 'nsAccountLock')?.toLowerCase() !== 'true',
  memberOf: 'transitive',
  cursor: modifyTimestampCursor('cn=monitor'),
};

/** userAccountControl ACCOUNTDISABLE (0x2). https://learn.microsoft.com/troubleshoot/windows-server/active-directory/useraccountcontrol-manipulate-account-properties */
const UAC_ACCOUNTDISABLE = 0x2;

export const activeDirectory: LdapVendor = {
  name: 'active-directory',
  idAttribute: 'objectGUID',
  idAttributes: ['objectGUID'],
  binaryAttributes: ['objectGUID'],
  externalIdOf: (entry) => {
    const hex = first(entry, 'objectGUID');
    return hex === null ? undefined : guidFromHex(hex);
  },
  // objectCategory=person excludes computers (which are objectClass=user too); objectClass=user excludes contacts.
  defaultUserFilter: '(&(objectCategory=person)(objectClass=user))',
  uidAttribute: 'sAMAccountName',
  extraUserAttributes: ['userAccountControl'],
  isActive: (entry) => {
    const uac = Number(first(entry, 'userAccountControl') ?? '0');
    return !(Number.isFinite(uac) && (uac & UAC_ACCOUNTDISABLE) !== 0);
  },
  memberOf: 'always-direct',
  cursor: modifyTimestampCursor('root-dse'),
};

/**
 * objectGUID bytes → the canonical string AD tools show: the first three groups are little-endian
 * (`{3,2,1,0}-{5,4}-{7,6}-{8,9}-{10..15}`).
 */
export function guidFromHex(hex: string): string | undefined {
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) return undefined;
  const b = (k: number) => hex.slice(k * 2, k * 2 + 2).toLowerCase();
  const g = (idx: number[]) => idx.map(b).join('');
  return `${g([3, 2, 1, 0])}-${g([5, 4])}-${g([7, 6])}-${g([8, 9])}-${g([10, 11, 12, 13, 14, 15])}`;
}

/** AD's LDAP_CAP_ACTIVE_DIRECTORY_OID in supportedCapabilities. */
const AD_CAPABILITY = '1.2.840.113556.1.4.800';

/** Picks the vendor from the root DSE. */
export function detectVendor(rootDse: LdapEntry): LdapVendor {
  if (
    values(rootDse, 'supportedCapabilities').includes(AD_CAPABILITY) ||
    first(rootDse, 'forestFunctionality') !== null ||
    first(rootDse, 'domainFunctionality') !== null
  ) {
    return activeDirectory;
  }
  if (values(rootDse, 'objectClass').some((oc) => oc.toLowerCase() === 'openldaprootdse')) return openLdap;
  // 389-DS (and its Red Hat / Fedora builds) name themselves "389 Project"; nsBackendSuffix is theirs alone.
  if (/\b389\b/.test(first(rootDse, 'vendorName') ?? '') || first(rootDse, 'nsBackendSuffix') !== null) return ds389;
  return genericLdap;
}

/** Root DSE attributes the connector reads (operational ones must be named explicitly). */
export const ROOT_DSE_ATTRIBUTES = [
  'objectClass',
  'namingContexts',
  'defaultNamingContext',
  'supportedControl',
  'supportedExtension',
  'supportedCapabilities',
  'forestFunctionality',
  'domainFunctionality',
  'subschemaSubentry',
  'currentTime',
  'vendorName',
  'vendorVersion',
  'nsBackendSuffix',
];

/** The paged-results control (RFC 2696). */
export const PAGED_RESULTS_OID = '1.2.840.113556.1.4.319';
