import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startElderEmulator, type ElderEmulator } from '@elder-sync/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { elderSyncConfigSchema } from '../config/schema.js';
import { defineConnector } from '../connector.js';
import { createElderClient } from '../elder/client.js';
import { silentLogger } from '../logger.js';
import type { SourceRecord } from '../record.js';
import { runSync } from './run-sync.js';

/**
 * A source read page by page, like a cloud API: between two pages the read waits (`between`), and
 * a test looks at what Elder holds meanwhile.
 */
let pages: SourceRecord[][];
let between: (page: number) => Promise<void>;
/** Called before each record is yielded, without waiting (a source whose page is in memory). */
let each: () => void;

const connector = defineConnector({
  apiVersion: 1,
  id: 'paged',
  configSchema: z.object({}),
  kinds: {
    ou: { target: 'organization' },
    user: { target: 'entity', entityType: 'user', subType: 'person' },
  },
  scopes: () => [{ id: 'all', label: 'paged source' }],
  testConnection: async () => [],
  async *read() {
    for (const [i, page] of pages.entries()) {
      if (i > 0) await between(i);
      for (const record of page) {
        each();
        yield { type: 'record', record };
      }
    }
    yield { type: 'checkpoint', cursor: 'end' };
  },
});

const user = (id: string, path: string[], extra: Partial<SourceRecord> = {}): SourceRecord => ({
  kind: 'user',
  externalId: id,
  name: `User ${id}`,
  attributes: { uid: id },
  organizationPath: path,
  ...extra,
});
const users = (from: number, to: number, path: string[]) => Array.from({ length: to - from }, (_, i) => user(`u${from + i}`, path));
const ou = (id: string, path: string[]): SourceRecord => ({ kind: 'ou', externalId: id, name: path[path.length - 1]!, attributes: {}, organizationPath: path.slice(0, -1) });

let emulator: ElderEmulator;
let stateDir: string;
let statePath: string;
let runs = 0;

beforeAll(async () => {
  emulator = await startElderEmulator();
  stateDir = mkdtempSync(join(tmpdir(), 'elder-sync-early-'));
});
afterAll(async () => {
  await emulator.close();
  rmSync(stateDir, { recursive: true, force: true });
});
beforeEach(() => {
  emulator.reset();
  statePath = join(stateDir, `state-${++runs}.db`);
  between = async () => {};
  each = () => {};
});

async function sync(on: ElderEmulator = emulator) {
  const elder = createElderClient({ url: on.url, auth: { kind: 'login', email: 'admin@localhost.local', password: 'admin123' } });
  try {
    const report = await runSync({
      config: elderSyncConfigSchema.parse({
        elder: { url: on.url, email: 'admin@localhost.local', password: 'admin123', organization: { path: ['Acme'] } },
        sources: [{ name: 'src', connector: 'paged' }],
      }),
      connectors: async () => connector,
      mode: 'apply',
      log: silentLogger,
      statePath,
      elder,
    });
    report.close();
    return report;
  } finally {
    await elder.close();
  }
}

const writes = () => emulator.stats().writes;
/** Keeps the event loop busy for `ms`, letting I/O in every few milliseconds (as a fast read does). */
async function busy(ms: number) {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((resolve) => setImmediate(resolve))) {
    for (const slice = Date.now() + 5; Date.now() < slice; );
  }
}
const people = (on: ElderEmulator = emulator) => on.entities().filter((e) => e.type === 'user');
const organizationsNamed = (name: string) => emulator.organizations().filter((o) => o.name === name);
/** Polls `check` until it holds or `ms` passed; whether it held. */
async function eventually(check: () => boolean, ms = 2000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(5)) if (check()) return true;
  return check();
}

