// Test support (not built: see the core tsconfig's exclude). A directory-shaped source held in
// memory, with a change log, so the reliability suite can mutate it at random and know exactly what
// Elder must hold afterwards.
import { z } from 'zod';
import { defineConnector, type ConnectorDefinition } from '../connector.js';
import type { JsonObject } from '../json.js';
import type { ReadItem, SourceRecord } from '../record.js';

/** A small, seeded PRNG (the emulator's mulberry32), so a soak round is replayable from its seed. */
export { mulberry32 as prng } from '@elder-sync/testkit';

interface Versioned {
  record: SourceRecord;
  version: number;
}

export const OU_PATHS: readonly string[][] = [['Corp'], ['Corp', 'People'], ['Corp', 'People', 'Engineering'], ['Corp', 'Sales'], ['Corp', 'Groups']];

/**
 * OUs (organizations), groups and users (entities) with `member_of` relations. Every mutation bumps
 * a version; an incremental read returns what changed after the cursor, and reports deletions the
 * way a delta API does (Graph delta), so the invariant "Elder equals the source" holds after every
 * successful run, full or incremental.
 */
export class ModelSource {
  readonly ous = new Map<string, Versioned>();
  readonly groups = new Map<string, Versioned>();
  readonly users = new Map<string, Versioned>();
  /** Deleted entity keys (`kind/id`) → the version of the deletion. */
  readonly tombstones = new Map<string, number>();
  version = 0;
  private nextId = 1;
  /** How many read() calls were incremental (a test asserts the mode it meant to exercise). */
  incrementalReads = 0;

  constructor() {
    for (const path of OU_PATHS) this.ous.set(`ou-${path.join('-')}`, this.stamp(ouRecord(path)));
  }

  private stamp(record: SourceRecord): Versioned {
    return { record, version: ++this.version };
  }

  newId(prefix: string): string {
    return `${prefix}${String(this.nextId++).padStart(5, '0')}`;
  }

  putGroup(id: string, name: string, path: string[], memberOf: string[] = []): void {
    this.tombstones.delete(`group/${id}`);
    this.groups.set(id, this.stamp({
      kind: 'group',
      externalId: id,
      name,
      attributes: { cn: name, group_name: name },
      organizationPath: path,
      relations: memberOf.filter((g) => g !== id).sort().map((g) => ({ type: 'member_of', kind: 'group', externalId: g })),
    }));
  }

  putUser(id: string, name: string, path: string[], memberOf: string[] = [], attributes: JsonObject = {}): void {
    this.tombstones.delete(`user/${id}`);
    this.users.set(id, this.stamp({
      kind: 'user',
      externalId: id,
      name,
      attributes: { uid: id, email: `${id}@example.test`, title: null, ...attributes },
      organizationPath: path,
      relations: [...new Set(memberOf)].sort().map((g) => ({ type: 'member_of', kind: 'group', externalId: g })),
      tags: ['directory'],
    }));
  }

  /** Re-stamps a record with changed fields (a change or a move). */
  update(kind: 'user' | 'group', id: string, change: (r: SourceRecord) => SourceRecord): void {
    const map = kind === 'user' ? this.users : this.groups;
    const current = map.get(id);
    if (!current) throw new Error(`no ${kind} ${id}`);
    map.set(id, this.stamp(change(structuredClone(current.record))));
  }

  delete(kind: 'user' | 'group', id: string): void {
    const map = kind === 'user' ? this.users : this.groups;
    if (!map.delete(id)) return;
    this.tombstones.set(`${kind}/${id}`, ++this.version);
    if (kind === 'group') {
      // Members of a deleted group lose the relation, like the memberof overlay's refint does.
      for (const m of [...this.users.values(), ...this.groups.values()]) {
        if (m.record.relations?.some((r) => r.externalId === id)) {
          const kindOf = m.record.kind as 'user' | 'group';
          this.update(kindOf, m.record.externalId, (r) => ({ ...r, relations: (r.relations ?? []).filter((x) => x.externalId !== id) }));
        }
      }
    }
  }

  /** Every record the source holds now (OUs, groups, users). */
  records(): SourceRecord[] {
    return [...this.ous.values(), ...this.groups.values(), ...this.users.values()].map((v) => v.record);
  }

