import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startElderEmulator, type ElderEmulator } from '@elder-sync/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { elderSyncConfigSchema } from '../config/schema.js';
import { defineConnector, type ConnectorDefinition } from '../connector.js';
import { SourceAuthError } from '../errors.js';
import { createElderClient } from '../elder/client.js';
import { silentLogger } from '../logger.js';
import { StateStore } from '../state/store.js';
import type { ReadItem, SourceRecord } from '../record.js';
import { applyPlan } from './apply-plan.js';
import { planToJson } from './plan-json.js';
import { runSync } from './run-sync.js';
import type { PlanChange, SyncOptions, SyncReport } from './types.js';

/** A directory-shaped source whose content each test sets: OUs, users, groups with membership. */
class ScriptedSource {
  ous = new Map<string, SourceRecord>();
  users = new Map<string, SourceRecord>();
  groups = new Map<string, SourceRecord>();
  failWith: Error | null = null;
  scope: { id: string; label: string; formerIds?: string[] } = { id: 'dir', label: 'scripted directory' };
  /** Kinds the read reports as `incomplete`, with the reason. */
  incomplete = new Map<string, string>();
  /** How each read was asked for; an incremental read finds nothing changed. */
  readModes: string[] = [];

  ou(id: string, path: string[]) {
    this.ous.set(id, { kind: 'ou', externalId: id, name: path[path.length - 1]!, attributes: {}, organizationPath: path.slice(0, -1) });
  }
  user(id: string, name: string, path: string[], groups: string[] = [], email = `${id}@example.test`) {
    this.users.set(id, {
      kind: 'user',
      externalId: id,
      name,
      attributes: { email, uid: id },
      organizationPath: path,
      relations: groups.map((g) => ({ type: 'member_of', kind: 'group', externalId: g })),
      tags: ['directory'],
    });
  }
  group(id: string, name: string, path: string[], memberOf: string[] = []) {
    this.groups.set(id, {
      kind: 'group',
      externalId: id,
      name,
      attributes: { cn: name },
      organizationPath: path,
      relations: memberOf.map((g) => ({ type: 'member_of', kind: 'group', externalId: g })),
    });
  }

  connector(): ConnectorDefinition<unknown> {
    const self = this;
    return defineConnector({
      apiVersion: 1,
      id: 'scripted',
      configSchema: z.object({}),
      kinds: {
        ou: { target: 'organization' },
        group: { target: 'entity', entityType: 'user', subType: 'group' },
        user: { target: 'entity', entityType: 'user', subType: 'person', naturalKeys: ['email'] },
      },
      scopes: () => [self.scope],
      testConnection: async () => [{ name: 'reachable', ok: true }],
      async *read(context): AsyncIterable<ReadItem> {
        self.readModes.push(context.mode);
        if (context.mode === 'incremental') {
          yield { type: 'checkpoint', cursor: 'end' };
          return;
        }
        for (const map of [self.ous, self.groups]) for (const record of map.values()) yield { type: 'record', record };
        let n = 0;
        for (const record of self.users.values()) {
          if (self.failWith && ++n > 1) throw self.failWith;
          yield { type: 'record', record };
        }
        for (const [kind, reason] of self.incomplete) yield { type: 'incomplete', kind, reason };
        yield { type: 'checkpoint', cursor: 'end' };
      },
    });
  }
}

let emulator: ElderEmulator;
let source: ScriptedSource;
let statePath: string;
let stateDir: string;
let stateFiles = 0;
const freshStatePath = () => join(stateDir, `state-${++stateFiles}.db`);

beforeAll(async () => {
  emulator = await startElderEmulator();
  stateDir = mkdtempSync(join(tmpdir(), 'elder-sync-run-'));
});
afterAll(async () => {
  await emulator.close();
  rmSync(stateDir, { recursive: true, force: true });
});
beforeEach(() => {
  emulator.reset();
  emulator.setFaults({ rate: 0, kinds: [] });
  source = new ScriptedSource();
  source.ou('corp', ['Corp']);
  source.ou('people', ['Corp', 'People']);
  source.ou('groups', ['Corp', 'Groups']);
  // engineering is read before all-staff, which it is a member of: a forward reference.
  source.group('eng', 'engineering', ['Corp', 'Groups'], ['all']);
  source.group('all', 'all-staff', ['Corp', 'Groups']);
  source.user('alice', 'Alice Archer', ['Corp', 'People'], ['eng', 'all']);
  source.user('bob', 'Bob Baker', ['Corp', 'People'], ['all']);
  source.user('carol', 'Carol Chen', ['Corp', 'People']);
  statePath = freshStatePath();
});

function config(overrides: Record<string, unknown> = {}) {
  return elderSyncConfigSchema.parse({
    elder: { url: emulator.url, email: 'admin@localhost.local', password: 'admin123', organization: { path: ['Acme', 'Directory'] }, maxAttempts: 8 },
    sources: [{ name: 'corp', connector: 'scripted', ...overrides }],
  });
}