describe('run writes while the source is still being read', () => {
  it("writes a page's records while the next page is being read; every object once, and a second run writes nothing", async () => {
    pages = [users(0, 5, ['People']), users(5, 10, ['People']), users(10, 15, ['People'])];
    const inElderDuringRead: boolean[] = [];
    between = async () => void inElderDuringRead.push(await eventually(() => people().length > 0));
    const report = await sync();
    expect(report.scopes.map((s) => s.status)).toEqual(['ok']);
    expect(inElderDuringRead).toEqual([true, true]);
    expect(people().map((e) => e.name).sort()).toEqual(Array.from({ length: 15 }, (_, i) => `User u${i}`).sort());
    // Root, People and 15 users: one write each, counted once.
    expect(report.totals.create).toBe(17);
    expect(writes()).toBe(17);
    between = async () => {};
    const again = await sync();
    expect(again.totals).toMatchObject({ create: 0, update: 0, delete: 0, unchanged: 15 });
    expect(writes()).toBe(17);
  });

  it('writes nothing early while the read keeps the process busy (a fast source): all is written after it', async () => {
    pages = [[ou('people', ['People'])], users(0, 5, ['People']), []];
    let duringRead: number | null = null;
    between = async (page) => {
      await busy(300);
      if (page === 2) duringRead = people().length;
    };
    const report = await sync();
    expect(report.scopes.map((s) => s.status)).toEqual(['ok']);
    expect(duringRead).toBe(0);
    expect(people()).toHaveLength(5);
  });

  it('writes during a busy read when Elder is far: a write mostly waits on Elder, so the two overlap', async () => {
    const far = await startElderEmulator({ latencyMs: 25 });
    try {
      pages = [[ou('people', ['People'])], users(0, 5, ['People']), []];
      let duringRead: number | null = null;
      between = async (page) => {
        await busy(300);
        if (page === 2) duringRead = people(far).length;
      };
      const report = await sync(far);
      expect(report.scopes.map((s) => s.status)).toEqual(['ok']);
      expect(duringRead).toBe(5);
      expect(far.stats().writes).toBe(7);
    } finally {
      await far.close();
    }
  });

  it('gives Elder its turns while a source yields records without ever waiting (a page in memory)', async () => {
    pages = [users(0, 300, ['People']), []];
    each = () => {
      for (const end = performance.now() + 1; performance.now() < end; );
    };
    let duringRead: number | null = null;
    between = async () => void (duringRead = people().length);
    const report = await sync();
    expect(report.scopes.map((s) => s.status)).toEqual(['ok']);
    expect(duringRead).toBeGreaterThan(0);
    expect(people()).toHaveLength(300);
  });

  it('leaves a record whose parent is not in Elder yet to the applier: created once, with its parent', async () => {
    pages = [[user('carol', ['People'], { parentExternalId: 'dave' })], [user('dave', ['People'])]];
    let carolDuringRead: boolean | null = null;
    between = async () => void (carolDuringRead = await eventually(() => people().length > 0, 200));
    const report = await sync();
    expect(report.scopes.map((s) => s.status)).toEqual(['ok']);
    expect(carolDuringRead).toBe(false);
    const byName = new Map(people().map((e) => [e.name, e]));
    expect(byName.get('User carol')!.parent_id).toBe(byName.get('User dave')!.id);
    // Root, People, carol, dave: no second write to give carol her parent.
    expect(writes()).toBe(4);
  });

  it('leaves a record below a renamed organization to the applier: the organization is renamed in place, not made twice', async () => {
    pages = [[ou('people', ['People'])], [user('alice', ['People'])]];
    await sync();
    const [people_] = organizationsNamed('People');
    // Renamed in the source; the record below it is read before the organization's own record.
    pages = [[user('alice', ['Staff'])], [ou('people', ['Staff'])]];
    let staffDuringRead: boolean | null = null;
    between = async () => void (staffDuringRead = await eventually(() => organizationsNamed('Staff').length > 0, 200));
    const report = await sync();
    expect(report.scopes.map((s) => s.status)).toEqual(['ok']);
    expect(staffDuringRead).toBe(false);
    expect(organizationsNamed('People')).toEqual([]);
    expect(organizationsNamed('Staff').map((o) => o.id)).toEqual([people_!.id]);
    expect(people().map((e) => [e.name, e.organization_id])).toEqual([['User alice', people_!.id]]);
  });

  it('a read that fails part-way keeps and counts what it wrote; the next run writes only the rest', async () => {
    pages = [users(0, 5, ['People']), users(5, 10, ['People'])];
    between = async () => {
      await eventually(() => people().length > 0);
      throw new Error('connection reset by the source');
    };
    const failed = await sync();
    expect(failed.scopes[0]).toMatchObject({ status: 'failed', error: expect.stringContaining('connection reset by the source') });
    const written = people().length;
    expect(written).toBeGreaterThan(0);
    // The root is created before the scope; the scope counts People and its users.
    expect(failed.scopes[0]!.counts).toMatchObject({ create: written + 1, errors: 1 });
    between = async () => {};
    const finished = await sync();
    expect(finished.scopes.map((s) => s.status)).toEqual(['ok']);
    expect(finished.totals.create).toBe(10 - written);
    expect(people().map((e) => e.name).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `User u${i}`).sort());
  });
});
