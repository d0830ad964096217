import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startElderEmulator, type ElderEmulator } from '@elder-sync/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { elderSyncConfigSchema } from '../config/schema.js';
import { defineConnector, type ConnectorDefinition, type Scope } from '../connector.js';
import { createElderClient } from '../elder/client.js';
import { SourceError } from '../errors.js';
import { silentLogger } from '../logger.js';
import { StateStore } from '../state/store.js';
import type { ReadItem } from '../record.js';
import { STAMP_ATTRIBUTE } from './projection.js';
import { runSync } from './run-sync.js';
import type { SyncOptions } from './types.js';

/**
 * A model of a source whose scopes are discovered at run time, like cloud accounts: each account is
 * a scope holding a few servers under an organization of its own name. Tests add and remove
 * accounts, and make some undiscoverable.
 */
class ModelCloud {
  accounts = new Map<string, string[]>();
  /** Accounts that exist but cannot be listed (a role that cannot be assumed). */
  unreachable = new Set<string>();
  reads: string[] = [];

  account(id: string, servers: number) {
    this.accounts.set(id, Array.from({ length: servers }, (_, i) => `${id}-vm${i}`));
  }

  connector(): ConnectorDefinition<unknown> {
    const self = this;
    return defineConnector({
      apiVersion: 1,
      id: 'model-cloud',
      configSchema: z.object({}),
      kinds: { server: { target: 'entity', entityType: 'compute', subType: 'virtual_machine' } },
      // Discovery returns what it could list and names what it could not (the SDK's ScopeDiscovery).
      scopes: (() => ({
        scopes: [...self.accounts.keys()].filter((id) => !self.unreachable.has(id)).sort().map((id): Scope => ({ id, label: `account ${id}` })),
        failed: [...self.unreachable].sort().map((id) => ({ id, label: `account ${id}`, error: new SourceError(`cannot assume the role in ${id}`, { code: 'SOURCE_AUTH' }) })),
      })),
      testConnection: async () => [],
      async *read({ scope }): AsyncIterable<ReadItem> {
        self.reads.push(scope.id);
        for (const server of self.accounts.get(scope.id) ?? []) {
          yield { type: 'record', record: { kind: 'server', externalId: server, name: server, attributes: { account: scope.id }, organizationPath: [scope.id] } };
        }
      },
    });
  }
}

let emulator: ElderEmulator;
let cloud: ModelCloud;
let stateDir: string;
let statePath: string;
let files = 0;

beforeAll(async () => {
  emulator = await startElderEmulator();
  stateDir = mkdtempSync(join(tmpdir(), 'elder-sync-scopes-'));
});
afterAll(async () => {
  await emulator.close();
  rmSync(stateDir, { recursive: true, force: true });
});
beforeEach(() => {
  emulator.reset();
  cloud = new ModelCloud();
  statePath = join(stateDir, `state-${++files}.db`);
});

async function sync(mode: SyncOptions['mode'], extra: Partial<SyncOptions> & { concurrency?: number } = {}) {
  const { concurrency = 4, ...rest } = extra;
  const elder = createElderClient({
    url: emulator.url,
    auth: { kind: 'login', email: 'admin@localhost.local', password: 'admin123' },
    backoffBaseMs: 1,
    backoffMaxMs: 5,
    concurrency,
  });
  try {
    const report = await runSync({
      config: elderSyncConfigSchema.parse({
        elder: { url: emulator.url, email: 'admin@localhost.local', password: 'admin123', organization: { path: ['Cloud'] }, concurrency },
        sources: [{ name: 'cloud', connector: 'model-cloud', concurrency: 4 }],
      }),
      connectors: async () => cloud.connector(),
      mode,
      log: silentLogger,
      statePath,
      elder,
      ...rest,
    });
    const changes = [...report.changes()];
    report.close();
    return { report, changes, reads: elder.stats.reads };
  } finally {
    await elder.close();
  }
}