async function sync(mode: SyncOptions['mode'], extra: Partial<SyncOptions> & { sourceOverrides?: Record<string, unknown> } = {}) {
  const { sourceOverrides, ...rest } = extra;
  const elder = createElderClient({
    url: emulator.url,
    auth: { kind: 'login', email: 'admin@localhost.local', password: 'admin123' },
    maxAttempts: 8,
    backoffBaseMs: 1,
    backoffMaxMs: 5,
    timeoutMs: 2000,
  });
  try {
    const report = await runSync({
      config: config(sourceOverrides),
      connectors: async () => source.connector(),
      mode,
      log: silentLogger,
      statePath,
      elder,
      ...rest,
    });
    const changes = [...report.changes()];
    report.close();
    return { report, changes };
  } finally {
    await elder.close();
  }
}

const summary = (changes: PlanChange[]) => changes.map((c) => `${c.action} ${c.target} ${c.name}`).sort();
const writes = () => emulator.stats().writes;
const keysOf = () => emulator.entities().map((e) => (e.metadata as { elder_sync?: { key: string } } | null)?.elder_sync?.key).filter(Boolean);

function expectOk(report: SyncReport) {
  expect(report.scopes.map((s) => [s.scope, s.status, s.error])).toEqual(report.scopes.map((s) => [s.scope, 'ok', null]));
}

describe('a first sync', () => {
  it('plans without writing anything', async () => {
    const { report, changes } = await sync('plan');
    expectOk(report);
    expect(writes()).toBe(0);
    expect(summary(changes)).toEqual([
      'create entity Alice Archer',
      'create entity Bob Baker',
      'create entity Carol Chen',
      'create entity all-staff',
      'create entity engineering',
      'create organization Acme',
      'create organization Corp',
      'create organization Directory',
      'create organization Groups',
      'create organization People',
    ]);
  });

  it('creates organizations, entities and member_of dependencies, and a second run writes nothing', async () => {
    const { report } = await sync('apply');
    expectOk(report);
    expect(emulator.organizations().map((o) => o.name).sort()).toEqual(['Acme', 'Corp', 'Directory', 'Groups', 'People']);
    expect(emulator.entities().map((e) => e.name).sort()).toEqual(['Alice Archer', 'Bob Baker', 'Carol Chen', 'all-staff', 'engineering']);
    expect(emulator.dependencies()).toHaveLength(4);
    const byName = new Map(emulator.entities().map((e) => [e.name, e.id]));
    expect(emulator.dependencies().map((d) => [d.source_id, d.dependency_type, d.target_id]).sort()).toEqual(
      [
        [byName.get('Alice Archer'), 'member_of', byName.get('all-staff')],
        [byName.get('Alice Archer'), 'member_of', byName.get('engineering')],
        [byName.get('Bob Baker'), 'member_of', byName.get('all-staff')],
        [byName.get('engineering'), 'member_of', byName.get('all-staff')],
      ].sort(),
    );

    // 5 organizations, 5 entities, 4 dependencies: the stamps claimed the memberships at the
    // entities' first writes, so there is no third write per member.
    expect(writes()).toBe(14);
    const before = writes();
    const second = await sync('apply');
    expectOk(second.report);
    expect(second.changes).toEqual([]);
    expect(writes()).toBe(before);
    expect(second.report.totals.unchanged).toBe(8);
  });
});

/** The Groups OU removed from the directory, its groups gone or moved to People. */
function dropGroupsOu() {
  source.ous.delete('groups');
  source.groups.delete('eng');
  source.group('all', 'all-staff', ['Corp', 'People']);
  source.user('alice', 'Alice Archer', ['Corp', 'People'], ['all']);
}

/**
 * Elder restored empty: its ids start again, and someone files organizations of their own below the
 * source root before the next run, under ids a kept state file remembers.
 */
function rebuildElderWithTheirOrganizations() {
  emulator.reset();
  const acme = emulator.seedOrganization({ name: 'Acme' });
  const directory = emulator.seedOrganization({ name: 'Directory', parent_id: acme.id });
  const theirs = ['Printers', 'Lab', 'Guests', 'Visitors', 'Spare'].map((name) => emulator.seedOrganization({ name, parent_id: directory.id }));
  return { directory, theirs };
}

