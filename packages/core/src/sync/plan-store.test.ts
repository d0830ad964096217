import { describe, expect, it } from 'vitest';
import { PlanStore, type IndexedEntity } from './plan-store.js';
import type { PlanChange, Projection } from './types.js';

const projection = (name: string): Projection => ({
  name, type: 'user', subType: null, organization: '', attributes: { n: name }, tags: [], relations: [], staleSince: null,
});
const entity = (key: string, elderId: number): IndexedEntity => ({
  source: 's', key, elderId, scope: 'dir', kind: 'user', hash: `h-${key}`, projection: projection(key),
  attributes: {}, tags: [], organizationId: 1,
});
const create = (key: string): PlanChange => ({
  source: 's', scope: 'dir', scopeLabel: 'dir', key, action: 'create', target: 'entity', kind: 'user', name: key,
  elderId: null, before: null, after: projection(key), reason: null,
});

describe('PlanStore (the run\'s working set, written in batches)', () => {
  it('answers an unchanged record with its Elder id and hash alone, and sees its own batched writes at once', () => {
    const store = new PlanStore();
    store.index(entity('s/user/a', 7));
    expect(store.lookup('s', 's/user/a')).toEqual({ elderId: 7, hash: 'h-s/user/a' });
    expect(store.lookup('s', 's/user/b')).toBeNull();
    store.markSeen('s', 's/user/a');
    expect([...store.unseen('s', 'dir', 'user')]).toEqual([]);
    store.upsertIndexed(entity('s/user/b', 8));
    expect(store.getIndexed('s', 's/user/b')?.elderId).toBe(8);
    store.close();
  });

  it('writes more than one batch and lists every change, in key order, while a batch is open', () => {
    const store = new PlanStore();
    const keys = Array.from({ length: 12_000 }, (_, i) => `s/user/${String(i).padStart(5, '0')}`);
    for (const key of [...keys].reverse()) store.addChange(create(key));
    const listed = [...store.changes()].map((c) => c.key);
    expect(listed).toEqual(keys);
    // Paged by (key, seq) through the index: every planned change once, outcomes recorded.
    const planned = [...store.changesOf('s', 'dir', 'entity', 'create')];
    expect(planned).toHaveLength(12_000);
    for (const change of planned.slice(0, 10)) store.setOutcome(change.seq, 'applied');
    expect([...store.changesOf('s', 'dir', 'entity', 'create', 'applied')].map((c) => c.key)).toEqual(keys.slice(0, 10));
    store.close();
  });

  it('closes with a batch open, and its pending commit then does nothing', async () => {
    const store = new PlanStore();
    store.addChange(create('s/user/a'));
    store.close();
    await new Promise((r) => setTimeout(r, 150));
  });
});
