import type { ReadItem } from '@elder-sync/connector-sdk';
import { deltaRound, isRemoved, type DeltaEntry } from './delta.js';
import { DeltaExpiredError, UnexpectedResponseError } from './errors.js';
import { DEVICE_SELECT, GROUP_SELECT, USER_SELECT, mapDevice, mapGroup, mapUser, type TenantPlace } from './mapping.js';
import type { Resource } from './resources.js';
import type { TenantSession } from './session.js';
import type { DeviceIndex } from './device-index.js';
import type { KnownIds } from './known-ids.js';

export interface DirectoryCursor {
  users?: string;
  groups?: string;
  devices?: string;
}

export interface DirectoryOptions {
  users: boolean;
  groups: boolean;
  devices: boolean;
  /** Previous delta links; a missing one means a full round for that collection. */
  cursor: DirectoryCursor | undefined;
  place: TenantPlace;
  devicesIndex: DeviceIndex;
  /** Filled with every user id of a full round (alerts name users in their evidence). */
  usersIndex: KnownIds;
}

const initial = (s: TenantSession, collection: 'users' | 'groups' | 'devices', select: string) =>
  s.graphUrl(`/${collection}/delta?$select=${select}`);

/**
 * Entra users, groups and devices through delta queries.
 *
 * Membership is a `member_of` relation owned by the member (a user or a nested group), so a member's
 * record needs the full list of its groups. In a full round the groups' `members@delta` (split across
 * entries and pages for large groups) build that index before any user is emitted. In an incremental
 * round the deltas only say *which* objects changed, and possibly only the changed properties (Graph
 * does not promise more), so every changed object and every member whose membership changed is read
 * again, 20 at a time through `$batch`, with its `memberOf`: requests grow with the changes.
 * Deletions (`@removed`) become `deleted` items. An expired delta token (410) starts that
 * collection's round over from the beginning, a full read, without failing the tenant.
 */
export async function* readDirectory(s: TenantSession, o: DirectoryOptions): AsyncGenerator<ReadItem, DirectoryCursor> {
  const next: DirectoryCursor = {};
  const incremental = o.cursor !== undefined && (!o.users || o.cursor.users) && (!o.groups || o.cursor.groups);
  if (o.users || o.groups) {
    let done = false;
    if (incremental) {
      try {
        const items: ReadItem[] = [];
        const links = await readMembersIncrementally(s, o, items);
        yield* items;
        Object.assign(next, links);
        done = true;
      } catch (error) {
        if (!(error instanceof DeltaExpiredError)) throw error;
        s.log.warn('Graph delta token expired (410); reading users and groups in full', { tenant: s.tenant.id, error: error.message });
      }
    }
    if (!done) Object.assign(next, yield* readMembersFully(s, o));
  }
  if (o.devices) next.devices = yield* readDevices(s, o);
  return next;
}

/** Initial rounds: groups first (the membership index), then users page by page. */
async function* readMembersFully(s: TenantSession, o: DirectoryOptions): AsyncGenerator<ReadItem, DirectoryCursor> {
  const out: DirectoryCursor = {};
  // member id -> ids of the groups it is a direct member of. Holds ids only (two GUIDs per membership).
  const memberOf = new Map<string, Set<string>>();
  if (o.groups) {
    const groups = new Map<string, Record<string, unknown>>();
    const round = deltaRound(s, 'groups', initial(s, 'groups', `${GROUP_SELECT},members`));
    for await (const page of round.pages) {
      for (const entry of page) {
        if (isRemoved(entry)) continue;
        const { 'members@delta': members, ...props } = entry;
        // A group split across entries repeats only its id and the next members.
        groups.set(entry.id, { ...(groups.get(entry.id) ?? {}), ...props });
        for (const m of Array.isArray(members) ? (members as DeltaEntry[]) : []) {
          if (isRemoved(m) || !isMemberType(m, o)) continue;
          let set = memberOf.get(m.id);
          if (!set) memberOf.set(m.id, (set = new Set()));
          set.add(entry.id);
        }
      }
    }
    out.groups = round.deltaLink();
    for (const id of [...groups.keys()].sort()) yield record(mapGroup(groups.get(id)!, o.place, memberOf.get(id) ?? []));
  }
  if (o.users) {
    const round = deltaRound(s, 'users', initial(s, 'users', USER_SELECT));
    for await (const page of round.pages) {
      for (const entry of page) {
        if (isRemoved(entry)) continue;
        o.usersIndex.add(entry.id);
        yield record(mapUser(entry, o.place, o.groups ? (memberOf.get(entry.id) ?? []) : []));
      }
    }
    out.users = round.deltaLink();
    o.usersIndex.complete = true;
  }
  return out;
}

/**
 * Delta rounds from the previous links; collects the ids to read again and the deletions, then reads
 * those objects and their groups through `$batch`. Items are returned, not yielded, so that a 410
 * halfway leaves nothing half-emitted.
 */