describe('a later sync', () => {
  beforeEach(async () => {
    await sync('apply');
  });

  it('applies exactly one create, one update and one delete for one added, changed and removed user', async () => {
    source.user('dave', 'Dave Dunn', ['Corp', 'People']);
    source.user('bob', 'Bob Baker', ['Corp', 'People'], ['all'], 'robert@example.test');
    source.users.delete('carol');
    const planned = await sync('plan');
    expect(summary(planned.changes)).toEqual(['create entity Dave Dunn', 'delete entity Carol Chen', 'update entity Bob Baker']);
    const update = planned.changes.find((c) => c.action === 'update')!;
    expect(update.before?.attributes.email).toBe('bob@example.test');
    expect(update.after?.attributes.email).toBe('robert@example.test');

    const applied = await sync('apply');
    expectOk(applied.report);
    expect(applied.report.totals).toMatchObject({ create: 1, update: 1, delete: 1 });
    expect(emulator.entities().map((e) => e.name).sort()).toEqual(['Alice Archer', 'Bob Baker', 'Dave Dunn', 'all-staff', 'engineering']);
    expect((await sync('plan')).changes).toEqual([]);
  });

  it('keeps attributes and tags that someone else added in Elder when it updates', async () => {
    const alice = emulator.entities().find((e) => e.name === 'Alice Archer')!;
    await fetch(`${emulator.url}/api/v1/entities/${alice.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ attributes: { ...(alice.metadata as object), owner: 'team-x' }, tags: ['directory', 'pci'] }),
    });
    source.user('alice', 'Alice Archer', ['Corp', 'People'], ['eng', 'all'], 'alice@new.example.test');
    expectOk((await sync('apply')).report);
    const after = emulator.entities().find((e) => e.id === alice.id)!;
    expect(after.metadata).toMatchObject({ owner: 'team-x', email: 'alice@new.example.test' });
    expect(after.tags).toEqual(['directory', 'pci']);
  });

  it('re-adopts every object from Elder when the state is lost, creating nothing', async () => {
    statePath = freshStatePath(); // a new, empty state file
    const before = emulator.entities().length;
    const { changes, report } = await sync('apply');
    expectOk(report);
    expect(changes.filter((c) => c.action === 'create')).toEqual([]);
    expect(emulator.entities()).toHaveLength(before);
  });

  it('removes the membership dependencies of a deleted group before deleting it', async () => {
    source.groups.delete('eng');
    source.user('alice', 'Alice Archer', ['Corp', 'People'], ['all']);
    const { report } = await sync('apply');
    expectOk(report);
    expect(emulator.entities().map((e) => e.name)).not.toContain('engineering');
    expect(emulator.dependencies()).toHaveLength(2);
  });

  it('re-creates a membership deleted in Elder by hand, and leaves one that someone else added', async () => {
    const byName = new Map(emulator.entities().map((e) => [e.name as string, e.id as number]));
    const bobInAll = emulator.dependencies().find((d) => d.source_id === byName.get('Bob Baker'))!;
    const deleted = await fetch(`${emulator.url}/api/v1/dependencies/${String(bobInAll.id)}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${emulator.mintToken()}` },
    });
    expect(deleted.status).toBe(204);
    emulator.seedDependency({ source_type: 'entity', source_id: byName.get('Carol Chen')!, target_type: 'entity', target_id: byName.get('all-staff')!, dependency_type: 'member_of' });

    const planned = await sync('plan');
    expect(summary(planned.changes)).toEqual(['update entity Bob Baker']);
    expect(planned.changes[0]!.before?.relations).toEqual([]);
    expect(planned.changes[0]!.after?.relations).toEqual(['member_of:corp/group/all']);
    expectOk((await sync('apply')).report);
    const memberships = emulator.dependencies().map((d) => [d.source_id, d.target_id]);
    expect(memberships).toContainEqual([byName.get('Bob Baker'), byName.get('all-staff')]);
    expect(memberships).toContainEqual([byName.get('Carol Chen'), byName.get('all-staff')]);
    expect(memberships).toHaveLength(5);
    expect((await sync('plan')).changes).toEqual([]);
  });

  it('leaves no membership behind when stopped between the entities\' writes and their links pass', async () => {
    // Alice leaves engineering, Carol joins it: both entity writes come before either dependency write.
    source.user('alice', 'Alice Archer', ['Corp', 'People'], ['all']);
    source.user('carol', 'Carol Chen', ['Corp', 'People'], ['eng']);
    const patches = () => Object.entries(emulator.stats().byRoute).filter(([route]) => route.startsWith('PATCH /api/v1/entities/')).reduce((n, [, c]) => n + c, 0);
    const controller = new AbortController();
    const watch = setInterval(() => {
      if (patches() >= 1) controller.abort();
    }, 1);
    emulator.setFaults({ rate: 1, kinds: ['slow'], slowMs: 20, methods: ['PATCH'] });
    const stopped = await sync('apply', { signal: controller.signal });
    clearInterval(watch);
    emulator.setFaults({ rate: 0, kinds: [] });
    expect(stopped.report.scopes[0]).toMatchObject({ status: 'failed', error: expect.stringMatching(/^interrupted/) });
    const byName = new Map(emulator.entities().map((e) => [e.name as string, e.id as number]));
    const memberships = () => emulator.dependencies().map((d) => [d.source_id, d.target_id]);
    // The links pass never ran: Alice is still in engineering.
    expect(memberships()).toContainEqual([byName.get('Alice Archer'), byName.get('engineering')]);

    expectOk((await sync('apply')).report);
    expect(memberships()).not.toContainEqual([byName.get('Alice Archer'), byName.get('engineering')]);
    expect(memberships()).toContainEqual([byName.get('Carol Chen'), byName.get('engineering')]);
    expect(memberships()).toHaveLength(4);
    expect((await sync('plan')).changes).toEqual([]);
  });

  it('reports a relation to a record the source never emitted as an error, and retries it next run', async () => {
    source.user('carol', 'Carol Chen', ['Corp', 'People'], ['ghost']);
    const first = await sync('apply');
    expect(first.report.scopes[0]).toMatchObject({ status: 'failed' });
    expect(first.report.totals.errors).toBe(1);
    const again = await sync('plan');
    expect(summary(again.changes)).toEqual(['update entity Carol Chen']);
  });

  it('deletes nothing when the source fails part-way, and reports the scope as failed', async () => {
    source.users.delete('carol');
    source.failWith = new Error('connection reset by directory');
    const before = emulator.entities().length;
    const { report } = await sync('apply');
    expect(report.scopes[0]).toMatchObject({ status: 'failed' });
    expect(report.scopes[0]!.error).toContain('connection reset by directory');
    expect(emulator.entities()).toHaveLength(before);
  });

  it('never deletes on an empty read of a kind that had objects, and fails the scope saying why', async () => {
    source.users.clear();
    const { changes, report } = await sync('apply');
    expect(changes.filter((c) => c.kind === 'user').map((c) => c.action)).toEqual(['withheld', 'withheld', 'withheld']);
    expect(emulator.entities().filter((e) => e.sub_type === 'person')).toHaveLength(3);
    expect(report.scopes[0]).toMatchObject({ status: 'failed', error: expect.stringContaining('returned no user objects where Elder has 3') });
  });

  it('holds the deletes of a kind the source did not read completely, showing it in the plan and failing the scope', async () => {
    source.users.delete('carol');
    source.incomplete.set('user', '1 entry has no entryUUID');
    const { changes, report } = await sync('apply');
    expect(changes.filter((c) => c.kind === 'user').map((c) => [c.action, c.name, c.reason])).toEqual([
      ['withheld', 'Carol Chen', 'the source did not read all user objects (1 entry has no entryUUID); none is deleted until it does'],
    ]);
    expect(emulator.entities().filter((e) => e.sub_type === 'person')).toHaveLength(3);
    expect(report.scopes[0]).toMatchObject({ status: 'failed', counts: expect.objectContaining({ withheld: 1 }) });
    expect(report.scopes[0]!.error).toBe('deletes of user withheld: the source did not read all user objects (1 entry has no entryUUID); none is deleted until it does');
    // Nothing stale: the hold still shows, and still fails the scope.
    source.user('carol', 'Carol Chen', ['Corp', 'People']);
    const again = await sync('plan');
    expect(again.changes).toEqual([]);
    expect(again.report.scopes[0]).toMatchObject({ status: 'failed', guard: expect.stringContaining('deletes of user withheld') });
    source.incomplete.clear();
    expectOk((await sync('plan')).report);
  });

  it('carries ownership over to a scope the connector renamed (formerIds): nothing recreated, deletions still seen', async () => {
    source.scope = { id: 'dir-v2', label: 'scripted directory', formerIds: ['dir'] };
    source.users.delete('carol');
    const { changes, report } = await sync('apply');
    expectOk(report);
    expect(summary(changes)).toEqual(['delete entity Carol Chen']);
    const next = await sync('plan');
    expect(next.changes).toEqual([]);
    expectOk(next.report);
  });

  it('follows a renamed OU: renames its organization in place and moves nothing else', async () => {
    const groupsOrg = emulator.organizations().find((o) => o.name === 'Groups')!;
    source.ou('groups', ['Corp', 'Teams']);
    source.group('eng', 'engineering', ['Corp', 'Teams'], ['all']);
    source.group('all', 'all-staff', ['Corp', 'Teams']);
    const { report, changes } = await sync('apply');
    expectOk(report);
    expect(summary(changes)).toEqual(['update entity all-staff', 'update entity engineering', 'update organization Teams']);
    const orgs = emulator.organizations();
    expect(orgs.find((o) => o.id === groupsOrg.id)).toMatchObject({ name: 'Teams' });
    expect(orgs.map((o) => o.name)).not.toContain('Groups');
    expect(orgs.filter((o) => o.name === 'Teams')).toHaveLength(1);
    expect(emulator.entities().find((e) => e.name === 'engineering')).toMatchObject({ organization_id: groupsOrg.id });
    expect((await sync('plan')).changes).toEqual([]);
  });

  it('follows a renamed OU in place also after the state file was lost and a run re-adopted', async () => {
    const groupsOrg = emulator.organizations().find((o) => o.name === 'Groups')!;
    statePath = freshStatePath();
    expect(summary((await sync('apply')).changes)).toEqual([]);
    source.ou('groups', ['Corp', 'Teams']);
    source.group('eng', 'engineering', ['Corp', 'Teams'], ['all']);
    source.group('all', 'all-staff', ['Corp', 'Teams']);
    const { report, changes } = await sync('apply');
    expectOk(report);
    expect(summary(changes)).toEqual(['update entity all-staff', 'update entity engineering', 'update organization Teams']);
    expect(emulator.organizations().find((o) => o.id === groupsOrg.id)).toMatchObject({ name: 'Teams' });
    expect(emulator.organizations().map((o) => o.name)).not.toContain('Groups');
  });

  it('does not take an organization of a rebuilt Elder for its own because it got a remembered id', async () => {
    const before = emulator.organizations();
    const { directory, theirs } = rebuildElderWithTheirOrganizations();
    const reused = theirs.filter((o) => before.some((b) => b.id === o.id && b.name !== o.name));
    expect(reused.length).toBeGreaterThan(0);

    dropGroupsOu();
    const { report, changes } = await sync('apply', { allowMassDelete: true });
    expectOk(report);
    expect(summary(changes).filter((l) => l.includes('organization'))).toEqual(['create organization Corp', 'create organization People']);
    const after = emulator.organizations();
    for (const o of theirs) expect(after.find((a) => a.id === o.id)).toMatchObject({ name: o['name'], parent_id: directory.id });
    expect((await sync('plan')).changes).toEqual([]);
  });

  it("leaves an OU's organization renamed by hand in Elder as it is, and files the OU's entities in a new one where the source says", async () => {
    // An id found away from where the state last saw it may be someone else's (a rebuilt Elder), or
    // even another of this source's organizations: nothing tells a hand-renamed one apart.
    const groupsOrg = emulator.organizations().find((o) => o.name === 'Groups')!;
    const patched = await fetch(`${emulator.url}/api/v1/organizations/${groupsOrg.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Teams (by hand)' }),
    });
    expect(patched.status).toBe(200);
    const { report, changes } = await sync('apply');
    expectOk(report);
    expect(summary(changes)).toEqual(['create organization Groups', 'update entity all-staff', 'update entity engineering']);
    const groups = emulator.organizations().find((o) => o.name === 'Groups')!;
    expect(emulator.organizations().find((o) => o.id === groupsOrg.id)).toMatchObject({ name: 'Teams (by hand)' });
    expect(emulator.entities().find((e) => e.name === 'engineering')).toMatchObject({ organization_id: groups.id });
    expect((await sync('plan')).changes).toEqual([]);
  });

  it('teaches a state file from before organization paths were kept its paths in one run, and then holds it to them', async () => {
    // The OUs' organizations; those only implied by a path (@org) are learnt when next created.
    const ouMappings = (store: StateStore) => [...store.mappings('corp')].filter((m) => m.elderKind === 'organization' && m.kind === 'ou');
    const state = StateStore.open(statePath);
    const legacy = ouMappings(state);
    expect(legacy.map((m) => m.key).sort()).toEqual(['corp/ou/corp', 'corp/ou/groups', 'corp/ou/people']);
    for (const mapping of legacy) state.putMapping({ ...mapping, hash: null });
    state.close();
    expect((await sync('apply')).changes).toEqual([]);
    const taught = StateStore.open(statePath);
    const hashes = ouMappings(taught).map((m) => m.hash);
    taught.close();
    expect(hashes).toEqual([expect.any(String), expect.any(String), expect.any(String)]);

    // Now a rebuilt Elder that reuses their ids cannot make them rename someone else's organization.
    const { theirs } = rebuildElderWithTheirOrganizations();
    expect((await sync('apply')).changes.filter((c) => c.target === 'organization' && c.action !== 'create')).toEqual([]);
    for (const o of theirs) expect(emulator.organizations().find((a) => a.id === o.id)).toMatchObject({ name: o['name'] });
  });

  it('reads everything instead of from the cursor when Elder lost owned entities, and writes them back', async () => {
    const incremental = { sourceOverrides: { fullEvery: 10 } };
    expect((await sync('apply', incremental)).changes).toEqual([]);
    expect(source.readModes.at(-1)).toBe('incremental');
    const carol = emulator.entities().find((e) => e.name === 'Carol Chen')!;
    expect((await fetch(`${emulator.url}/api/v1/entities/${carol.id}`, { method: 'DELETE' })).status).toBe(204);

    const { report, changes } = await sync('apply', incremental);
    expectOk(report);
    expect(source.readModes.at(-1)).toBe('full');
    expect(summary(changes)).toEqual(['create entity Carol Chen']);
    expect(emulator.entities().filter((e) => e.name === 'Carol Chen')).toHaveLength(1);
    // Whole again: the next run reads from its cursor.
    expect((await sync('apply', incremental)).changes).toEqual([]);
    expect(source.readModes.at(-1)).toBe('incremental');
  });

  it('deletes an organization whose record is gone only when it is owned and empty at that moment', async () => {
    dropGroupsOu();
    const { report, changes } = await sync('apply', { allowMassDelete: true });
    expectOk(report);
    expect(summary(changes).filter((l) => l.includes('organization'))).toEqual(['delete organization Groups']);
    expect(emulator.organizations().map((o) => o.name)).not.toContain('Groups');
  });

  it('keeps such an organization when someone else put an entity in it', async () => {
    const groupsOrg = emulator.organizations().find((o) => o.name === 'Groups')!;
    emulator.seedEntity({ name: 'printer', entity_type: 'compute', organization_id: groupsOrg.id as number });
    dropGroupsOu();
    await sync('apply', { allowMassDelete: true });
    expect(emulator.organizations().map((o) => o.name)).toContain('Groups');
    expect(emulator.entities().map((e) => e.name)).toContain('printer');
  });

  it('marks instead of deleting with deletes: mark, and clears the mark when the object returns', async () => {
    const carol = source.users.get('carol')!;
    source.users.delete('carol');
    const marked = await sync('apply', { sourceOverrides: { deletes: 'mark' } });
    expect(summary(marked.changes)).toEqual(['mark entity Carol Chen']);
    const stamp = (e: { name: string }) => (emulator.entities().find((x) => x.name === e.name)!.metadata as { elder_sync: { stale_since?: string } }).elder_sync;
    expect(stamp({ name: 'Carol Chen' }).stale_since).toMatch(/^\d{4}-/);
    source.users.set('carol', carol);
    const back = await sync('apply', { sourceOverrides: { deletes: 'mark' } });
    expect(summary(back.changes)).toEqual(['update entity Carol Chen']);
    expect(stamp({ name: 'Carol Chen' }).stale_since).toBeUndefined();
  });
});

