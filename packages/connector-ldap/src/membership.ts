import type { RecordRelation } from '@elder-sync/connector-sdk';
import { normalizeDn } from './dn.js';
import type { DnCache } from './dn-cache.js';

/**
 * Which groups an entry belongs to, resolved to the groups' external ids.
 *
 * Built from one pass over the groups before any member is emitted. It always holds a normalised
 * DN → group map (one short string per group). It also holds reverse indexes from the groups' own
 * member lists for the memberships `memberOf` does not cover:
 *  - `memberUid` (posixGroup, members by login name; never reflected in memberOf),
 *  - `uniqueMember` (groupOfUniqueNames; OpenLDAP's memberof overlay handles one member attribute,
 *    `member`, and AD has no uniqueMember),
 *  - `member` itself only when the directory has no memberOf (`membership: member`, or `auto` on a
 *    server whose schema lacks memberOf). That fallback costs memory proportional to the number of
 *    memberships in the directory (a key per distinct member DN plus a small int per membership),
 *    not to the number of users; prefer memberOf where the server offers it.
 */
export class GroupIndex {
  private readonly ids: string[] = [];
  private readonly byDn = new Map<string, number>();
  private readonly byMemberDn = new Map<string, number[]>();
  private readonly byUid = new Map<string, number[]>();
  /**
   * memberOf value text → group index (-1: no such group indexed, -2: not a DN). Users repeat the same
   * few group DNs, spelled the same way, so each spelling is normalised once. Cleared at its limit.
   */
  private readonly memberOfSeen = new Map<string, number>();
  /** Member values that were not DNs (skipped): reported once per read. */
  unparsable = 0;

  /** `dns`, when given, shares the parse of parent DNs with the rest of the read. */
  constructor(private readonly dns?: DnCache) {}

  get size(): number {
    return this.ids.length;
  }

  addGroup(dn: string, externalId: string): number {
    const key = this.normal(dn);
    const existing = key === undefined ? undefined : this.byDn.get(key);
    if (existing !== undefined) return existing;
    const index = this.ids.push(externalId) - 1;
    this.memberOfSeen.clear(); // a spelling remembered as "not indexed" may name this group
    if (key !== undefined) this.byDn.set(key, index);
    return index;
  }

  addMemberDn(group: number, memberDn: string): void {
    // uniqueMember is "nameAndOptionalUID": a DN optionally followed by #'0101'B.
    const key = this.normal(memberDn.replace(/#'[01]*'B$/, ''));
    if (key !== undefined) push(this.byMemberDn, key, group);
  }

  addMemberUid(group: number, uid: string): void {
    push(this.byUid, uid.toLowerCase(), group);
  }

  /** Externalid of the group with this DN, if it was indexed. */
  groupIdOf(dn: string): string | undefined {
    const key = this.normal(dn);
    const index = key === undefined ? undefined : this.byDn.get(key);
    return index === undefined ? undefined : this.ids[index];
  }

  /**
   * `member_of` relations of one entry, sorted by external id and without duplicates or self-links.
   * `memberOf` values naming groups outside the index (another base DN, filtered out) are ignored.
   */
  relationsFor(member: { dn: string; memberOf: readonly string[]; uid: string | null; selfId: string }): RecordRelation[] {
    const found = new Set<string>();
    for (const groupDn of member.memberOf) {
      const index = this.groupIndexOfMemberOf(groupDn);
      if (index >= 0) found.add(this.ids[index]!);
    }
    // Looked up only when some group lists members by DN (the member DN need not be normalised otherwise).
    if (this.byMemberDn.size > 0) {
      const key = this.normal(member.dn);
      for (const index of (key === undefined ? undefined : this.byMemberDn.get(key)) ?? []) found.add(this.ids[index]!);
    }
    if (member.uid !== null && this.byUid.size > 0) for (const index of this.byUid.get(member.uid.toLowerCase()) ?? []) found.add(this.ids[index]!);
    found.delete(member.selfId);
    if (found.size === 0) return [];
    return [...found].sort().map((externalId) => ({ type: 'member_of', kind: 'group', externalId }));
  }

  /** Like `groupIdOf`, by index, remembering each memberOf spelling (-1: not indexed). */
  private groupIndexOfMemberOf(groupDn: string): number {
    let index = this.memberOfSeen.get(groupDn);
    if (index === undefined) {
      const key = this.normal(groupDn);
      index = key === undefined ? -2 : (this.byDn.get(key) ?? -1);
      if (this.memberOfSeen.size >= MEMBER_OF_LIMIT) this.memberOfSeen.clear();
      this.memberOfSeen.set(groupDn, index);
    } else if (index === -2) {
      this.unparsable++; // counted per value, as if it were parsed again
    }
    return index;
  }

  private normal(dn: string): string | undefined {
    try {
      return this.dns === undefined ? normalizeDn(dn) : this.dns.normalize(dn);
    } catch {
      this.unparsable++;
      return undefined;
    }
  }
}

/** Distinct memberOf spellings remembered; past it the map starts over (bounded memory, same answers). */
const MEMBER_OF_LIMIT = 10_000;

function push(map: Map<string, number[]>, key: string, value: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else if (!list.includes(value)) list.push(value);
}
