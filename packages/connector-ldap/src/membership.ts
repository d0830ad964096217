import type { RecordRelation } from '@elder-sync/connector-sdk';
import { normalizeDn } from './dn.js';

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
  /** Member values that were not DNs (skipped): reported once per read. */
  unparsable = 0;

  get size(): number {
    return this.ids.length;
  }

  addGroup(dn: string, externalId: string): number {
    const key = this.normal(dn);
    const existing = key === undefined ? undefined : this.byDn.get(key);
    if (existing !== undefined) return existing;
    const index = this.ids.push(externalId) - 1;
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
      const id = this.groupIdOf(groupDn);
      if (id !== undefined) found.add(id);
    }
    const key = this.normal(member.dn);
    for (const index of (key === undefined ? undefined : this.byMemberDn.get(key)) ?? []) found.add(this.ids[index]!);
    if (member.uid !== null) for (const index of this.byUid.get(member.uid.toLowerCase()) ?? []) found.add(this.ids[index]!);
    found.delete(member.selfId);
    return [...found].sort().map((externalId) => ({ type: 'member_of', kind: 'group', externalId }));
  }

  private normal(dn: string): string | undefined {
    try {
      return normalizeDn(dn);
    } catch {
      this.unparsable++;
      return undefined;
    }
  }
}

function push(map: Map<string, number[]>, key: string, value: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else if (!list.includes(value)) list.push(value);
}
