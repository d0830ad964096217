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

  /**
   * The unit's state in a memory store, and how to write it back. A scope its connector renamed
   * (`Scope.formerIds`) with no state of its own yet gets the first former id's, under that id: the
   * engine moves it to the new id as it applies (as in a state file), and the check-in then writes it
   * under the new id and removes what the old id held.
   */
  async checkout(source: string, scope: string, formerIds: readonly string[] = []): Promise<CheckedOutState> {
    const own = await this.load(source, scope);
    let former: { scope: string; held: Held } | null = null;
    if (own.state === null && own.mappings.size === 0) {
      for (const id of formerIds) {
        if (id === scope) continue;
        const held = await this.load(source, id);
        if (held.state !== null || held.mappings.size > 0) {
          former = { scope: id, held };
          break;
        }
      }
    }
    const store = StateStore.memory();
    store.restoreScope(source, scope, own.state, own.mappings.values());
    if (former) store.restoreScope(source, former.scope, former.held.state, former.held.mappings.values());
    return {
      store,
      checkin: async () => {
        await this.write(store, source, scope, own);
        // The old id is emptied only after the new one holds it all (cut short between the two, its
        // keys are left behind unread: the new id has state of its own from then on).
        if (former) await this.write(store, source, former.scope, former.held);
      },
    };
  }

  /** A scope's state and mappings as the bucket holds them. */
  private async load(source: string, scope: string): Promise<Held> {
    const stateEntry = await this.kv.get(scopeKey(source, scope));
    const state = stateEntry && stateEntry.operation === 'PUT' ? (stateEntry.json() as ScopeState) : null;
    const mappings = new Map<string, Mapping>();
    const keys: string[] = [];
    for await (const key of await this.kv.keys(`${mappingPrefix(source, scope)}.*`)) keys.push(key);
    for (let i = 0; i < keys.length; i += GET_BATCH) {
      const entries = await Promise.all(keys.slice(i, i + GET_BATCH).map((k) => this.kv.get(k)));
      for (const entry of entries) if (entry && entry.operation === 'PUT') {
        const mapping = entry.json<Mapping>();
        mappings.set(mapping.key, mapping);
      }
    }
    return { state, mappings };
  }

  /** Writes back how `store` left a scope, against what the bucket held (`loaded`). */
  private async write(store: StateStore, source: string, scope: string, loaded: Held): Promise<void> {
    const prefix = mappingPrefix(source, scope);
    const seen = new Set<string>();
    const writes: Promise<unknown>[] = [];
    for (const mapping of store.mappings(source, scope)) {
      seen.add(mapping.key);
      const before = loaded.mappings.get(mapping.key);
      if (before && sameMapping(before, mapping)) continue;
      writes.push(this.kv.put(mappingKey(prefix, mapping.key), JSON.stringify(mapping)));
    }
    for (const key of loaded.mappings.keys()) if (!seen.has(key)) writes.push(this.kv.delete(mappingKey(prefix, key)));
    await Promise.all(writes);
    // Last: a cursor never gets ahead of the mappings it depends on.
    const after = store.getScopeState(source, scope);
    if (after) await this.kv.put(scopeKey(source, scope), JSON.stringify(after));
    else if (loaded.state !== null) await this.kv.delete(scopeKey(source, scope));
  }

  /** Every scope with state, for `state list` style reports and tests. */
  async scopes(): Promise<string[]> {
    const out: string[] = [];
    for await (const key of await this.kv.keys('s.>')) out.push(key);
    return out.sort();
  }
}

interface Held {
  state: ScopeState | null;
  mappings: Map<string, Mapping>;
}

export interface CheckedOutState {
  store: StateStore;
  /** Writes back what changed; call it after the unit ran, whatever its outcome. */
  checkin(): Promise<void>;
}

function mappingPrefix(source: string, scope: string): string {
  return `m.${token(source)}.${token(scope)}`;
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
