/**
 * A tenant's directory as Microsoft Graph's delta queries see it: every change gets the next version
 * number of the tenant, deletions leave tombstones, and a delta token is the version it was issued at.
 * Reading "what changed since token v" is then a filter, which is what Graph's delta promises
 * (https://learn.microsoft.com/graph/delta-query-overview): changed objects, deleted ones as
 * `@removed`, and for groups the membership changes as `members@delta`.
 */

export type GraphObject = Record<string, unknown> & { id: string };

interface Versioned {
  object: GraphObject;
  version: number;
}

export class Clock {
  private v = 0;
  next(): number {
    return ++this.v;
  }
  get current(): number {
    return this.v;
  }
}

/** One delta-capable collection (users, groups, devices): objects, tombstones and their versions. */
export class DeltaCollection {
  private readonly live = new Map<string, Versioned>();
  private readonly tombstones = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  upsert(object: GraphObject): void {
    const previous = this.live.get(object.id)?.object ?? {};
    this.live.set(object.id, { object: { ...previous, ...object }, version: this.clock.next() });
    this.tombstones.delete(object.id);
  }

  remove(id: string): void {
    if (!this.live.delete(id)) return;
    this.tombstones.set(id, this.clock.next());
  }

  get(id: string): GraphObject | undefined {
    return this.live.get(id)?.object;
  }

  /** Bumps an object's version without changing it (a membership change of a group). */
  touch(id: string): void {
    const entry = this.live.get(id);
    if (entry) entry.version = this.clock.next();
  }

  all(): GraphObject[] {
    return [...this.live.values()].map((e) => e.object).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  get size(): number {
    return this.live.size;
  }

  /** Objects changed after `since` (all live ones when `since` is 0), then deletions after it, by id. */
  changedSince(since: number): { changed: GraphObject[]; removed: string[] } {
    const changed = [...this.live.values()].filter((e) => e.version > since).map((e) => e.object);
    changed.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const removed = since === 0 ? [] : [...this.tombstones].filter(([, v]) => v > since).map(([id]) => id).sort();
    return { changed, removed };
  }
}

export interface MembershipChange {
  groupId: string;
  memberId: string;
  memberType: 'user' | 'group' | 'device';
  removed: boolean;
  version: number;
}

/** Group memberships with their change history, for `members@delta`. */
export class Memberships {
  private readonly members = new Map<string, Map<string, 'user' | 'group' | 'device'>>();
  private readonly history: MembershipChange[] = [];

  constructor(private readonly clock: Clock) {}

  add(groupId: string, memberId: string, memberType: 'user' | 'group' | 'device'): void {
    let set = this.members.get(groupId);
    if (!set) this.members.set(groupId, (set = new Map()));
    if (set.has(memberId)) return;
    set.set(memberId, memberType);
    this.history.push({ groupId, memberId, memberType, removed: false, version: this.clock.next() });
  }

  remove(groupId: string, memberId: string): void {
    const set = this.members.get(groupId);
    const type = set?.get(memberId);
    if (!set || type === undefined) return;
    set.delete(memberId);
    this.history.push({ groupId, memberId, memberType: type, removed: true, version: this.clock.next() });
  }

  /** Removes a deleted object from every group it was in. */
  forget(memberId: string): string[] {
    const groups: string[] = [];
    for (const [groupId, set] of this.members) {
      if (set.has(memberId)) {
        this.remove(groupId, memberId);
        groups.push(groupId);
      }
    }
    this.members.delete(memberId);
    return groups;
  }

  of(groupId: string): { id: string; type: 'user' | 'group' | 'device' }[] {
    return [...(this.members.get(groupId) ?? [])].map(([id, type]) => ({ id, type })).sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  /** Groups an object is a direct member of, by id. */
  groupsOf(memberId: string): string[] {
    return [...this.members].filter(([, set]) => set.has(memberId)).map(([g]) => g).sort();
  }

  /** Net membership changes of a group after `since` (the last change of each member wins). */
  changesSince(groupId: string, since: number): MembershipChange[] {
    const last = new Map<string, MembershipChange>();
    for (const c of this.history) if (c.groupId === groupId && c.version > since) last.set(c.memberId, c);
    return [...last.values()].sort((a, b) => (a.memberId < b.memberId ? -1 : 1));
  }

  groupsChangedSince(since: number): Set<string> {
    return new Set(this.history.filter((c) => c.version > since).map((c) => c.groupId));
  }
}