describe('the mass-delete guard', () => {
  const bulk = () => emulator.entities().filter((e) => e.name.startsWith('User '));
  beforeEach(async () => {
    // A 100-object scope (with the 5 of the fixture) losing a third of its objects.
    for (let i = 0; i < 95; i++) source.user(`u${i}`, `User ${i}`, ['Corp', 'People']);
    await sync('apply');
    for (let i = 0; i < 34; i++) source.users.delete(`u${i}`);
    source.user('new', 'User new', ['Corp', 'People']);
  });

  it('withholds deletes above maxDeletePercent, applies the rest, and fails the scope with a clear message', async () => {
    const { changes, report } = await sync('apply');
    const withheld = changes.filter((c) => c.action === 'withheld');
    expect(withheld).toHaveLength(34);
    expect(withheld[0]!.reason).toMatch(/34 of 100 owned objects \(34% > maxDeletePercent 20%\).*--allow-mass-delete/);
    expect(report.scopes[0]).toMatchObject({ status: 'failed', error: expect.stringMatching(/deletes withheld.*--allow-mass-delete/) });
    expect(bulk()).toHaveLength(96);
  });

  it('applies them with allowMassDelete', async () => {
    const { report } = await sync('apply', { allowMassDelete: true });
    expectOk(report);
    expect(report.totals.delete).toBe(34);
    expect(bulk()).toHaveLength(62);
  });

  it('lets a scope below 10 owned objects delete freely', async () => {
    emulator.reset();
    source = new ScriptedSource();
    for (let i = 0; i < 9; i++) source.user(`s${i}`, `User ${i}`, []);
    await sync('apply');
    for (let i = 0; i < 8; i++) source.users.delete(`s${i}`);
    const { report } = await sync('apply');
    expectOk(report);
    expect(report.totals.delete).toBe(8);
  });
});

