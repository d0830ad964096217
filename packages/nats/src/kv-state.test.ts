import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateStore, type Mapping } from '@elder-sync/core';
import { startNatsServer, type NatsPeer } from '@elder-sync/testkit';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KvStateStore } from './kv-state.js';

/**
 * The KV store keeps what the SQLite store keeps: the same operations through both give the same
 * scope state and mappings, and a unit checked out again sees what was checked in.
 */
let nats: NatsPeer;
let nc: NatsConnection;
let dir: string;
beforeAll(async () => {
  nats = await startNatsServer();
  const { connect } = await import('@nats-io/transport-node');
  nc = await connect({ servers: nats.url });
  dir = mkdtempSync(join(tmpdir(), 'kv-state-'));
});
afterAll(async () => {
  await nc?.close();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const mapping = (key: string, elderId: number, hash: string | null = 'h1'): Mapping => ({
  source: 'aws',
  scope: '111/eu-west-1',
  key: `aws/vm/${key}`,
  kind: 'vm',
  elderKind: 'entity',
  elderId,
  hash,
  owned: true,
});

/** Two runs of one scope: create three, then change one, delete one, keep one. */
function exercise(store: StateStore): void {
  store.commitScope('aws', '111/eu-west-1', { put: [mapping('a', 1), mapping('b', 2), mapping('c', 3)], cursor: { page: 1 }, fullRead: true, status: 'success' });
  store.commitScope('aws', '111/eu-west-1', { put: [mapping('b', 2, 'h2')], delete: ['aws/vm/c'], cursor: { page: 2 }, fullRead: false, status: 'partial' });
}

const view = (store: StateStore) => {
  const state = store.getScopeState('aws', '111/eu-west-1');
  return {
    state: state && { ...state, lastRunAt: typeof state.lastRunAt, lastFullReadAt: typeof state.lastFullReadAt },
    mappings: [...store.mappings('aws', '111/eu-west-1')].sort((x, y) => x.key.localeCompare(y.key)),
  };
};

describe('KvStateStore', () => {
  it('holds what a SQLite state file holds, across checkouts', async () => {
    const sqlite = StateStore.open(join(dir, 'state.db'));
    exercise(sqlite);
    const expected = view(sqlite);
    sqlite.close();
    expect(expected.mappings.map((m) => m.key)).toEqual(['aws/vm/a', 'aws/vm/b']);

    const kv = await KvStateStore.open(nc);
    const first = await kv.checkout('aws', '111/eu-west-1');
    first.store.commitScope('aws', '111/eu-west-1', { put: [mapping('a', 1), mapping('b', 2), mapping('c', 3)], cursor: { page: 1 }, fullRead: true, status: 'success' });
    await first.checkin();
    first.store.close();
    const second = await kv.checkout('aws', '111/eu-west-1');
    second.store.commitScope('aws', '111/eu-west-1', { put: [mapping('b', 2, 'h2')], delete: ['aws/vm/c'], cursor: { page: 2 }, fullRead: false, status: 'partial' });
    await second.checkin();
    second.store.close();

    const third = await kv.checkout('aws', '111/eu-west-1');
    expect(view(third.store)).toEqual(expected);
    third.store.close();
  });

  it("hands a scope its connector renamed (formerIds) the old id's state, and moves it there on check-in", async () => {
    const kv = await KvStateStore.open(nc);
    const at = (scope: string, key: string, elderId: number): Mapping => ({ ...mapping(key, elderId), scope });
    const old = await kv.checkout('aws', 'acct-old');
    old.store.commitScope('aws', 'acct-old', { put: [at('acct-old', 'x', 7), at('acct-old', 'y', 8)], cursor: { page: 9 }, fullRead: true, status: 'success' });
    await old.checkin();
    old.store.close();

    // The engine finds the old id's state, moves it to the new id as it applies, and commits there.
    const renamed = await kv.checkout('aws', 'acct-new', ['acct-old']);
    expect(renamed.store.getScopeState('aws', 'acct-old')?.cursor).toEqual({ page: 9 });
    expect(renamed.store.renameScope('aws', 'acct-old', 'acct-new')).toBe(true);
    renamed.store.commitScope('aws', 'acct-new', { put: [at('acct-new', 'z', 10)], delete: ['aws/vm/y'], cursor: { page: 10 }, fullRead: false, status: 'success' });
    await renamed.checkin();
    renamed.store.close();

    const now = await kv.checkout('aws', 'acct-new', ['acct-old']);
    expect(now.store.getScopeState('aws', 'acct-new')?.cursor).toEqual({ page: 10 });
    expect([...now.store.mappings('aws')].map((m) => [m.scope, m.key, m.elderId]).sort()).toEqual([
      ['acct-new', 'aws/vm/x', 7],
      ['acct-new', 'aws/vm/z', 10],
    ]);
    now.store.close();
    const gone = await kv.checkout('aws', 'acct-old');
    expect(gone.store.getScopeState('aws', 'acct-old')).toBeNull();
    expect([...gone.store.mappings('aws')]).toEqual([]);
    gone.store.close();
    const oldToken = Buffer.from('acct-old').toString('base64url');
    expect((await kv.scopes()).filter((key) => key.includes(oldToken))).toEqual([]);
  });

  it('keeps units apart: another scope sees none of it', async () => {
    const kv = await KvStateStore.open(nc);
    const other = await kv.checkout('aws', '111/us-east-1');
    expect(other.store.getScopeState('aws', '111/us-east-1')).toBeNull();
    expect([...other.store.mappings('aws')]).toEqual([]);
    other.store.close();
  });
});
