import type { DirectoryData, DirectoryGroup, DirectoryMember, DirectoryOrgUnit, DirectoryUser } from './types.js';

/**
 * The mutable directory behind the fake server, with the changes an administrator makes in the
 * admin console (move a user, rename an OU, suspend, delete, remove a member) applied the way Google
 * applies them: a renamed or moved OU changes the `orgUnitPath` of everything below it, a deleted user
 * leaves every group, ids never change.
 */
export class FakeDirectory {
  readonly data: DirectoryData;

  constructor(data: DirectoryData) {
    this.data = structuredClone(data);
  }

  orgUnit(id: string): DirectoryOrgUnit {
    const ou = this.data.orgUnits.find((o) => o.orgUnitId === id);
    if (!ou) throw new Error(`fake directory: no org unit ${id}`);
    return ou;
  }

  /** `/Sales/EMEA` for an OU, `/` for the root. */
  orgUnitPathOf(id: string | null): string {
    if (id === null || id === this.data.rootOrgUnitId) return '/';
    const names: string[] = [];
    const seen = new Set<string>();
    for (let current: DirectoryOrgUnit | undefined = this.orgUnit(id); current; ) {
      if (seen.has(current.orgUnitId)) throw new Error(`fake directory: org unit cycle at ${current.orgUnitId}`);
      seen.add(current.orgUnitId);
      names.unshift(current.name);
      current = current.parentOrgUnitId === null ? undefined : this.orgUnit(current.parentOrgUnitId);
    }
    return `/${names.join('/')}`;
  }

  orgUnitByPath(path: string): DirectoryOrgUnit | undefined {
    return this.data.orgUnits.find((o) => this.orgUnitPathOf(o.orgUnitId).toLowerCase() === path.toLowerCase());
  }

  user(id: string): DirectoryUser {
    const user = this.data.users.find((u) => u.id === id);
    if (!user) throw new Error(`fake directory: no user ${id}`);
    return user;
  }

  group(id: string): DirectoryGroup {
    const group = this.data.groups.find((g) => g.id === id);
    if (!group) throw new Error(`fake directory: no group ${id}`);
    return group;
  }

  membersOf(groupId: string): DirectoryMember[] {
    return this.data.members[groupId] ?? [];
  }

  /** Renames and/or re-parents an OU; users below it follow (their `orgUnitPath` changes). */
  updateOrgUnit(id: string, change: { name?: string; parentOrgUnitId?: string | null }): void {
    const ou = this.orgUnit(id);
    const before = this.orgUnitPathOf(id);
    if (change.name !== undefined) ou.name = change.name;
    if (change.parentOrgUnitId !== undefined) ou.parentOrgUnitId = change.parentOrgUnitId;
    const after = this.orgUnitPathOf(id);
    for (const user of this.data.users) {
      if (user.orgUnitPath === before) user.orgUnitPath = after;
      else if (user.orgUnitPath.startsWith(`${before}/`)) user.orgUnitPath = after + user.orgUnitPath.slice(before.length);
    }
  }

  moveUser(id: string, orgUnitPath: string): void {
    if (orgUnitPath !== '/' && !this.orgUnitByPath(orgUnitPath)) throw new Error(`fake directory: no org unit ${orgUnitPath}`);
    this.user(id).orgUnitPath = orgUnitPath;
  }

  updateUser(id: string, change: Partial<Omit<DirectoryUser, 'id'>>): void {
    Object.assign(this.user(id), change);
  }

  addUser(user: DirectoryUser): void {
    this.data.users.push(structuredClone(user));
  }

  /** Deleting a user removes it from every group, as Google does. */
  deleteUser(id: string): void {
    this.user(id);
    this.data.users = this.data.users.filter((u) => u.id !== id);
    for (const [groupId, list] of Object.entries(this.data.members)) this.data.members[groupId] = list.filter((m) => m.id !== id);
  }

  addGroup(group: DirectoryGroup, members: DirectoryMember[] = []): void {
    this.data.groups.push(structuredClone(group));
    this.data.members[group.id] = structuredClone(members);
  }

  deleteGroup(id: string): void {
    this.group(id);
    this.data.groups = this.data.groups.filter((g) => g.id !== id);
    delete this.data.members[id];
    for (const [groupId, list] of Object.entries(this.data.members)) this.data.members[groupId] = list.filter((m) => m.id !== id);
  }

  addMember(groupId: string, member: DirectoryMember): void {
    this.group(groupId);
    (this.data.members[groupId] ??= []).push(structuredClone(member));
  }

  removeMember(groupId: string, memberId: string): void {
    const list = this.membersOf(groupId);
    if (!list.some((m) => m.id === memberId)) throw new Error(`fake directory: ${memberId} is no member of ${groupId}`);
    this.data.members[groupId] = list.filter((m) => m.id !== memberId);
  }
}