describe('under faults', () => {
  it('converges: no key twice, and the next plan is empty', async () => {
    for (let i = 0; i < 30; i++) source.user(`u${i}`, `User ${i}`, ['Corp', 'People', `Team ${i % 3}`], i % 2 ? ['eng'] : ['all']);
    emulator.setFaults({ rate: 0.2, seed: 7, kinds: ['5xx-json', '5xx-html', '5xx-text', 'reset', 'apply-then-fail'] });
    let rounds = 0;
    let last: SyncReport | undefined;
    do {
      last = (await sync('apply')).report;
      rounds++;
    } while (last.scopes.some((s) => s.status !== 'ok') && rounds < 6);
    emulator.setFaults({ rate: 0, kinds: [] });
    expect(emulator.stats().faultsInjected).toBeGreaterThan(0);
    const keys = keysOf();
    expect(new Set(keys).size).toBe(keys.length);
    expect((await sync('plan')).changes).toEqual([]);
    const orgKeys = emulator.organizations().map((o) => `${o.parent_id}/${o.name}`);
    expect(new Set(orgKeys).size).toBe(orgKeys.length);
  });
});

describe('stopping a run (SIGINT, SIGTERM)', () => {
  it('lets writes in flight finish, starts no new ones, and the next run converges', async () => {
    for (let i = 0; i < 60; i++) source.user(`u${i}`, `User ${i}`, ['Corp', 'People'], ['all']);
    const controller = new AbortController();
    const seen = setInterval(() => {
      if ((emulator.stats().byRoute['POST /api/v1/entities'] ?? 0) >= 5) controller.abort();
    }, 1);
    emulator.setFaults({ rate: 1, kinds: ['slow'], slowMs: 20, methods: ['POST'] });
    const { report } = await sync('apply', { signal: controller.signal });
    clearInterval(seen);
    emulator.setFaults({ rate: 0, kinds: [] });
    expect(report.scopes[0]).toMatchObject({ status: 'failed', error: expect.stringMatching(/^interrupted/) });
    const created = emulator.entities().length;
    expect(created).toBeGreaterThan(0);
    expect(created).toBeLessThan(65);
    const { report: rerun } = await sync('apply');
    expectOk(rerun);
    const keys = keysOf();
    expect(keys).toHaveLength(65);
    expect(new Set(keys).size).toBe(65);
    expect((await sync('plan')).changes).toEqual([]);
  });
});

