import { startElderEmulator, startNatsServer, type ElderEmulator, type NatsPeer } from '@elder-sync/testkit';
import { defineConnector, elderSyncConfigSchema, runSync, silentLogger, type ConnectorDefinition, type ReadItem } from '@elder-sync/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { dispatchRun } from './dispatcher.js';
import { KvStateStore } from './kv-state.js';
import { runWorker, type WorkerSummary } from './worker.js';

/**
 * A dispatcher and three workers over a real nats-server (JetStream, KV), writing into the Elder
 * emulator: 10 accounts × 4 regions = 40 units, each below its account's organization.
 */
const ACCOUNTS = Array.from({ length: 10 }, (_, i) => `acct-${i}`);
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-south-1'];
const behaviour = { failScope: null as string | null, slowMs: 0, accounts: ACCOUNTS.length, scopePrefix: '', formerPrefix: null as string | null };

const estate: ConnectorDefinition<unknown> = defineConnector({
  apiVersion: 1,
  id: 'estate',
  configSchema: z.object({}),
  kinds: { vm: { target: 'entity', entityType: 'compute', subType: 'virtual_machine' } },
  scopes: () =>
    ACCOUNTS.slice(0, behaviour.accounts).flatMap((a) =>
      REGIONS.map((r) => ({
        id: `${behaviour.scopePrefix}${a}/${r}`,
        label: `${a} ${r}`,
        params: { account: a, region: r },
        ...(behaviour.formerPrefix === null ? {} : { formerIds: [`${behaviour.formerPrefix}${a}/${r}`] }),
      })),
    ),
  testConnection: async () => [{ name: 'reachable', ok: true }],
  async *read({ scope }): AsyncIterable<ReadItem> {
    if (scope.id === behaviour.failScope) throw new Error(`region ${scope.id} is on fire`);
    const { account, region } = scope.params as { account: string; region: string };
    for (let i = 0; i < 3; i++) {
      if (behaviour.slowMs) await new Promise((r) => setTimeout(r, behaviour.slowMs));
      yield { type: 'record', record: { kind: 'vm', externalId: `${account}/${region}/i-${i}`, name: `vm-${account}-${region}-${i}`, attributes: { size: 'small' }, organizationPath: [account, region] } };
    }
    yield { type: 'checkpoint', cursor: 'done' };
  },
});

let nats: NatsPeer;
let elder: ElderEmulator;
beforeAll(async () => {
  nats = await startNatsServer();
  elder = await startElderEmulator();
});
afterAll(async () => {
  await elder?.close();
  await nats?.stop();
});
beforeEach(() => {
  elder.reset();
  behaviour.failScope = null;
  behaviour.slowMs = 0;
  behaviour.accounts = ACCOUNTS.length;
  behaviour.scopePrefix = '';
  behaviour.formerPrefix = null;
});

const config = () =>
  elderSyncConfigSchema.parse({
    elder: { url: elder.url, email: 'admin@localhost.local', password: 'admin123', organization: { path: ['Acme', 'Cloud'] } },
    state: { url: nats.url },
    nats: { servers: [nats.url] },
    sources: [{ name: 'aws', connector: 'estate' }],
  });
const connectors = async () => estate;

/** Elder's content by names and paths (ids differ between runs). */
function snapshot(): string[] {
  const orgs = new Map(elder.organizations().map((o) => [o['id'], o]));
  const path = (id: unknown): string => {
    const o = orgs.get(id);
    return o ? `${path(o['parent_id'])}/${String(o['name'])}` : '';
  };
  return [...[...orgs.keys()].map((id) => `org ${path(id)}`), ...elder.entities().map((e) => `vm ${path(e['organization_id'])}/${String(e['name'])}`)].sort();
}

