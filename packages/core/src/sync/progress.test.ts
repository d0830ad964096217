import { startElderEmulator, type ElderEmulator } from '@elder-sync/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { elderSyncConfigSchema } from '../config/schema.js';
import { defineConnector } from '../connector.js';
import { createElderClient } from '../elder/client.js';
import type { ElderRequestEvent } from '../elder/types.js';
import { silentLogger } from '../logger.js';
import type { ProgressEvent } from './progress.js';
import { runSync } from './run-sync.js';

/** The engine's hooks for progress rows and metrics: running totals that end at the report's counts. */

let emulator: ElderEmulator;
beforeAll(async () => {
  emulator = await startElderEmulator({ staticTokens: ['progress-token'] });
});
afterAll(async () => emulator.close());

const USERS = 25;
const connector = defineConnector({
  apiVersion: 1,
  id: 'people',
  configSchema: z.object({}),
  kinds: { user: { target: 'entity', entityType: 'user', subType: 'person' } },
  scopes: () => [{ id: 'dir', label: 'people directory' }],
  testConnection: async () => [],
  async *read() {
    for (let i = 0; i < USERS; i++) {
      yield { type: 'record' as const, record: { kind: 'user', externalId: `u${i}`, name: `User ${i}`, attributes: { n: i } } };
    }
  },
});

describe('SyncOptions.onProgress and the Elder client observer', () => {
  it('report scope start, every record read, the plan, and writes as they land; HTTP exchanges by route', async () => {
    const config = elderSyncConfigSchema.parse({
      elder: { url: emulator.url, token: 'progress-token' },
      sources: [{ name: 'people', connector: 'people' }],
    });
    const requests: ElderRequestEvent[] = [];
    const elder = createElderClient({ url: emulator.url, auth: { kind: 'token', token: 'progress-token' }, observer: (e) => requests.push(e) });
    const events: ProgressEvent[] = [];
    const report = await runSync({
      config,
      connectors: async () => connector,
      mode: 'apply',
      log: silentLogger,
      statePath: ':memory:',
      elder,
      onProgress: (e) => events.push(e),
    });
    report.close();
    await elder.close();

    // Step 1 first: the index of what the source owns (nothing yet), begun and complete.
    const start = events.findIndex((e) => e.type === 'scope-start');
    expect(events[0]).toEqual({ type: 'index', source: 'people', indexed: 0, state: 'indexing' });
    expect(events[start - 1]).toEqual({ type: 'index', source: 'people', indexed: 0, state: 'indexed' });
    expect(events[start]).toEqual({ type: 'scope-start', source: 'people', scope: 'dir', label: 'people directory', expected: 0 });
    const reads = events.filter((e) => e.type === 'read').map((e) => e.read);
    expect(reads).toEqual(Array.from({ length: USERS }, (_, i) => i + 1));
    const planned = events.find((e) => e.type === 'planned');
    expect(planned).toMatchObject({ counts: { read: USERS, create: USERS } });
    const applied = events.filter((e) => e.type === 'applied');
    // Totals only grow, and the last one is what the report says was done.
    expect(applied.map((e) => e.create)).toEqual([...applied.map((e) => e.create)].sort((a, b) => a - b));
    expect(applied.at(-1)).toMatchObject({ create: report.scopes[0]!.counts.create, errors: 0 });
    expect(report.scopes[0]!.counts.create).toBeGreaterThanOrEqual(USERS);
    // The observer saw every request the client counted, under id-free route labels.
    expect(requests).toHaveLength(report.elder.reads + report.elder.writes);
    expect(requests.filter((r) => r.method === 'POST' && r.route === '/api/v1/entities')).toHaveLength(USERS);
    expect(requests.every((r) => !/\d/.test(r.route.replace('/api/v1', '')) && !r.route.includes('?'))).toBe(true);
    expect(requests.every((r) => r.durationMs >= 0 && r.throttled === (r.status === 429))).toBe(true);
  });

  it('report the index as it fills, a page at a time, before any scope starts', async () => {
    const config = elderSyncConfigSchema.parse({
      elder: { url: emulator.url, token: 'progress-token' },
      sources: [{ name: 'again', connector: 'people' }],
    });
    const run = async () => {
      const events: ProgressEvent[] = [];
      const report = await runSync({ config, connectors: async () => connector, mode: 'apply', log: silentLogger, statePath: ':memory:', onProgress: (e) => events.push(e) });
      report.close();
      return events;
    };
    await run();
    // The second run indexes what the first wrote.
    const events = await run();
    const index = events.filter((e) => e.type === 'index');
    expect(index[0]).toEqual({ type: 'index', source: 'again', indexed: 0, state: 'indexing' });
    expect(index).toContainEqual({ type: 'index', source: 'again', indexed: USERS, state: 'indexing' });
    expect(index.at(-1)).toEqual({ type: 'index', source: 'again', indexed: USERS, state: 'indexed' });
    expect(index.filter((e) => e.state !== 'indexing')).toHaveLength(1);
    const totals = index.map((e) => e.indexed);
    expect(totals).toEqual([...totals].sort((a, b) => a - b));
    expect(events.lastIndexOf(index.at(-1)!)).toBeLessThan(events.findIndex((e) => e.type === 'scope-start'));
  });

  it('report an index that Elder failed as failed, not as still going', async () => {
    const config = elderSyncConfigSchema.parse({
      elder: { url: emulator.url, token: 'progress-token' },
      sources: [{ name: 'down', connector: 'people' }],
    });
    const client = createElderClient({ url: emulator.url, auth: { kind: 'token', token: 'progress-token' } });
    const elder = Object.assign(Object.create(client) as typeof client, {
      listEntitiesPage: async () => {
        throw new Error('Elder answered 503');
      },
    });
    const events: ProgressEvent[] = [];
    const report = await runSync({ config, connectors: async () => connector, mode: 'apply', log: silentLogger, statePath: ':memory:', elder, onProgress: (e) => events.push(e) });
    report.close();
    await client.close();
    expect(events.filter((e) => e.type === 'index')).toEqual([
      { type: 'index', source: 'down', indexed: 0, state: 'indexing' },
      { type: 'index', source: 'down', indexed: 0, state: 'failed' },
    ]);
    expect(report.scopes.map((s) => s.status)).toEqual(['failed']);
  });
});