describe('a saved plan (diff --out, then apply)', () => {
  async function savedPlan() {
    const elder = createElderClient({ url: emulator.url, auth: { kind: 'login', email: 'admin@localhost.local', password: 'admin123' } });
    const report = await runSync({ config: config(), connectors: async () => source.connector(), mode: 'plan', log: silentLogger, statePath, elder });
    const plan = JSON.parse(JSON.stringify(planToJson(report)));
    report.close();
    await elder.close();
    return plan;
  }
  async function apply(plan: unknown) {
    const elder = createElderClient({ url: emulator.url, auth: { kind: 'login', email: 'admin@localhost.local', password: 'admin123' } });
    try {
      const report = await applyPlan({ config: config(), connectors: async () => source.connector(), log: silentLogger, statePath, elder, plan });
      report.close();
      return report;
    } finally {
      await elder.close();
    }
  }

  it('applies exactly the plan, after which nothing is left to do', async () => {
    const plan = await savedPlan();
    expect(writes()).toBe(0);
    const report = await apply(plan);
    expectOk(report);
    expect(report.totals.create).toBe(8);
    expect(emulator.entities()).toHaveLength(5);
    expect(emulator.dependencies()).toHaveLength(4);
    expect((await sync('plan')).changes).toEqual([]);
  });

  it('refuses, naming the objects, when Elder changed underneath it, and writes nothing', async () => {
    await sync('apply');
    source.user('bob', 'Bob Baker', ['Corp', 'People'], ['all'], 'robert@example.test');
    source.users.delete('carol');
    const plan = await savedPlan();
    const bob = emulator.entities().find((e) => e.name === 'Bob Baker')!;
    await fetch(`${emulator.url}/api/v1/entities/${bob.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ attributes: { ...(bob.metadata as object), email: 'edited-by-hand@example.test' } }),
    });
    const before = writes();
    await expect(apply(plan)).rejects.toMatchObject({
      code: 'PLAN_STALE',
      message: expect.stringContaining(`user "Bob Baker" (#${bob.id}): changed in Elder since the plan`),
    });
    expect(writes()).toBe(before);
    expect(emulator.entities().map((e) => e.name)).toContain('Carol Chen');
  });

  it('refuses a plan whose root organization was deleted since, without creating the root again', async () => {
    await sync('apply');
    source.users.delete('carol');
    const plan = await savedPlan();
    // Someone removes the source's tree, deepest organizations first (Elder refuses a parent with children).
    const organizations = emulator.organizations() as Array<{ id: number; name: string; parent_id: number | null }>;
    const depth = (o: { parent_id: number | null }): number => (o.parent_id === null ? 0 : 1 + depth(organizations.find((p) => p.id === o.parent_id)!));
    const root = organizations.find((o) => o.name === 'Directory')!;
    const below = (o: { id: number; parent_id: number | null }): boolean => o.id === root.id || (o.parent_id !== null && below(organizations.find((p) => p.id === o.parent_id)!));
    for (const o of organizations.filter(below).sort((a, b) => depth(b) - depth(a))) {
      expect((await fetch(`${emulator.url}/api/v1/organizations/${o.id}`, { method: 'DELETE' })).status).toBe(204);
    }
    const before = writes();
    await expect(apply(plan)).rejects.toMatchObject({ code: 'PLAN_STALE', message: expect.stringMatching(/"Carol Chen" \(#\d+\): no longer in Elder/) });
    expect(writes()).toBe(before);
    expect((emulator.organizations() as Array<{ name: string }>).map((o) => o.name)).toEqual(['Acme']);
  });

  it('refuses a plan whose creates were made by another run in the meantime', async () => {
    const plan = await savedPlan();
    await sync('apply');
    await expect(apply(plan)).rejects.toMatchObject({ code: 'PLAN_STALE', message: expect.stringMatching(/created in Elder since/) });
    const keys = keysOf();
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('refuses a document that is not a plan, or of another format version', async () => {
    await expect(apply({ hello: 'world' })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(apply({ ...(await savedPlan()), formatVersion: 9 })).rejects.toMatchObject({ message: expect.stringContaining('plan format 9 is not supported') });
  });
});

describe('adoption (--adopt)', () => {
  beforeEach(() => {
    // What the Python worker left: its own organization, its own names, no elder-sync stamp.
    const worker = emulator.seedOrganization({ name: 'LDAP: ldap.example.test' });
    emulator.seedEntity({ name: 'Alice Archer', entity_type: 'user', organization_id: worker.id, attributes: { email: 'alice@example.test', cn: 'Alice Archer', owner: 'team-x' } });
    emulator.seedEntity({ name: 'Bob B.', entity_type: 'user', organization_id: worker.id, attributes: { email: 'bob@example.test' } });
    emulator.seedEntity({ name: 'Someone else', entity_type: 'user', organization_id: worker.id, attributes: { email: 'zed@example.test' } });
  });

  it('plans adoptions of unowned entities matching a natural key instead of creations', async () => {
    const { changes } = await sync('plan', { adopt: true });
    expect(summary(changes).filter((l) => l.includes(' entity '))).toEqual([
      'adopt entity Alice Archer',
      'adopt entity Bob Baker',
      'create entity Carol Chen',
      'create entity all-staff',
      'create entity engineering',
    ]);
    expect(changes.find((c) => c.action === 'adopt' && c.name === 'Bob Baker')).toMatchObject({ reason: 'matched on email', before: { name: 'Bob B.' } });
  });

  it('takes ownership without duplicating, keeps what others wrote, and leaves non-matching entities alone', async () => {
    const { report } = await sync('apply', { adopt: true });
    expectOk(report);
    const users = emulator.entities().filter((e) => e.type === 'user' && (e.metadata as { email?: string } | null)?.email);
    expect(users.map((e) => e.name).sort()).toEqual(['Alice Archer', 'Bob Baker', 'Carol Chen', 'Someone else']);
    const alice = users.find((e) => e.name === 'Alice Archer')!;
    expect(alice.metadata).toMatchObject({ owner: 'team-x', uid: 'alice', elder_sync: { key: 'corp/user/alice' } });
    expect((users.find((e) => e.name === 'Someone else')!.metadata as object)).not.toHaveProperty('elder_sync');
    expect((await sync('plan', { adopt: true })).changes).toEqual([]);
  });

  it('creates as usual without --adopt', async () => {
    const { changes } = await sync('plan');
    expect(changes.filter((c) => c.action === 'adopt')).toEqual([]);
  });
});

describe('entity parents (parentExternalId)', () => {
  const parentOf = (name: string) => {
    const entity = emulator.entities().find((e) => e.name === name)!;
    return emulator.entities().find((e) => e.id === entity.parent_id)?.name ?? null;
  };

  it('sets parent_id, also for a parent read after its child, and a second run writes nothing', async () => {
    // carol is read before her parent dave (insertion order), bob after his parent alice.
    source.users.set('carol', { ...source.users.get('carol')!, parentExternalId: 'dave' });
    source.user('dave', 'Dave Dunn', ['Corp', 'People']);
    source.users.set('bob', { ...source.users.get('bob')!, parentExternalId: 'alice' });
    const { report } = await sync('apply');
    expectOk(report);
    expect(parentOf('Carol Chen')).toBe('Dave Dunn');
    expect(parentOf('Bob Baker')).toBe('Alice Archer');
    const before = writes();
    expect((await sync('apply')).changes).toEqual([]);
    expect(writes()).toBe(before);
  });

  it('follows a parent change and shows it in the plan', async () => {
    source.users.set('bob', { ...source.users.get('bob')!, parentExternalId: 'alice' });
    await sync('apply');
    source.users.set('bob', { ...source.users.get('bob')!, parentExternalId: 'carol' });
    const { changes, report } = await sync('apply');
    expectOk(report);
    expect(changes.map((c) => [c.action, c.name, c.before?.parent, c.after?.parent])).toEqual([
      ['update', 'Bob Baker', 'corp/user/alice', 'corp/user/carol'],
    ]);
    expect(parentOf('Bob Baker')).toBe('Carol Chen');
  });
});


describe('scopes discovered at run time', () => {
  it('a part that could not be discovered fails as a scope of its own, naming why, and the rest syncs', async () => {
    const discovering = (): ConnectorDefinition<unknown> => ({
      ...source.connector(),
      scopes: async () => ({
        scopes: [{ id: 'dir', label: 'scripted directory' }],
        failed: [{ id: '222222222222', label: 'account staging', error: new SourceAuthError('cannot assume arn:aws:iam::222222222222:role/reader') }],
      }),
    });
    const { report } = await sync('apply', { connectors: async () => discovering() });
    const byScope = Object.fromEntries(report.scopes.map((s) => [s.scope, s]));
    expect(byScope['dir']).toMatchObject({ status: 'ok' });
    expect(byScope['222222222222']).toMatchObject({
      status: 'failed',
      label: 'account staging',
      error: 'discovery: cannot assume arn:aws:iam::222222222222:role/reader',
    });
    expect(keysOf().length).toBeGreaterThan(0);
  });
});
