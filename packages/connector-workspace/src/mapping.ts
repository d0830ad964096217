import type { RecordRelation, SourceRecord } from '@elder-sync/connector-sdk';
import type { DirectoryGroup, DirectoryOrgUnit, DirectoryUser } from './directory-client.js';

/** `active`, `suspended` or `archived`: how Elder shows a user who can no longer sign in. */
export type UserStatus = 'active' | 'suspended' | 'archived';

export function userStatusOf(user: Pick<DirectoryUser, 'suspended' | 'archived'>): UserStatus {
  if (user.archived) return 'archived';
  if (user.suspended) return 'suspended';
  return 'active';
}

const memberOf = (groupIds: readonly string[]): RecordRelation[] =>
  [...new Set(groupIds)].sort().map((externalId) => ({ type: 'member_of', kind: 'group', externalId }));

const sortedOrNull = (list: readonly string[] | null | undefined): string[] | null =>
  list && list.length > 0 ? [...list].sort() : null;

/** An org unit becomes an organization named after it, below its parent OU's organization. */
export function mapOrgUnit(ou: DirectoryOrgUnit, names: readonly string[]): SourceRecord {
  return {
    kind: 'orgunit',
    externalId: ou.orgUnitId!,
    name: names[names.length - 1] ?? ou.name!,
    attributes: { org_unit_path: ou.orgUnitPath ?? null, description: ou.description || null },
    organizationPath: names.slice(0, -1),
  };
}

/**
 * A user, in the organization of its OU. The attribute key set is fixed (absent values are `null`)
 * so that a value removed in Workspace is cleared in Elder. Values that change on their own
 * (`lastLoginTime`, etags) are left out: a second run over an unchanged directory writes nothing.
 */
export function mapUser(user: DirectoryUser, organizationPath: string[], groupIds: readonly string[]): SourceRecord {
  // The client types `organizations` as `any`: it is a list of { title, department, primary, … }.
  const organizations = Array.isArray(user.organizations) ? (user.organizations as { title?: string; department?: string; primary?: boolean }[]) : [];
  const primary = organizations.find((o) => o.primary) ?? organizations[0];
  const status = userStatusOf(user);
  return {
    kind: 'user',
    externalId: user.id!,
    name: user.name?.fullName || user.primaryEmail || user.id!,
    // Names the Python worker wrote (email, user_id, first_name, …, creation_time) are kept, so adopted
    // entities are updated in place rather than left with a stale copy beside a renamed key.
    attributes: {
      email: user.primaryEmail ?? null,
      user_id: user.id!,
      first_name: user.name?.givenName ?? null,
      last_name: user.name?.familyName ?? null,
      display_name: user.name?.fullName ?? null,
      status,
      is_active: status === 'active',
      suspended: user.suspended ?? false,
      suspension_reason: user.suspended ? (user.suspensionReason ?? null) : null,
      archived: user.archived ?? false,
      is_admin: user.isAdmin ?? false,
      is_delegated_admin: user.isDelegatedAdmin ?? false,
      is_enrolled_in_2sv: user.isEnrolledIn2Sv ?? false,
      is_enforced_in_2sv: user.isEnforcedIn2Sv ?? false,
      org_unit_path: user.orgUnitPath ?? '/',
      aliases: sortedOrNull(user.aliases),
      title: primary?.title ?? null,
      department: primary?.department ?? null,
      customer_id: user.customerId ?? null,
      creation_time: user.creationTime ?? null,
      kind: 'person',
    },
    organizationPath,
    relations: memberOf(groupIds),
  };
}

/** What one group's member listing held, counted by what each member turned out to be. */
export interface GroupMemberCounts {
  /** Every direct member. */
  members: number;
  /** Users of this source (linked as `member_of`). */
  users: number;
  /** Groups of this source (nested; linked as `member_of`). */
  groups: number;
  /** Addresses outside this source: other customers' users, consumer accounts, groups elsewhere. */
  external: number;
  /** A `CUSTOMER` member: every user of the domain belongs. */
  wholeCustomer: boolean;
}

/** A group, at the source root (Workspace groups belong to no OU), linked to the groups it is a member of. */
export function mapGroup(group: DirectoryGroup, counts: GroupMemberCounts, parentGroupIds: readonly string[]): SourceRecord {
  return {
    kind: 'group',
    externalId: group.id!,
    name: group.name || group.email || group.id!,
    attributes: {
      email: group.email ?? null,
      group_id: group.id!,
      group_name: group.name ?? null,
      description: group.description || null,
      aliases: sortedOrNull(group.aliases),
      admin_created: group.adminCreated ?? null,
      direct_members_count: counts.members,
      user_member_count: counts.users,
      group_member_count: counts.groups,
      external_member_count: counts.external,
      all_users_member: counts.wholeCustomer,
      kind: 'group',
    },
    organizationPath: [],
    relations: memberOf(parentGroupIds),
  };
}