const serversInElder = () =>
  emulator
    .entities()
    .map((e) => ((e.metadata ?? e.attributes) as Record<string, { key?: string }> | null)?.[STAMP_ATTRIBUTE]?.key)
    .filter((k): k is string => typeof k === 'string')
    .sort();

describe('scopes discovered at run time', () => {
  it('reports each part discovery could not list as a failed scope, and syncs the others', async () => {
    cloud.account('a1', 2);
    cloud.account('a2', 2);
    cloud.unreachable.add('a2');
    const { report } = await sync('apply');
    const byScope = Object.fromEntries(report.scopes.map((s) => [s.scope, s]));
    expect(byScope.a1?.status).toBe('ok');
    expect(byScope.a2?.status).toBe('failed');
    expect(byScope.a2?.error).toMatch(/discovery: cannot assume the role in a2/);
    expect(serversInElder()).toEqual(['cloud/server/a1-vm0', 'cloud/server/a1-vm1']);
  });

  it('never deletes the objects of a scope because its discovery failed', async () => {
    cloud.account('a1', 2);
    cloud.account('a2', 12);
    await sync('apply');
    cloud.unreachable.add('a2');
    const { report, changes } = await sync('apply', { allowMassDelete: true });
    expect(changes.filter((c) => c.action !== 'create')).toEqual([]);
    expect(report.scopes.find((s) => s.scope === 'a2')?.status).toBe('failed');
    expect(serversInElder()).toHaveLength(14);
  });

  it('withholds the removal of a vanished scope as a mass delete, and applies it with --allow-mass-delete', async () => {
    cloud.account('a1', 2);
    cloud.account('gone', 3);
    await sync('apply');
    cloud.accounts.delete('gone');

    const planned = await sync('plan');
    const goneChanges = planned.changes.filter((c) => c.scope === 'gone');
    expect(goneChanges.map((c) => [c.key, c.action])).toEqual([
      ['cloud/@org/gone', 'withheld'],
      ['cloud/server/gone-vm0', 'withheld'],
      ['cloud/server/gone-vm1', 'withheld'],
      ['cloud/server/gone-vm2', 'withheld'],
    ]);
    expect(goneChanges[0]!.reason).toMatch(/scope "gone" is no longer in the source: would remove its 4 owned object\(s\); rerun with --allow-mass-delete/);
    const goneScope = planned.report.scopes.find((s) => s.scope === 'gone')!;
    expect(goneScope).toMatchObject({ status: 'failed', label: 'gone (no longer in the source)' });
    expect(goneScope.counts.withheld).toBe(4);

    // Removing what a vanished scope left is a source-wide step: shard 1's, never another shard's.
    expect((await sync('plan', { shard: { index: 2, count: 2 } })).changes.filter((c) => c.scope === 'gone')).toEqual([]);
    // (Its entities: the organization's mapping is in the state file of the shard that created it.)
    expect((await sync('plan', { shard: { index: 1, count: 2 } })).changes.filter((c) => c.scope === 'gone')).toHaveLength(3);

    // Without the flag a run withholds them too: nothing is deleted, the run fails.
    const guarded = await sync('apply');
    expect(guarded.report.scopes.find((s) => s.scope === 'gone')?.status).toBe('failed');
    expect(serversInElder()).toHaveLength(5);

    const allowed = await sync('apply', { allowMassDelete: true });
    const deletes = allowed.changes.filter((c) => c.scope === 'gone');
    expect(deletes.map((c) => [c.target, c.action, c.reason])).toEqual([
      ['organization', 'delete', 'scope "gone" is no longer in the source'],
      ['entity', 'delete', 'scope "gone" is no longer in the source'],
      ['entity', 'delete', 'scope "gone" is no longer in the source'],
      ['entity', 'delete', 'scope "gone" is no longer in the source'],
    ]);
    expect(allowed.report.scopes.find((s) => s.scope === 'gone')?.status).toBe('ok');
    expect(serversInElder()).toEqual(['cloud/server/a1-vm0', 'cloud/server/a1-vm1']);
    expect(emulator.organizations().map((o) => o.name)).not.toContain('gone');

    // Gone is gone: the next run has nothing left of it.
    const after = await sync('plan');
    expect(after.changes).toEqual([]);
    expect(after.report.scopes.map((s) => s.scope)).toEqual(['a1']);
  });

  it("never deletes someone else's organization for a vanished scope whose path organization an old state file names by a reused id", async () => {
    cloud.account('a1', 1);
    cloud.account('gone', 1);
    await sync('apply');
    // Elder was rebuilt and its ids reused: the state file's organization of "gone" (a mapping from
    // before paths were kept, hash null) now names an empty organization of someone else.
    const root = emulator.organizations().find((o) => o.name === 'Cloud')!;
    const theirs = emulator.seedOrganization({ name: 'theirs', parent_id: root.id as number });
    const state = StateStore.open(statePath);
    const mapping = [...state.mappings('cloud', 'gone', 'organization')].find((m) => m.key === 'cloud/@org/gone')!;
    state.putMapping({ ...mapping, elderId: theirs.id as number, hash: null });
    state.close();
    cloud.accounts.delete('gone');

    const { changes, report } = await sync('apply', { allowMassDelete: true });
    expect(changes.filter((c) => c.target === 'organization')).toEqual([]);
    expect(report.scopes.find((s) => s.scope === 'gone')?.status).toBe('ok');
    expect(emulator.organizations().find((o) => o.id === theirs.id)).toMatchObject({ name: 'theirs' });
  });
});

