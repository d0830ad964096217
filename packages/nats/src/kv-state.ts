import { createHash } from 'node:crypto';
import { StateStore, type Mapping, type ScopeState } from '@elder-sync/core';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { NAMES, token } from './units.js';

/** Values fetched at once when a unit's mappings are loaded. */
const GET_BATCH = 256;

/**
 * Checkpoints and id mappings in a JetStream KV bucket (`state: { url: nats://… }`), so workers on
 * different machines share them. A worker checks one unit (source, scope) out into a memory
 * `StateStore`, the engine runs on it unchanged, and only what Elder confirmed is checked back in —
 * the scope's cursor after its mappings (DESIGN §5.5). A worker killed mid-unit checks nothing in:
 * the next attempt starts from the last committed state and re-adopts from Elder's stamps.
 *
 * Keys: `s.<source>.<scope>` (the scope's state) and `m.<source>.<scope>.<sha1 of the key>` (one
 * mapping), source and scope base64url-encoded so any name is a valid key.
 */
export class KvStateStore {
  private constructor(private readonly kv: KV) {}

  static async open(nc: NatsConnection): Promise<KvStateStore> {
    const { Kvm } = await import('@nats-io/kv');
    return new KvStateStore(await new Kvm(nc).create(NAMES.stateBucket, { history: 1 }));
  }

  /** The unit's state in a memory store, and how to write it back. */
  async checkout(source: string, scope: string): Promise<CheckedOutState> {
    const prefix = `m.${token(source)}.${token(scope)}`;
    const stateEntry = await this.kv.get(scopeKey(source, scope));
    const scopeState = stateEntry && stateEntry.operation === 'PUT' ? (stateEntry.json() as ScopeState) : null;
    const loaded = new Map<string, Mapping>();
    const keys: string[] = [];
    for await (const key of await this.kv.keys(`${prefix}.*`)) keys.push(key);
    for (let i = 0; i < keys.length; i += GET_BATCH) {
      const entries = await Promise.all(keys.slice(i, i + GET_BATCH).map((k) => this.kv.get(k)));
      for (const entry of entries) if (entry && entry.operation === 'PUT') {
        const mapping = entry.json<Mapping>();
        loaded.set(mapping.key, mapping);
      }
    }
    const store = StateStore.memory();
    store.restoreScope(source, scope, scopeState, loaded.values());
    return {
      store,
      checkin: async () => {
        const seen = new Set<string>();
        const writes: Promise<unknown>[] = [];
        for (const mapping of store.mappings(source, scope)) {
          seen.add(mapping.key);
          const before = loaded.get(mapping.key);
          if (before && sameMapping(before, mapping)) continue;
          writes.push(this.kv.put(mappingKey(prefix, mapping.key), JSON.stringify(mapping)));
        }
        for (const key of loaded.keys()) if (!seen.has(key)) writes.push(this.kv.delete(mappingKey(prefix, key)));
        await Promise.all(writes);
        // Last: a cursor never gets ahead of the mappings it depends on.
        const after = store.getScopeState(source, scope);
        if (after) await this.kv.put(scopeKey(source, scope), JSON.stringify(after));
      },
    };
  }

  /** Every scope with state, for `state list` style reports and tests. */
  async scopes(): Promise<string[]> {
    const out: string[] = [];
    for await (const key of await this.kv.keys('s.>')) out.push(key);
    return out.sort();
  }
}

export interface CheckedOutState {
  store: StateStore;
  /** Writes back what changed; call it after the unit ran, whatever its outcome. */
  checkin(): Promise<void>;
}

function scopeKey(source: string, scope: string): string {
  return `s.${token(source)}.${token(scope)}`;
}

function mappingKey(prefix: string, key: string): string {
  return `${prefix}.${createHash('sha1').update(key).digest('hex')}`;
}

function sameMapping(a: Mapping, b: Mapping): boolean {
  return a.elderId === b.elderId && a.hash === b.hash && a.owned === b.owned && a.kind === b.kind && a.elderKind === b.elderKind && a.scope === b.scope;
}
