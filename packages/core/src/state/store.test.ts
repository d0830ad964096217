import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateError, StateStore, type Mapping } from './store.js';

function mapping(overrides: Partial<Mapping> & { key: string }): Mapping {
  return {
    source: 'corp-ldap',
    scope: 'dir-1',
    kind: 'user',
    elderKind: 'entity',
    elderId: 1,
    hash: 'h1',
    owned: true,
    ...overrides,
  };
}

describe('StateStore', () => {
  let dir: string;
  let clock: Date;
  const now = () => clock;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'elder-sync-state-'));
    clock = new Date('2026-01-02T03:04:05.000Z');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips mappings', () => {
    const store = StateStore.memory();
    const m = mapping({ key: 'corp-ldap/user/u1', elderId: 42, hash: 'abc', owned: false });
    store.putMapping(m);
    expect(store.getMapping('corp-ldap', 'corp-ldap/user/u1')).toEqual(m);
    expect(store.getMapping('other', 'corp-ldap/user/u1')).toBeNull();

    store.putMapping({ ...m, elderId: 43, hash: null, owned: true, scope: 'dir-2', elderKind: 'organization' });
    expect(store.getMapping('corp-ldap', m.key)).toEqual({
      ...m,
      elderId: 43,
      hash: null,
      owned: true,
      scope: 'dir-2',
      elderKind: 'organization',
    });
    expect(store.countMappings('corp-ldap')).toBe(1);

    expect(store.deleteMapping('corp-ldap', m.key)).toBe(true);
    expect(store.deleteMapping('corp-ldap', m.key)).toBe(false);
    expect(store.getMapping('corp-ldap', m.key)).toBeNull();
    store.close();
  });

  it('counts and lists mappings per source and scope, in key order', () => {
    const store = StateStore.memory();
    store.putMapping(mapping({ key: 'b', scope: 's1' }));
    store.putMapping(mapping({ key: 'a', scope: 's2' }));
    store.putMapping(mapping({ key: 'c', scope: 's1' }));
    store.putMapping(mapping({ key: 'x', source: 'other', scope: 's1' }));
    expect(store.countMappings('corp-ldap')).toBe(3);
    expect(store.countMappings('corp-ldap', 's1')).toBe(2);
    expect([...store.mappings('corp-ldap')].map((m) => m.key)).toEqual(['a', 'b', 'c']);
    expect([...store.mappings('corp-ldap', 's1')].map((m) => m.key)).toEqual(['b', 'c']);
    expect([...store.mappings('nobody')]).toEqual([]);
  });

  it('renames a scope (cursor and mappings) unless the new id has state of its own', () => {
    const store = StateStore.memory();
    store.commitScope('corp-ldap', 'host:389/dc=x', { cursor: { v: 1 }, fullRead: true, status: 'success' });
    store.putMapping(mapping({ key: 'a', source: 'corp-ldap', scope: 'host:389/dc=x' }));
    store.putMapping(mapping({ key: 'b', source: 'other', scope: 'host:389/dc=x' }));
    expect(store.renameScope('corp-ldap', 'host:389/dc=x', 'dc=x')).toBe(true);
    expect(store.getScopeState('corp-ldap', 'dc=x')?.cursor).toEqual({ v: 1 });
    expect(store.getScopeState('corp-ldap', 'host:389/dc=x')).toBeNull();
    expect([...store.mappings('corp-ldap')].map((m) => m.scope)).toEqual(['dc=x']);
    expect([...store.mappings('other')].map((m) => m.scope)).toEqual(['host:389/dc=x']);
    store.commitScope('corp-ldap', 'host:389/dc=x', { cursor: { v: 2 }, fullRead: true, status: 'success' });
    expect(store.renameScope('corp-ldap', 'host:389/dc=x', 'dc=x')).toBe(false);
    expect(store.getScopeState('corp-ldap', 'dc=x')?.cursor).toEqual({ v: 1 });
  });

  it('round-trips checkpoints and counts runs since the last full read', () => {
    const store = StateStore.memory({ now });
    expect(store.getScopeState('corp-ldap', 'dir-1')).toBeNull();

    store.commitScope('corp-ldap', 'dir-1', { cursor: { csn: '20260102', page: [1, 2] }, fullRead: true, status: 'success' });
    expect(store.getScopeState('corp-ldap', 'dir-1')).toEqual({
      cursor: { csn: '20260102', page: [1, 2] },
      runsSinceFull: 0,
      lastFullReadAt: '2026-01-02T03:04:05.000Z',
      lastRunAt: '2026-01-02T03:04:05.000Z',
      lastStatus: 'success',
    });

    clock = new Date('2026-01-02T04:00:00.000Z');
    store.commitScope('corp-ldap', 'dir-1', { fullRead: false, status: 'partial' });
    clock = new Date('2026-01-02T05:00:00.000Z');
    store.commitScope('corp-ldap', 'dir-1', { cursor: 'c3', fullRead: false, status: 'success' });
    expect(store.getScopeState('corp-ldap', 'dir-1')).toEqual({
      cursor: 'c3',
      runsSinceFull: 2,
      lastFullReadAt: '2026-01-02T03:04:05.000Z',
      lastRunAt: '2026-01-02T05:00:00.000Z',
      lastStatus: 'success',
    });

    store.saveCursor('corp-ldap', 'dir-1', 'c4');
    expect(store.getScopeState('corp-ldap', 'dir-1')).toMatchObject({ cursor: 'c4', runsSinceFull: 2 });
    store.commitScope('corp-ldap', 'dir-1', { cursor: null, fullRead: false, status: 'failed' });
    expect(store.getScopeState('corp-ldap', 'dir-1')).toMatchObject({ cursor: null, runsSinceFull: 3, lastStatus: 'failed' });

    // A first run that was incremental (never read fully).
    store.commitScope('corp-ldap', 'dir-2', { cursor: 7, fullRead: false, status: 'success' });
    expect(store.getScopeState('corp-ldap', 'dir-2')).toMatchObject({ cursor: 7, runsSinceFull: 1, lastFullReadAt: null });
  });

  it('commits a checkpoint together with its mapping changes', () => {
    const store = StateStore.memory();
    store.putMapping(mapping({ key: 'gone' }));
    store.commitScope('corp-ldap', 'dir-1', {
      cursor: 'c1',
      fullRead: true,
      status: 'success',
      put: [mapping({ key: 'new-1' }), mapping({ key: 'new-2' })],
      delete: ['gone'],
    });
    expect([...store.mappings('corp-ldap')].map((m) => m.key)).toEqual(['new-1', 'new-2']);
    expect(store.getScopeState('corp-ldap', 'dir-1')?.cursor).toBe('c1');
  });

  it('rolls the checkpoint back with its mappings when one change fails', () => {
    const store = StateStore.memory();
    store.commitScope('corp-ldap', 'dir-1', { cursor: 'old', fullRead: true, status: 'success' });
    expect(() =>
      store.commitScope('corp-ldap', 'dir-1', {
        cursor: 'new',
        fullRead: true,
        status: 'success',
        put: [mapping({ key: 'ok' }), mapping({ key: 'bad', elderKind: 'widget' as never })],
      }),
    ).toThrow();
    expect(store.getScopeState('corp-ldap', 'dir-1')?.cursor).toBe('old');
    expect(store.countMappings('corp-ldap')).toBe(0);
  });

  it('transaction() rolls back everything when the function throws', () => {
    const store = StateStore.memory();
    store.putMapping(mapping({ key: 'keep' }));
    expect(() =>
      store.transaction(() => {
        store.putMapping(mapping({ key: 'a' }));
        store.deleteMapping('corp-ldap', 'keep');
        store.commitScope('corp-ldap', 'dir-1', { cursor: 1, fullRead: true, status: 'success' });
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect([...store.mappings('corp-ldap')].map((m) => m.key)).toEqual(['keep']);
    expect(store.getScopeState('corp-ldap', 'dir-1')).toBeNull();

    expect(store.transaction(() => (store.putMapping(mapping({ key: 'b' })), 'done'))).toBe('done');
    expect(store.countMappings('corp-ldap')).toBe(2);
  });

  it('persists across reopen, with a private file and a schema version', () => {
    const path = join(dir, 'nested', 'deeper', 'state.db');
    const store = StateStore.open(path, { now });
    store.putMapping(mapping({ key: 'k1', elderId: 9 }));
    store.commitScope('corp-ldap', 'dir-1', { cursor: { t: 1 }, fullRead: true, status: 'success' });
    store.close();
    store.close(); // idempotent

    expect(statSync(path).mode & 0o777).toBe(0o600);

    const again = StateStore.open(path);
    expect(again.getMapping('corp-ldap', 'k1')?.elderId).toBe(9);
    expect(again.getScopeState('corp-ldap', 'dir-1')?.cursor).toEqual({ t: 1 });
    again.close();

    const raw = new Database(path, { readonly: true });
    expect(raw.prepare('SELECT version FROM schema_version').all()).toEqual([{ version: 1 }]);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
  });

  it('opens read-only for dry runs: reads work, writes throw, nothing is created', () => {
    const path = join(dir, 'state.db');
    expect(() => StateStore.open(path, { readonly: true })).toThrow(/cannot open the state file/);
    expect(existsSync(path)).toBe(false);

    const writer = StateStore.open(path);
    writer.putMapping(mapping({ key: 'k1' }));
    writer.commitScope('corp-ldap', 'dir-1', { cursor: 'c', fullRead: true, status: 'success' });

    const reader = StateStore.open(path, { readonly: true });
    expect(reader.getMapping('corp-ldap', 'k1')).not.toBeNull();
    expect(reader.getScopeState('corp-ldap', 'dir-1')?.cursor).toBe('c');
    expect([...reader.mappings('corp-ldap')]).toHaveLength(1);
    expect(() => reader.putMapping(mapping({ key: 'k2' }))).toThrow(/readonly/i);
    // The writer keeps working while a reader is open (WAL).
    writer.putMapping(mapping({ key: 'k3' }));
    expect(reader.countMappings('corp-ldap')).toBe(2);
    reader.close();
    writer.close();
  });

  it('writes deferred mappings in batches, always before a checkpoint that depends on them', () => {
    const path = join(dir, 'state.db');
    const writer = StateStore.open(path);
    const reader = StateStore.open(path, { readonly: true });
    writer.putMapping(mapping({ key: 'gone' }));
    writer.deferMapping({ put: mapping({ key: 'k1' }) });
    writer.deferMapping({ delete: { source: 'corp-ldap', key: 'gone' } });
    // Not written yet: another process does not see it...
    expect(reader.getMapping('corp-ldap', 'k1')).toBeNull();
    expect(reader.getMapping('corp-ldap', 'gone')).not.toBeNull();
    // ...until the scope commits: mappings and cursor land together, in order.
    writer.commitScope('corp-ldap', 'dir-1', { cursor: 'c', fullRead: true, status: 'success' });
    expect(reader.getMapping('corp-ldap', 'k1')).not.toBeNull();
    expect(reader.getMapping('corp-ldap', 'gone')).toBeNull();
    // The writer's own reads see deferred changes at once.
    writer.deferMapping({ put: mapping({ key: 'k2' }) });
    expect(writer.getMapping('corp-ldap', 'k2')).not.toBeNull();
    // A full batch is written without waiting.
    for (let i = 0; i < 1000; i++) writer.deferMapping({ put: mapping({ key: `b${i}` }) });
    expect(reader.countMappings('corp-ldap')).toBe(1002);
    writer.deferMapping({ put: mapping({ key: 'last' }) });
    writer.close();
    expect(reader.getMapping('corp-ldap', 'last')).not.toBeNull();
    reader.close();
  });

  it('refuses a state file from a newer elder-sync and a file that is not SQLite', () => {
    const path = join(dir, 'state.db');
    StateStore.open(path).close();
    const raw = new Database(path);
    raw.prepare('UPDATE schema_version SET version = 99').run();
    raw.close();
    expect(() => StateStore.open(path)).toThrow(/schema version 99.*upgrade elder-sync/);
    try {
      StateStore.open(path);
    } catch (error) {
      expect(error).toBeInstanceOf(StateError);
      expect((error as StateError).code).toBe('STATE_TOO_NEW');
    }

    const junk = join(dir, 'junk.db');
    writeFileSync(junk, 'this is not a database, just some text that is long enough to look like a header........');
    expect(() => StateStore.open(junk)).toThrow(/the state file .*junk\.db cannot be used: it is not an SQLite database/);
  });

  describe('an unusable state file is named with its path and the fix, and never written into', () => {
    /** A real state file with mappings, large enough to span several pages. */
    function populated(): string {
      const path = join(dir, 'state.db');
      const store = StateStore.open(path);
      for (let i = 0; i < 2000; i++) store.putMapping(mapping({ key: `corp-ldap/user/u${i}`, elderId: i + 1 }));
      store.close();
      return path;
    }
    const FIX = /Nothing in Elder is lost: run "elder-sync state reset --yes" \(it moves the file aside, to .*state\.db\.unreadable-<time>\), and the next run re-adopts every object from the keys stored on it in Elder, creating no duplicates/;

    const CASES: Array<{ name: string; code: string; reason: RegExp; damage: (path: string) => void }> = [
      { name: 'cut to half its size', code: 'STATE_TRUNCATED', reason: /it is cut short \(\d+ bytes of the \d+ its header declares\)/, damage: (p) => truncateSync(p, Math.floor(statSync(p).size / 2)) },
      { name: 'cut inside its header', code: 'STATE_TRUNCATED', reason: /not even a database header/, damage: (p) => truncateSync(p, 40) },
      { name: 'overwritten with random bytes', code: 'STATE_NOT_SQLITE', reason: /it is not an SQLite database/, damage: (p) => writeFileSync(p, Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 131 + 7) % 256))) },
      {
        name: 'with its schema page scrambled',
        code: 'STATE_CORRUPT',
        reason: /it is corrupt \((database disk image is malformed|file is not a database)\)/,
        damage: (p) => {
          const bytes = readFileSync(p);
          bytes.fill(0x5a, 100, 4096); // sqlite_master lives on page 1, after the 100-byte header
          writeFileSync(p, bytes);
        },
      },
      {
        name: "another program's SQLite database",
        code: 'STATE_FOREIGN',
        reason: /it is an SQLite database, but not an elder-sync state file \(its tables: invoices, users\)/,
        damage: (p) => {
          rmSync(p);
          const db = new Database(p);
          db.exec('CREATE TABLE users (id INTEGER); CREATE TABLE invoices (id INTEGER)');
          db.close();
        },
      },
    ];

    it.each(CASES)('$name', ({ code, reason, damage }) => {
      const path = populated();
      for (const suffix of ['-wal', '-shm']) rmSync(path + suffix, { force: true });
      damage(path);
      const before = readFileSync(path);
      for (const readonly of [false, true]) {
        let caught: unknown;
        try {
          StateStore.open(path, { readonly }).close();
        } catch (error) {
          caught = error;
        }
        expect(caught, `readonly=${readonly}`).toBeInstanceOf(StateError);
        expect((caught as StateError).code).toBe(code);
        expect((caught as Error).message).toContain(`the state file ${path} cannot be used: `);
        expect((caught as Error).message).toMatch(reason);
        expect((caught as Error).message).toMatch(FIX);
      }
      // Refused, not repaired: the file is byte for byte what it was.
      expect(readFileSync(path).equals(before)).toBe(true);
      // state reset moves it aside (nothing deleted); a fresh store opens in its place.
      const moved = StateStore.moveAside(path, new Date('2026-01-02T03:04:05.000Z'))!;
      expect(moved).toBe(`${path}.unreadable-2026-01-02T03-04-05-000Z`);
      expect(readFileSync(moved).equals(before)).toBe(true);
      const fresh = StateStore.open(path);
      expect(fresh.countMappings('corp-ldap')).toBe(0);
      fresh.close();
    });

    it('a newer schema version names the upgrade and the reset', () => {
      const path = populated();
      const raw = new Database(path);
      raw.prepare('UPDATE schema_version SET version = 99').run();
      raw.close();
      expect(() => StateStore.open(path)).toThrow(/upgrade elder-sync, or run "elder-sync state reset --yes" to move it aside and start over/i);
      expect(() => StateStore.open(path, { readonly: true })).toThrow(/schema version 99/);
    });
  });

  it('summarises every source and scope for state list', () => {
    const store = StateStore.memory({ now });
    store.putMapping(mapping({ key: 'a', scope: 's1', owned: true }));
    store.putMapping(mapping({ key: 'b', scope: 's1', owned: false }));
    store.putMapping(mapping({ key: 'c', source: 'aws', scope: 'acct/eu-west-1' })); // no checkpoint yet
    store.commitScope('corp-ldap', 's1', { cursor: 'x', fullRead: true, status: 'success' });
    store.commitScope('corp-ldap', 's0', { cursor: null, fullRead: false, status: 'failed' }); // no mappings
    expect(store.sources()).toEqual([
      {
        source: 'aws',
        scope: 'acct/eu-west-1',
        mappings: 1,
        ownedMappings: 1,
        cursor: null,
        runsSinceFull: 0,
        lastRunAt: null,
        lastStatus: null,
        lastFullReadAt: null,
      },
      {
        source: 'corp-ldap',
        scope: 's0',
        mappings: 0,
        ownedMappings: 0,
        cursor: null,
        runsSinceFull: 1,
        lastRunAt: '2026-01-02T03:04:05.000Z',
        lastStatus: 'failed',
        lastFullReadAt: null,
      },
      {
        source: 'corp-ldap',
        scope: 's1',
        mappings: 2,
        ownedMappings: 1,
        cursor: 'x',
        runsSinceFull: 0,
        lastRunAt: '2026-01-02T03:04:05.000Z',
        lastStatus: 'success',
        lastFullReadAt: '2026-01-02T03:04:05.000Z',
      },
    ]);
  });

  it('resets one scope, one source, or everything', () => {
    const store = StateStore.memory();
    const seed = () => {
      for (const [source, scope] of [
        ['ldap', 's1'],
        ['ldap', 's2'],
        ['aws', 's1'],
      ] as const) {
        store.putMapping(mapping({ key: `${source}/${scope}/k`, source, scope }));
        store.commitScope(source, scope, { cursor: 1, fullRead: true, status: 'success' });
      }
    };
    seed();
    expect(store.reset('ldap', 's1')).toEqual({ scopes: 1, mappings: 1 });
    expect(store.sources().map((s) => `${s.source}:${s.scope}`)).toEqual(['aws:s1', 'ldap:s2']);
    expect(store.reset('ldap')).toEqual({ scopes: 1, mappings: 1 });
    expect(store.sources().map((s) => `${s.source}:${s.scope}`)).toEqual(['aws:s1']);
    seed();
    expect(store.reset()).toEqual({ scopes: 3, mappings: 3 });
    expect(store.sources()).toEqual([]);
    expect(() => store.reset(undefined, 's1')).toThrow(TypeError);
  });

  it('streams 10 000 mappings in pages and allows writes while iterating', () => {
    const store = StateStore.open(join(dir, 'big.db'));
    const keys: string[] = [];
    store.transaction(() => {
      for (let i = 0; i < 10_000; i++) {
        const key = `corp-ldap/user/${String(i).padStart(5, '0')}`;
        keys.push(key);
        store.putMapping(mapping({ key, elderId: i, scope: i % 2 ? 'odd' : 'even' }));
      }
    });
    expect(store.countMappings('corp-ldap')).toBe(10_000);
    expect(store.countMappings('corp-ldap', 'odd')).toBe(5_000);

    const iterator = store.mappings('corp-ldap');
    const first = iterator.next();
    expect(first.done).toBe(false);
    expect((first.value as Mapping).key).toBe(keys[0]);

    // Deleting what was seen while the iterator is open must work (no "connection is busy").
    let seen = 1;
    store.deleteMapping('corp-ldap', keys[0]!);
    for (const m of iterator) {
      expect(m.key).toBe(keys[seen]);
      store.deleteMapping('corp-ldap', m.key);
      seen++;
    }
    expect(seen).toBe(10_000);
    expect(store.countMappings('corp-ldap')).toBe(0);

    let odd = 0;
    for (let i = 0; i < 2_500; i++) store.putMapping(mapping({ key: `k${i}`, scope: 'odd' }));
    for (const m of store.mappings('corp-ldap', 'odd')) odd += m.scope === 'odd' ? 1 : 0;
    expect(odd).toBe(2_500);
    store.close();
  });
});