async function readMembersIncrementally(s: TenantSession, o: DirectoryOptions, items: ReadItem[]): Promise<DirectoryCursor> {
  const out: DirectoryCursor = {};
  const users = new Set<string>();
  const groups = new Set<string>();
  const deleted: ReadItem[] = [];
  if (o.groups) {
    const round = deltaRound(s, 'groups', o.cursor!.groups!);
    for await (const page of round.pages) {
      for (const entry of page) {
        if (isRemoved(entry)) {
          deleted.push({ type: 'deleted', kind: 'group', externalId: entry.id });
          continue;
        }
        groups.add(entry.id);
        for (const m of Array.isArray(entry['members@delta']) ? (entry['members@delta'] as DeltaEntry[]) : []) {
          const type = String(m['@odata.type'] ?? '');
          if (type.endsWith('.user') && o.users) users.add(m.id);
          else if (type.endsWith('.group')) groups.add(m.id);
        }
      }
    }
    out.groups = round.deltaLink();
  }
  if (o.users) {
    const round = deltaRound(s, 'users', o.cursor!.users!);
    for await (const page of round.pages) {
      for (const entry of page) {
        if (isRemoved(entry)) deleted.push({ type: 'deleted', kind: 'user', externalId: entry.id });
        else users.add(entry.id);
      }
    }
    out.users = round.deltaLink();
  }
  for (const d of deleted) {
    if (d.type === 'deleted') {
      users.delete(d.externalId);
      groups.delete(d.externalId);
    }
  }
  if (o.groups) {
    for (const [, object, parents] of await reread(s, 'groups', [...groups].sort(), GROUP_SELECT, true)) {
      items.push(record(mapGroup(object, o.place, parents)));
    }
  }
  if (o.users) {
    for (const [id, object, parents] of await reread(s, 'users', [...users].sort(), USER_SELECT, o.groups)) {
      o.usersIndex.add(id);
      items.push(record(mapUser(object, o.place, parents)));
    }
  }
  items.push(...deleted.sort((a, b) => key(a).localeCompare(key(b))));
  return out;
}

/**
 * Reads objects again by id with their direct groups (`memberOf`), 20 requests per `$batch`. An
 * object gone meanwhile (404) is skipped: the next delta reports its removal.
 */
async function reread(
  s: TenantSession,
  collection: 'users' | 'groups',
  ids: string[],
  select: string,
  withGroups: boolean,
): Promise<[string, Record<string, unknown>, string[]][]> {
  const resource: Resource = collection;
  const requests = ids.flatMap((id) => [
    { url: `/${collection}/${id}?$select=${select}` },
    ...(withGroups ? [{ url: `/${collection}/${id}/memberOf/microsoft.graph.group?$select=id` }] : []),
  ]);
  const results = await s.batch(resource, requests);
  const out: [string, Record<string, unknown>, string[]][] = [];
  const per = withGroups ? 2 : 1;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    const object = results[i * per]!;
    if (object.status === 404) continue;
    if (object.status !== 200) throw s.itemFailure(object, `GET /${collection}/${id}`, resource);
    const parents: string[] = [];
    if (withGroups) {
      const groups = results[i * per + 1]!;
      if (groups.status === 404) continue;
      if (groups.status !== 200) throw s.itemFailure(groups, `GET /${collection}/${id}/memberOf`, 'groups');
      const page = groups.body as { value?: { id: string }[]; '@odata.nextLink'?: string };
      if (!Array.isArray(page.value)) throw new UnexpectedResponseError(`${s.who}: memberOf of ${id} answered without a value list`);
      parents.push(...page.value.map((g) => g.id));
      // A member of more groups than one page holds: the rest outside the batch.
      if (page['@odata.nextLink']) {
        for await (const more of s.pages<{ id: string }>('groups', page['@odata.nextLink'])) parents.push(...more.value.map((g) => g.id));
      }
    }
    out.push([id, object.body as Record<string, unknown>, parents]);
  }
  return out;
}

async function* readDevices(s: TenantSession, o: DirectoryOptions): AsyncGenerator<ReadItem, string> {
  const previous = o.cursor?.devices;
  if (previous) {
    try {
      const changed = new Set<string>();
      const deleted: string[] = [];
      const round = deltaRound(s, 'devices', previous);
      for await (const page of round.pages) {
        for (const entry of page) {
          if (isRemoved(entry)) deleted.push(entry.id);
          else changed.add(entry.id);
        }
      }
      for (const id of deleted) changed.delete(id);
      const ids = [...changed].sort();
      const results = await s.batch('devices', ids.map((id) => ({ url: `/devices/${id}?$select=${DEVICE_SELECT}` })));
      for (let i = 0; i < ids.length; i++) {
        const r = results[i]!;
        if (r.status === 404) continue;
        if (r.status !== 200) throw s.itemFailure(r, `GET /devices/${ids[i]}`, 'devices');
        const device = r.body as Record<string, unknown>;
        o.devicesIndex.add(device);
        yield record(mapDevice(device, o.place));
      }
      for (const id of deleted.sort()) yield { type: 'deleted', kind: 'device', externalId: id };
      return round.deltaLink();
    } catch (error) {
      if (!(error instanceof DeltaExpiredError)) throw error;
      s.log.warn('Graph delta token expired (410); reading devices in full', { tenant: s.tenant.id, error: error.message });
    }
  }
  const round = deltaRound(s, 'devices', initial(s, 'devices', DEVICE_SELECT));
  for await (const page of round.pages) {
    for (const entry of page) {
      if (isRemoved(entry)) continue;
      o.devicesIndex.add(entry);
      yield record(mapDevice(entry, o.place));
    }
  }
  o.devicesIndex.complete = true;
  return round.deltaLink();
}

function isMemberType(m: DeltaEntry, o: DirectoryOptions): boolean {
  const type = String(m['@odata.type'] ?? '');
  return type.endsWith('.group') || (o.users && type.endsWith('.user'));
}

function record(r: ReturnType<typeof mapUser>): ReadItem {
  return { type: 'record', record: r };
}

function key(item: ReadItem): string {
  return item.type === 'deleted' ? `${item.kind}/${item.externalId}` : '';
}