  connector(): ConnectorDefinition<unknown> {
    const self = this;
    return defineConnector({
      apiVersion: 1,
      id: 'model',
      configSchema: z.object({}),
      kinds: {
        ou: { target: 'organization' },
        group: { target: 'entity', entityType: 'user', subType: 'group' },
        user: { target: 'entity', entityType: 'user', subType: 'person' },
      },
      scopes: () => [{ id: 'dir', label: 'model directory' }],
      testConnection: async () => [{ name: 'reachable', ok: true }],
      async *read(ctx): AsyncIterable<ReadItem> {
        const since = ctx.mode === 'incremental' && typeof ctx.checkpoint === 'number' ? ctx.checkpoint : -1;
        if (since >= 0) self.incrementalReads++;
        const at = self.version;
        // OUs parents first; then groups and users in id order (a stable source order).
        const ous = [...self.ous.values()].sort((a, b) => (a.record.organizationPath?.length ?? 0) - (b.record.organizationPath?.length ?? 0));
        for (const map of [ous, sorted(self.groups), sorted(self.users)]) {
          for (const v of map) if (v.version > since) yield { type: 'record', record: structuredClone(v.record) };
        }
        if (since >= 0) {
          for (const [key, version] of [...self.tombstones].sort()) {
            if (version <= since) continue;
            const [kind, externalId] = key.split('/') as [string, string];
            yield { type: 'deleted', kind, externalId };
          }
        }
        yield { type: 'checkpoint', cursor: at };
      },
    });
  }
}

function sorted(map: Map<string, Versioned>): Versioned[] {
  return [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
}

function ouRecord(path: readonly string[]): SourceRecord {
  return { kind: 'ou', externalId: `ou-${path.join('-')}`, name: path[path.length - 1]!, attributes: {}, organizationPath: path.slice(0, -1) };
}

/** Populates a directory: `groups` groups in the Groups OU (some nested), `users` users spread over OUs. */
export function populate(source: ModelSource, users: number, groups: number, random: () => number): void {
  const groupIds: string[] = [];
  for (let i = 0; i < groups; i++) {
    const id = source.newId('g');
    const parent = groupIds.length > 0 && random() < 0.4 ? [groupIds[Math.floor(random() * groupIds.length)]!] : [];
    source.putGroup(id, `group ${id}`, ['Corp', 'Groups'], parent);
    groupIds.push(id);
  }
  for (let i = 0; i < users; i++) addRandomUser(source, random);
}

export function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)]!;
}

function randomGroups(source: ModelSource, random: () => number): string[] {
  const ids = [...source.groups.keys()];
  const n = Math.floor(random() * 3);
  return [...new Set(Array.from({ length: n }, () => pick(ids, random)))].filter(Boolean);
}

export function addRandomUser(source: ModelSource, random: () => number): string {
  const id = source.newId('u');
  const path = pick(OU_PATHS.filter((p) => p.length > 1), random);
  source.putUser(id, `User ${id}`, [...path], source.groups.size > 0 ? randomGroups(source, random) : []);
  return id;
}

export type Mutation = 'add' | 'change' | 'move' | 'delete' | 'membership' | 'add-group' | 'delete-group';

/** One random mutation; returns a description for failure messages. */
export function mutate(source: ModelSource, random: () => number): string {
  const users = [...source.users.keys()];
  const groups = [...source.groups.keys()];
  const roll = random();
  // Keep the population inside bounds so the mass-delete guard and empty-read guard stay out of play.
  const kind: Mutation =
    users.length < 20 ? 'add'
    : roll < 0.25 ? 'add'
    : roll < 0.45 ? 'change'
    : roll < 0.6 ? 'move'
    : roll < 0.78 ? 'delete'
    : roll < 0.9 ? 'membership'
    : roll < 0.95 || groups.length < 4 ? 'add-group'
    : 'delete-group';
  switch (kind) {
    case 'add':
      return `add user ${addRandomUser(source, random)}`;
    case 'change': {
      const id = pick(users, random);
      const title = random() < 0.3 ? null : `title ${Math.floor(random() * 1000)}`;
      const rename = random() < 0.3;
      source.update('user', id, (r) => ({ ...r, name: rename ? `${r.name}'` : r.name, attributes: { ...r.attributes, title } }));
      return `change user ${id}${rename ? ' (renamed)' : ''}`;
    }
    case 'move': {
      const id = pick(users, random);
      const path = pick(OU_PATHS.filter((p) => p.length > 1), random);
      source.update('user', id, (r) => ({ ...r, organizationPath: [...path] }));
      return `move user ${id} to ${path.join('/')}`;
    }
    case 'delete': {
      const id = pick(users, random);
      source.delete('user', id);
      return `delete user ${id}`;
    }
    case 'membership': {
      const id = pick(users, random);
      const memberOf = randomGroups(source, random);
      source.update('user', id, (r) => ({ ...r, relations: memberOf.sort().map((g) => ({ type: 'member_of', kind: 'group', externalId: g })) }));
      return `set groups of ${id} to [${memberOf.join(',')}]`;
    }
    case 'add-group': {
      const id = source.newId('g');
      source.putGroup(id, `group ${id}`, ['Corp', 'Groups'], groups.length > 0 && random() < 0.3 ? [pick(groups, random)] : []);
      return `add group ${id}`;
    }
    case 'delete-group': {
      const id = pick(groups, random);
      source.delete('group', id);
      return `delete group ${id}`;
    }
  }
}
