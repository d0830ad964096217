import { NotFoundError, PermissionDeniedError, type ReadContext, type ReadItem } from '@elder-sync/connector-sdk';
import type { WorkspaceConfig, WorkspaceKind } from './config.js';
import { directoryLimiterStats, openDirectory, type Directory, type DirectoryGroup } from './directory-client.js';
import { mapGroup, mapOrgUnit, mapUser } from './mapping.js';
import { MembershipIndex } from './membership.js';
import { OrgUnitTree } from './org-units.js';

/**
 * One full read of a customer (Workspace offers no change feed for these collections, so every run
 * reads everything and sees every deletion):
 *  1. org units, the whole tree (`type=all`), parents before children;
 *  2. with groups: every group and, concurrently within the customer's limiter, each group's direct
 *     members (`members.list`, 200 a page; none for a group whose `directMembersCount` is 0) into a
 *     membership index (see membership.ts);
 *  3. users, streamed page by page (500 a page), each with `member_of` its groups;
 *  4. groups again, streamed, each with its member counts and `member_of` the groups it belongs to.
 * Listing groups twice costs one call per 200 groups and keeps no group record in memory.
 * No checkpoint: there is nothing to resume from but the start.
 */
export async function* readWorkspace(ctx: ReadContext<WorkspaceConfig>): AsyncGenerator<ReadItem> {
  const { config, log, signal } = ctx;
  const kinds = new Set<WorkspaceKind>(config.kinds);
  const directory = await openDirectory(config, { log, signal });
  log.debug('Google Workspace directory opened', { principal: directory.principal, kinds: [...kinds] });

  let tree = new OrgUnitTree([]);
  if (kinds.has('orgunit')) {
    try {
      tree = new OrgUnitTree(await directory.orgUnits());
    } catch (error) {
      // A delegated admin whose role cannot read org units: the users still name their OU paths, so
      // the rest of the directory is read; no org unit is deleted for it, and the scope fails visibly.
      if (!(error instanceof PermissionDeniedError)) throw error;
      log.warn('org units could not be read; users and groups are read without them', { error: error.message });
      yield { type: 'incomplete', kind: 'orgunit', reason: error.message };
    }
    for (const { ou, names } of tree.ordered()) yield { type: 'record', record: mapOrgUnit(ou, names) };
  }

  const index = new MembershipIndex();
  if (kinds.has('group')) await indexMemberships(directory, index, log);

  let users = 0;
  if (kinds.has('user') || kinds.has('group')) {
    for await (const page of directory.users()) {
      for (const user of page) {
        if (!user.id) continue;
        users++;
        const groups = index.markUser(user.id);
        if (kinds.has('user')) yield { type: 'record', record: mapUser(user, tree.pathOf(user.orgUnitPath), groups) };
      }
    }
  }

  let groups = 0;
  if (kinds.has('group')) {
    for await (const page of directory.groups()) {
      for (const group of page) {
        if (!group.id) continue;
        groups++;
        yield { type: 'record', record: mapGroup(group, index.countsOf(group.id), index.groupsOf(group.id)) };
      }
    }
  }
  const limits = directoryLimiterStats().keys[directory.limiterKey];
  log.info('Google Workspace directory read', {
    orgUnits: tree.size,
    users,
    groups,
    memberships: index.memberships,
    // Totals of this customer in this process (the limiter outlives a read).
    throttled: limits?.throttled ?? 0,
    retries: limits?.retries ?? 0,
  });
}

/** Every group's direct members, a page of groups at a time, the groups of a page concurrently. */
async function indexMemberships(directory: Directory, index: MembershipIndex, log: ReadContext<unknown>['log']): Promise<void> {
  const readMembers = async (group: DirectoryGroup & { id: string }) => {
    const slot = index.addGroup(group.id);
    // groups.list already says how many direct members a group has: an empty one costs no call.
    if (group.directMembersCount === '0') return;
    try {
      for await (const page of directory.members(group.id)) for (const member of page) index.addMember(slot, member);
    } catch (error) {
      // Deleted between the group listing and its member listing: it will not be listed again either.
      if (error instanceof NotFoundError) log.debug('group vanished while its members were read', { group: group.id });
      else throw error;
    }
  };
  for await (const page of directory.groups()) {
    // Settle every listing of the page before failing, so none keeps calling the API after the read ended.
    const results = await Promise.allSettled(page.filter((g): g is DirectoryGroup & { id: string } => Boolean(g.id)).map(readMembers));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}
