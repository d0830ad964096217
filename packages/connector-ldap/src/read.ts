import type { ReadContext, ReadItem, SourceRecord } from '@elder-sync/connector-sdk';
import { LdapSession } from './client.js';
import { LdapError, LdapErrorCode } from './errors.js';
import { directoryNameOf, type LdapConfig, type LdapKind } from './config.js';
import { CursorTracker, parseCursor, type LdapCursor } from './cursor.js';
import { normalizeDn, parseDn } from './dn.js';
import { DnCache } from './dn-cache.js';
import { first, values, type LdapEntry } from './entry.js';
import { mapGroup, mapOu, mapUser, GROUP_ATTRIBUTES, OU_ATTRIBUTES, USER_ATTRIBUTES, type MappingContext } from './mapping.js';
import { GroupIndex } from './membership.js';
import type { LdapVendor } from './vendors.js';

/**
 * One read of a directory:
 *  1. OUs, parents before children (sorted by depth, then normalised DN). OUs are few, so they are
 *     the one kind held in memory whole.
 *  2. A pass over all groups that keeps only the group index (DN → external id, plus reverse member
 *     indexes where memberOf does not help; see membership.ts). Needed in incremental reads too,
 *     because a changed user may belong to unchanged groups.
 *  3. Groups, then users, streamed page by page in the server's order and never held whole. The order
 *     is deterministic because servers return an unchanged database in a stable order (slapd: entry
 *     id; AD: its index order); relations within a record are sorted.
 *  4. One checkpoint at the very end. A paged search is not in change order, so no position inside it
 *     is a safe place to resume from; a mid-read checkpoint could skip entries.
 *
 * Incremental mode ANDs each kind's filter with the vendor's "changed since" filter. Known blind spots
 * (caught by the full read elder-sync does every run by default, DESIGN §5.8): deletions, and
 * membership changes, because the memberof overlay's side effects do not bump modifyTimestamp or
 * entryCSN on the member.
 */
export async function* readDirectory(ctx: ReadContext<LdapConfig>): AsyncGenerator<ReadItem> {
  const { config, log, signal } = ctx;
  const session = await LdapSession.open(config);
  try {
    const vendor = session.vendor;
    // Some servers (389-DS) answer a search below a base DN the account cannot see with no entries
    // and no error: without this check that would be an empty read, not a configuration problem.
    if ((await session.readBase(config.baseDn, ['1.1'])) === undefined) {
      throw new LdapError(
        LdapErrorCode.NoSuchObject,
        `LDAP search at "${config.baseDn}" failed: no such object (check baseDn; the bind account ${config.bindDn} may also lack read access to it)`,
      );
    }
    const kinds = new Set<LdapKind>(config.kinds);
    const baseRdns = parseDn(config.baseDn);
    const baseNormalized = normalizeDn(config.baseDn);

    const incoming = ctx.mode === 'incremental' ? parseCursor(ctx.checkpoint, vendor.cursor.attribute) : undefined;
    if (ctx.mode === 'incremental' && incoming === undefined) {
      log.info('no usable LDAP cursor for an incremental read; reading everything', { cursorAttribute: vendor.cursor.attribute });
    }
    const since = incoming === undefined ? undefined : vendor.cursor.changedSince(incoming.value);
    const filterFor = (filter: string) => (since === undefined ? filter : `(&${filter}${since})`);

    // Taken before the first search, so changes made while pages stream are re-read next time.
    const namingContext = session.namingContextOf(baseNormalized, normalizeDn);
    const startValue = await vendor.cursor.startValue({
      rootDse: session.rootDse,
      namingContext,
      readBase: (dn, attrs) => session.readBase(dn, attrs),
    });
    const tracker = new CursorTracker(vendor.cursor.attribute);
    const memberOf = await useMemberOf(session, config, log);
    log.debug('LDAP directory', { vendor: vendor.name, memberOf, incremental: since !== undefined, namingContext });

    const dns = new DnCache(baseRdns);
    const groups = new GroupIndex(dns);
    const mctx: MappingContext = { dns, server: directoryNameOf(namingContext ?? config.baseDn), vendor, groups };
    const common = [...vendor.idAttributes, vendor.cursor.attribute];
    const search = (filter: string, attributes: string[]) =>
      session.search(config.baseDn, {
        filter,
        attributes: [...new Set(attributes)],
        pageSize: config.pageSize,
        binaryAttributes: vendor.binaryAttributes,
        signal,
      });
    const missingId = new Map<LdapKind, number>();
    const emit = (kind: LdapKind, entry: LdapEntry, record: SourceRecord | undefined): ReadItem | undefined => {
      tracker.see(first(entry, vendor.cursor.attribute));
      if (record === undefined) {
        missingId.set(kind, (missingId.get(kind) ?? 0) + 1);
        log.warn(`LDAP entry without ${vendor.idAttributes.join(' or ')} skipped`, { dn: entry.dn, kind });
        return undefined;
      }
      return { type: 'record', record };
    };

    if (kinds.has('ou')) {
      const ous: LdapEntry[] = [];
      for await (const page of search(filterFor(config.ouFilter), [...common, ...OU_ATTRIBUTES])) ous.push(...page);
      const keyed = ous.map((e) => ({ e, rdns: parseDn(e.dn), n: normalizeDn(e.dn) }));
      keyed.sort((a, b) => a.rdns.length - b.rdns.length || (a.n < b.n ? -1 : a.n > b.n ? 1 : 0));
      for (const { e } of keyed) {
        const item = emit('ou', e, mapOu(e, mctx));
        if (item) yield item;
      }
    }

    if (kinds.has('group') || kinds.has('user')) {
      const indexAttributes = [...vendor.idAttributes, 'uniqueMember', 'memberUid', ...(memberOf ? [] : ['member'])];
      for await (const page of search(config.groupFilter, indexAttributes)) {
        for (const g of page) {
          const id = vendor.externalIdOf(g);
          if (id === undefined) continue;
          const index = groups.addGroup(g.dn, id);
          for (const m of values(g, 'uniqueMember')) groups.addMemberDn(index, m);
          if (!memberOf) for (const m of values(g, 'member')) groups.addMemberDn(index, m);
          for (const uid of values(g, 'memberUid')) groups.addMemberUid(index, uid);
        }
      }
      log.debug('LDAP group index built', { groups: groups.size });
    }

    const withMemberOf = memberOf ? ['memberOf'] : [];
    if (kinds.has('group')) {
      for await (const page of search(filterFor(config.groupFilter), [...common, ...GROUP_ATTRIBUTES, ...withMemberOf])) {
        for (const e of page) {
          const item = emit('group', e, mapGroup(e, mctx));
          if (item) yield item;
        }
      }
    }

    if (kinds.has('user')) {
      const userFilter = config.userFilter ?? vendor.defaultUserFilter;
      const attrs = [...common, ...USER_ATTRIBUTES, vendor.uidAttribute, ...vendor.extraUserAttributes, ...withMemberOf];
      for await (const page of search(filterFor(userFilter), attrs)) {
        for (const e of page) {
          const item = emit('user', e, mapUser(e, mctx));
          if (item) yield item;
        }
      }
    }

    if (groups.unparsable > 0) log.warn('LDAP member values that are not DNs were ignored', { count: groups.unparsable });
    for (const [kind, count] of [...missingId].sort()) {
      // Without an immutable id these entries cannot be keyed; keep the kind's existing objects.
      const reason = `${count} entr${count === 1 ? 'y has' : 'ies have'} no ${vendor.idAttributes.join(' or ')} that bindDn can read; their DNs are in the log`;
      yield { type: 'incomplete', kind, reason };
    }
    yield { type: 'checkpoint', cursor: nextCursor(vendor, startValue, tracker, incoming) };
  } finally {
    await session.close();
  }
}

