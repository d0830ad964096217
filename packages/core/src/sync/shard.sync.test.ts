import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startElderEmulator, type ElderEmulator } from '@elder-sync/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { elderSyncConfigSchema } from '../config/schema.js';
import { defineConnector, type ConnectorDefinition } from '../connector.js';
import { createElderClient } from '../elder/client.js';
import { silentLogger } from '../logger.js';
import type { ReadItem } from '../record.js';
import { runSync } from './run-sync.js';
import type { Shard } from './shard.js';
import type { SyncOptions } from './types.js';

/**
 * An estate of 4 accounts × 3 regions: every scope writes below its account's organization, which
 * scopes of other shards share — the organizations two shards may race to create.
 */
const ACCOUNTS = ['prod', 'stage', 'dev', 'sandbox'];
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-south-1'];
let removed = new Set<string>();

function estate(): ConnectorDefinition<unknown> {
  return defineConnector({
    apiVersion: 1,
    id: 'estate',
    configSchema: z.object({}),
    kinds: {
      vm: { target: 'entity', entityType: 'compute', subType: 'virtual_machine' },
      net: { target: 'entity', entityType: 'network', subType: 'vpc' },
    },
    scopes: () => ACCOUNTS.flatMap((a) => REGIONS.map((r) => ({ id: `${a}/${r}`, label: `${a} ${r}`, params: { account: a, region: r } }))),
    testConnection: async () => [{ name: 'reachable', ok: true }],
    async *read({ scope }): AsyncIterable<ReadItem> {
      const { account, region } = scope.params as { account: string; region: string };
      const path = [account, region];
      yield { type: 'record', record: { kind: 'net', externalId: `${scope.id}/vpc`, name: `vpc-${account}-${region}`, attributes: { cidr: '10.0.0.0/16' }, organizationPath: path } };
      for (let i = 0; i < 3; i++) {
        const id = `${scope.id}/i-${i}`;
        if (removed.has(id)) continue;
        yield {
          type: 'record',
          record: {
            kind: 'vm',
            externalId: id,
            name: `vm-${account}-${region}-${i}`,
            attributes: { size: 'small' },
            organizationPath: path,
            relations: [{ type: 'depends_on', kind: 'net', externalId: `${scope.id}/vpc` }],
          },
        };
      }
      yield { type: 'checkpoint', cursor: 'done' };
    },
  });
}

let emulator: ElderEmulator;
let dir: string;
beforeAll(async () => {
  // Latency widens the window between one shard's look and its create, as on a real network.
  emulator = await startElderEmulator({ latencyMs: 10 });
  dir = mkdtempSync(join(tmpdir(), 'elder-sync-shards-'));
});
afterAll(async () => {
  await emulator.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  emulator.reset();
  removed = new Set();
});

let runs = 0;
async function sync(mode: SyncOptions['mode'], shard: Shard | undefined, statePath: string, rootWaitMs = 20_000) {
  const elder = createElderClient({ url: emulator.url, auth: { kind: 'login', email: 'admin@localhost.local', password: 'admin123' }, maxAttempts: 8, backoffBaseMs: 1, backoffMaxMs: 5, timeoutMs: 5000 });
  try {
    const report = await runSync({
      config: elderSyncConfigSchema.parse({
        elder: { url: emulator.url, email: 'admin@localhost.local', password: 'admin123', organization: { path: ['Acme', 'Cloud'] } },
        sources: [{ name: 'aws', connector: 'estate' }],
      }),
      connectors: async () => estate(),
      mode,
      log: silentLogger,
      statePath,
      elder,
      ...(shard ? { shard, rootWaitMs } : {}),
    });
    const changes = [...report.changes()].map((c) => `${c.action} ${c.target} ${c.name}`);
    report.close();
    runs++;
    return { report, changes };
  } finally {
    await elder.close();
  }
}

/** What Elder holds, by names and paths (ids differ between runs). */
function snapshot() {
  const orgs = new Map(emulator.organizations().map((o) => [o['id'] as number, o]));
  const pathOf = (id: number | null): string => {
    const parts: string[] = [];
    for (let o = id === null ? undefined : orgs.get(id); o; o = o['parent_id'] === null ? undefined : orgs.get(o['parent_id'] as number)) parts.unshift(String(o['name']));
    return parts.join('/');
  };
  const entityName = new Map(emulator.entities().map((e) => [e['id'] as number, String(e['name'])]));
  return {
    organizations: [...orgs.keys()].map(pathOf).sort(),
    entities: emulator.entities().map((e) => `${pathOf(e['organization_id'] as number)}:${String(e['name'])}`).sort(),
    dependencies: emulator
      .dependencies()
      .map((d) => `${entityName.get(d['source_id'] as number)} -> ${entityName.get(d['target_id'] as number)}`)
      .sort(),
  };
}