describe('a unit of work (SyncOptions.scopes, a worker\'s unit)', () => {
  it('reads, plans and deletes only among its own scopes, and never takes the others for vanished', async () => {
    cloud.account('a1', 2);
    cloud.account('a2', 2);
    await sync('apply');
    cloud.accounts.set('a1', ['a1-vm0']);
    cloud.accounts.set('a2', ['a2-vm0']);
    cloud.reads = [];
    const { report, changes } = await sync('apply', { scopes: { cloud: [{ id: 'a1', label: 'account a1' }] } });
    expect(cloud.reads).toEqual(['a1']);
    expect(report.scopes.map((s) => [s.scope, s.status])).toEqual([['a1', 'ok']]);
    expect(changes.map((c) => [c.key, c.action])).toEqual([['cloud/server/a1-vm1', 'delete']]);
    expect(serversInElder()).toEqual(['cloud/server/a1-vm0', 'cloud/server/a2-vm0', 'cloud/server/a2-vm1']);
  });
});

describe('the index at scale', () => {
  it('a no-change run over 300 scopes reads Elder a few times, not once per organization', async () => {
    for (let i = 0; i < 300; i++) cloud.account(`acct${String(i).padStart(3, '0')}`, i % 10 === 0 ? 3 : 0);
    const first = await sync('apply');
    expect(first.report.totals.create).toBe(1 + 30 + 90);
    emulator.resetStats();
    const again = await sync('apply');
    expect(again.changes).toEqual([]);
    // The organization tree (one page), one listing of the type, and nothing per organization.
    expect(emulator.stats()).toMatchObject({ reads: 2, writes: 0 });
  });

  it('a small source in a large Elder lists its own organizations, not the whole type', async () => {
    const other = emulator.seedOrganization({ name: 'Someone else' });
    for (let i = 0; i < 2500; i++) emulator.seedEntity({ name: `other ${i}`, entity_type: 'compute', organization_id: other.id as number });
    cloud.account('a1', 2);
    await sync('apply');
    emulator.resetStats();
    const again = await sync('apply');
    expect(again.changes).toEqual([]);
    // The tree, the first page of the type across Elder (3 pages: more than 3 organizations), then
    // the slices of Cloud and Cloud / a1.
    expect(emulator.stats()).toMatchObject({ reads: 4, writes: 0 });
  });
});
