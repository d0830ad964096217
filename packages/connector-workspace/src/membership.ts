import type { DirectoryMember } from './directory-client.js';
import type { GroupMemberCounts } from './mapping.js';

const USER = 0;
const GROUP = 1;

interface MemberEntry {
  type: typeof USER | typeof GROUP;
  /** Indexes of the groups it is a direct member of. */
  groups: number[];
  /** Seen in the user listing of this source. */
  isUser: boolean;
}

/**
 * Who is a direct member of which group, built from one `members.list` per group before any user is
 * emitted, because Elder's `member_of` link is a relation of the *member* record. It costs memory in
 * proportion to memberships (an entry per distinct member, a small int per membership), never whole
 * records. After the user listing has marked which members are users of this source, `finish()`
 * counts each group's members by what they turned out to be.
 */
export class MembershipIndex {
  private readonly ids: string[] = [];
  private readonly indexOf = new Map<string, number>();
  private readonly members = new Map<string, MemberEntry>();
  private readonly direct: number[] = [];
  private readonly anonymous: number[] = [];
  private readonly wholeCustomer = new Set<number>();
  private counts: GroupMemberCounts[] | undefined;
  /** Memberships indexed (one per group and member). */
  memberships = 0;

  get groupCount(): number {
    return this.ids.length;
  }

  addGroup(groupId: string): number {
    const existing = this.indexOf.get(groupId);
    if (existing !== undefined) return existing;
    const index = this.ids.push(groupId) - 1;
    this.indexOf.set(groupId, index);
    this.direct.push(0);
    this.anonymous.push(0);
    return index;
  }

  addMember(group: number, member: DirectoryMember): void {
    this.direct[group]!++;
    this.memberships++;
    const type = member.type?.toUpperCase();
    if (type === 'CUSTOMER') {
      this.wholeCustomer.add(group);
      return;
    }
    if (!member.id) {
      this.anonymous[group]!++;
      return;
    }
    let entry = this.members.get(member.id);
    if (entry === undefined) {
      entry = { type: type === 'GROUP' ? GROUP : USER, groups: [], isUser: false };
      this.members.set(member.id, entry);
    }
    if (!entry.groups.includes(group)) entry.groups.push(group);
  }

  /** Records that `userId` is a user of this source; returns the ids of its groups. */
  markUser(userId: string): string[] {
    const entry = this.members.get(userId);
    if (entry === undefined) return [];
    entry.isUser = true;
    return entry.groups.map((g) => this.ids[g]!);
  }

  /** Ids of the groups `memberId` is a direct member of. */
  groupsOf(memberId: string): string[] {
    return (this.members.get(memberId)?.groups ?? []).map((g) => this.ids[g]!);
  }

  /** Counts every group's members by kind; call once the user listing is done. */
  finish(): GroupMemberCounts[] {
    const counts: GroupMemberCounts[] = this.ids.map((_, g) => ({
      members: this.direct[g]!,
      users: 0,
      groups: 0,
      external: this.anonymous[g]!,
      wholeCustomer: this.wholeCustomer.has(g),
    }));
    for (const [id, entry] of this.members) {
      const internal = entry.type === GROUP ? this.indexOf.has(id) : entry.isUser;
      for (const g of entry.groups) {
        if (!internal) counts[g]!.external++;
        else if (entry.type === GROUP) counts[g]!.groups++;
        else counts[g]!.users++;
      }
    }
    this.counts = counts;
    return counts;
  }

  /** A group's counts (zero for a group created after the index was built); counted on first use. */
  countsOf(groupId: string): GroupMemberCounts {
    const counts = this.counts ?? this.finish();
    const index = this.indexOf.get(groupId);
    return index === undefined ? { members: 0, users: 0, groups: 0, external: 0, wholeCustomer: false } : counts[index]!;
  }
}