function startWorkers(count: number, options: { maxAttempts?: number } = {}) {
  const stop = new AbortController();
  const done: Promise<WorkerSummary>[] = [];
  for (let i = 0; i < count; i++) {
    done.push(
      runWorker({
        config: config(),
        connectors,
        log: silentLogger,
        nats: { config: config().nats, name: `test worker ${i}` },
        concurrency: 2,
        maxAttempts: options.maxAttempts ?? 3,
        leaseMs: 6_000,
        retryDelayMs: () => 100,
        signal: stop.signal,
      }),
    );
  }
  return { drain: async () => (stop.abort(), Promise.all(done)) };
}

const dispatch = (mode: 'apply' | 'plan' = 'apply') =>
  dispatchRun({ config: config(), connectors, sources: [], log: silentLogger, nats: { config: config().nats, name: 'test dispatcher' }, mode, leaseMs: 6_000 });

describe('run --dispatch with three workers', () => {
  it('leaves Elder exactly as a local run does; a second dispatch writes nothing (state in JetStream KV)', async () => {
    const local = await runSync({ config: { ...config(), state: { path: ':memory:' } }, connectors, mode: 'apply', log: silentLogger });
    const localCreates = local.totals.create;
    local.close();
    const expected = snapshot();
    expect(expected.filter((l) => l.startsWith('vm')).length).toBe(120);
    elder.reset();

    const workers = startWorkers(3);
    try {
      const first = await dispatch();
      expect(first.units).toBe(40);
      expect(first.report!.scopes.filter((s) => s.status !== 'ok')).toEqual([]);
      // Two units of one account may both plan its organization: the one that made it counts it.
      expect(first.report!.totals.create).toBe(localCreates);
      expect(snapshot()).toEqual(expected);

      // Every unit's checkpoint and mappings are in the KV bucket, where any worker finds them.
      const { connect } = await import('@nats-io/transport-node');
      const nc = await connect({ servers: nats.url });
      try {
        expect((await (await KvStateStore.open(nc)).scopes()).length).toBe(40);
      } finally {
        await nc.close();
      }

      const writes = elder.stats().writes;
      const second = await dispatch();
      expect(second.report!.totals).toMatchObject({ create: 0, update: 0, delete: 0, unchanged: 120 });
      expect(elder.stats().writes).toBe(writes);
    } finally {
      const summaries = await workers.drain();
      // The work was shared: more than one worker ran units.
      expect(summaries.filter((s) => s.units > 0).length).toBeGreaterThan(1);
    }
  });

  it("a scope its connector renamed (formerIds) takes over the old id's state in JetStream KV: nothing written, the old keys gone", async () => {
    behaviour.scopePrefix = 'v1:';
    const workers = startWorkers(3);
    const { connect } = await import('@nats-io/transport-node');
    const nc = await connect({ servers: nats.url });
    const keysOf = async (prefix: string) => {
      const token = Buffer.from(`${prefix}acct-`).toString('base64url').slice(0, 4);
      return (await (await KvStateStore.open(nc)).scopes()).filter((key) => key.split('.')[2]!.startsWith(token));
    };
    try {
      expect((await dispatch()).report!.scopes.filter((s) => s.status !== 'ok')).toEqual([]);
      expect(await keysOf('v1:')).toHaveLength(40);

      behaviour.scopePrefix = 'v2:';
      behaviour.formerPrefix = 'v1:';
      const writes = elder.stats().writes;
      const renamed = await dispatch();
      expect(renamed.report!.scopes.filter((s) => s.status !== 'ok')).toEqual([]);
      expect(renamed.report!.totals).toMatchObject({ create: 0, update: 0, delete: 0, unchanged: 120 });
      expect(elder.stats().writes).toBe(writes);
      expect(await keysOf('v2:')).toHaveLength(40);
      expect(await keysOf('v1:')).toEqual([]);
    } finally {
      await nc.close();
      await workers.drain();
    }
  });

  it("a dispatched plan counts an organization that several units plan once (an account's four regions), as a local plan does", async () => {
    const local = await runSync({ config: { ...config(), state: { path: ':memory:' } }, connectors, mode: 'plan', log: silentLogger });
    const localTotals = local.totals;
    const localScopeCreates = local.scopes.reduce((n, s) => n + s.counts.create, 0);
    local.close();
    // 120 VMs, 40 region and 10 account organizations below the two planned roots.
    expect(localTotals.create).toBe(172);

    const workers = startWorkers(3);
    try {
      const { report } = await dispatch('plan');
      expect(report!.scopes.filter((s) => s.status !== 'ok')).toEqual([]);
      expect(report!.totals).toEqual(localTotals);
      expect(report!.scopes.reduce((n, s) => n + s.counts.create, 0)).toBe(localScopeCreates);
      // Each account's organization is counted by exactly one of its regions.
      for (const account of ACCOUNTS) {
        const creates = report!.scopes.filter((s) => s.scope.startsWith(`${account}/`)).map((s) => s.counts.create);
        expect(creates.sort()).toEqual([4, 4, 4, 5]);
      }
      expect(elder.stats().writes).toBe(0);
    } finally {
      await workers.drain();
    }
  });

  it('a unit that always fails goes to the dead-letter subject after its attempts; the others finish; the summary names it', async () => {
    behaviour.failScope = 'acct-3/eu-west-1';
    const workers = startWorkers(3, { maxAttempts: 2 });
    try {
      const { report, runId } = await dispatch();
      const failed = report!.scopes.filter((s) => s.status === 'failed');
      expect(failed.map((s) => s.scope)).toEqual(['acct-3/eu-west-1']);
      expect(failed[0]!.error).toContain('region acct-3/eu-west-1 is on fire');
      expect(report!.scopes.filter((s) => s.status === 'ok').length).toBe(39);
      const { connect } = await import('@nats-io/transport-node');
      const { jetstream } = await import('@nats-io/jetstream');
      const nc = await connect({ servers: nats.url });
      try {
        const dead = await jetstream(nc).consumers.get('ELDER_SYNC_DEAD', { filter_subjects: `elder-sync.dead.${runId}` });
        const msg = await dead.next({ expires: 2000 });
        expect(msg?.json()).toMatchObject({ attempts: 2, unit: { source: 'aws', scope: { id: 'acct-3/eu-west-1' } }, error: expect.stringContaining('on fire') });
      } finally {
        await nc.close();
      }
    } finally {
      await workers.drain();
    }
  });

  it('the same units dispatched twice at once: a unit whose key is taken waits for it, rather than using up its attempts', async () => {
    // One account (4 units) of about a second each, 6 worker slots: the second run's first units are
    // fetched while the first run holds their keys. With one attempt, a hand-back would dead-letter them.
    behaviour.accounts = 1;
    behaviour.slowMs = 300;
    const workers = startWorkers(3, { maxAttempts: 1 });
    let summaries: WorkerSummary[] = [];
    try {
      const [first, second] = await Promise.all([dispatch(), dispatch()]);
      for (const run of [first, second]) {
        expect(run.report!.scopes.filter((s) => s.status !== 'ok').map((s) => `${s.scope}: ${s.error}`)).toEqual([]);
        expect(run.report!.scopes).toHaveLength(4);
      }
      const vms = snapshot().filter((l) => l.startsWith('vm'));
      expect(vms).toHaveLength(12);
    } finally {
      summaries = await workers.drain();
    }
    expect(summaries.reduce((n, s) => n + s.dead, 0)).toBe(0);
  });

  it('a nats-server restart mid-run: workers and dispatcher reconnect, the run completes, nothing lost or doubled', async () => {
    behaviour.slowMs = 40;
    const workers = startWorkers(3);
    try {
      const run = dispatch();
      await new Promise((r) => setTimeout(r, 1_500));
      await nats.restart();
      const { report } = await run;
      expect(report!.scopes.filter((s) => s.status !== 'ok').map((s) => `${s.scope}: ${s.error}`)).toEqual([]);
      const vms = snapshot().filter((l) => l.startsWith('vm'));
      expect(vms.length).toBe(120);
      expect(new Set(vms).size).toBe(120);
    } finally {
      await workers.drain();
    }
  });
});