/** The start cursor when the server gave one, else the highest value seen, else the previous cursor. */
function nextCursor(vendor: LdapVendor, start: string | undefined, tracker: CursorTracker, previous: LdapCursor | undefined): LdapCursor | null {
  const value = start ?? tracker.highest ?? previous?.value;
  return value === undefined ? null : { v: 1, attribute: vendor.cursor.attribute, value };
}

/**
 * Whether to take memberships from memberOf on the members rather than from the groups' member lists.
 * Decided by what the server does, not what its schema allows: AD maintains memberOf, direct only.
 * OpenLDAP's memberof overlay is direct too, but may not run for this database: one member of one
 * group is read to see whether its memberOf names the group. Where memberOf may be transitive
 * (389-DS's plugin lists the groups of nested groups) or its meaning is unknown, it is never used:
 * a transitive value would become a direct relation. `membership: memberOf` there is refused the
 * same way, with a warning.
 */
async function useMemberOf(session: LdapSession, config: LdapConfig, log: ReadContext<LdapConfig>['log']): Promise<boolean> {
  const semantics = session.vendor.memberOf;
  if (config.membership === 'member') return false;
  if (semantics === 'transitive' || semantics === 'unknown') {
    if (config.membership === 'memberOf') {
      log.warn('membership: memberOf ignored: on this server memberOf may list nested groups\' memberships as direct ones; reading the groups\' member lists', { vendor: session.vendor.name });
    }
    return false;
  }
  if (config.membership === 'memberOf' || semantics === 'always-direct') return true;
  return memberEntriesCarryMemberOf(session, config);
}

async function memberEntriesCarryMemberOf(session: LdapSession, config: LdapConfig): Promise<boolean> {
  const pages = session.search(config.baseDn, { filter: `(&${config.groupFilter}(member=*))`, attributes: ['member'], pageSize: 1 });
  let group: LdapEntry | undefined;
  for await (const page of pages) {
    group = page.find((g) => values(g, 'member').length > 0);
    if (group) break;
  }
  if (group === undefined) return false; // no group has members: the member lists cost nothing
  const groupDn = normalizeDn(group.dn);
  const member = await session.readBase(values(group, 'member')[0]!, ['memberOf']);
  return member !== undefined && values(member, 'memberOf').some((dn) => {
    try {
      return normalizeDn(dn) === groupDn;
    } catch {
      return false;
    }
  });
}