const shards = (count: number): Shard[] => Array.from({ length: count }, (_, i) => ({ index: i + 1, count }));

describe('--shard i/N', () => {
  it('three shards started at the same moment against an empty Elder give exactly the unsharded result, with one root', async () => {
    const single = await sync('apply', undefined, join(dir, `single-${runs}.db`));
    expect(single.report.scopes.every((s) => s.status === 'ok')).toBe(true);
    const expected = snapshot();
    expect(expected.entities.length).toBe(ACCOUNTS.length * REGIONS.length * 4);

    emulator.reset();
    const state = join(dir, `sharded-${runs}.db`);
    const results = await Promise.all(shards(3).map((shard) => sync('apply', shard, state)));
    const scopesRun = results.flatMap((r) => r.report.scopes.map((s) => s.scope)).sort();
    expect(scopesRun).toEqual(single.report.scopes.map((s) => s.scope).sort());
    for (const r of results) expect(r.report.scopes.filter((s) => s.status !== 'ok')).toEqual([]);
    expect(snapshot()).toEqual(expected);
    // No organization twice: not the root, not an account shared by scopes of different shards.
    expect(new Set(snapshot().organizations).size).toBe(snapshot().organizations.length);

    const writes = emulator.stats().writes;
    const again = await Promise.all(shards(3).map((shard) => sync('apply', shard, state)));
    expect(again.flatMap((r) => r.changes)).toEqual([]);
    expect(emulator.stats().writes).toBe(writes);
  });

  it('shards that meet at a shared organization (the root exists, the accounts do not) still make it once', async () => {
    const acme = emulator.seedOrganization({ name: 'Acme', parent_id: null });
    emulator.seedOrganization({ name: 'Cloud', parent_id: acme['id'] as number });
    const state = join(dir, `race-${runs}.db`);
    await Promise.all(shards(4).map((shard) => sync('apply', shard, state)));
    const organizations = snapshot().organizations;
    expect(organizations.filter((o) => o === 'Acme/Cloud/prod')).toEqual(['Acme/Cloud/prod']);
    expect(new Set(organizations).size).toBe(organizations.length);
    expect(snapshot().entities.length).toBe(ACCOUNTS.length * REGIONS.length * 4);
  });

  it('the shards\' plans together are the unsharded plan, and a deletion is made by the shard that owns it', async () => {
    const state = join(dir, `plans-${runs}.db`);
    await Promise.all(shards(2).map((shard) => sync('apply', shard, state)));
    removed.add('dev/eu-west-1/i-2');
    const unsharded = await sync('plan', undefined, join(dir, `none-${runs}.db`));
    const parts = await Promise.all(shards(2).map((shard) => sync('plan', shard, state)));
    expect(parts.flatMap((p) => p.changes).sort()).toEqual(['delete entity vm-dev-eu-west-1-2']);
    expect(unsharded.changes).toEqual(['delete entity vm-dev-eu-west-1-2']);
    await Promise.all(shards(2).map((shard) => sync('apply', shard, state)));
    expect(snapshot().entities.some((e) => e.endsWith(':vm-dev-eu-west-1-2'))).toBe(false);
    expect(snapshot().entities.length).toBe(ACCOUNTS.length * REGIONS.length * 4 - 1);
  });

  it('a shard other than 1 never creates the root: it waits for shard 1 and says so when it does not come', async () => {
    const second = await sync('apply', { index: 2, count: 3 }, join(dir, `lonely-${runs}.db`), 1_500).catch((e: unknown) => e);
    const report = (second as { report: { scopes: Array<{ status: string; error: string | null }> } }).report;
    expect(report.scopes.length).toBeGreaterThan(0);
    for (const s of report.scopes) {
      expect(s.status).toBe('failed');
      expect(s.error).toMatch(/the root organization "Acme \/ Cloud" does not exist yet; shard 1 of 3 creates it/);
    }
    expect(emulator.organizations()).toEqual([]);
  });
});
