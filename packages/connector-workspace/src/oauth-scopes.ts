import type { WorkspaceKind } from './config.js';

const AUTH = 'https://www.googleapis.com/auth/';

/** The read-only scopes domain-wide delegation must grant, by what they read. */
export const DIRECTORY_SCOPES = {
  orgunit: `${AUTH}admin.directory.orgunit.readonly`,
  user: `${AUTH}admin.directory.user.readonly`,
  group: `${AUTH}admin.directory.group.readonly`,
  member: `${AUTH}admin.directory.group.member.readonly`,
} as const;

/** Where an administrator grants (or extends) domain-wide delegation. */
export const DELEGATION_CONSOLE_PATH =
  'Google Admin console (admin.google.com) → Security → Access and data control → API controls → Manage domain-wide delegation';

/**
 * The scopes a read of these kinds needs. Groups need the user scope too: a member is external
 * exactly when it is no user of this source, which only the user listing tells.
 */
export function scopesFor(kinds: readonly WorkspaceKind[]): string[] {
  const out = new Set<string>();
  if (kinds.includes('orgunit')) out.add(DIRECTORY_SCOPES.orgunit);
  if (kinds.includes('user') || kinds.includes('group')) out.add(DIRECTORY_SCOPES.user);
  if (kinds.includes('group')) {
    out.add(DIRECTORY_SCOPES.group);
    out.add(DIRECTORY_SCOPES.member);
  }
  return [...out];
}
