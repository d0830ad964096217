import { describe, expect, it } from 'vitest';
import { PlanStore, type IndexedEntity } from './plan-store.js';
import { actualProjection, readStamp } from './projection.js';
import type { PlanChange, Projection } from './types.js';

const projection = (name: string, extra: Partial<Projection> = {}): Projection => ({
  name, type: 'user', subType: null, organization: '', attributes: { n: name }, tags: [], relations: [], staleSince: null, ...extra,
});
/** An owned entity as the index finds it in Elder: its projection is what its stamp says of it. */
const entity = (key: string, elderId: number, extra: Partial<IndexedEntity> & { relations?: string[] } = {}): IndexedEntity => {
  const { relations = [], ...rest } = extra;
  const kind = rest.kind ?? 'user';
  const stamp = { v: 1, key, source: 's', scope: rest.scope ?? 'dir', kind, fields: ['n'], tags: ['t'], relations };
  const found = { name: key, type: 'user', subType: null, attributes: { n: key, theirs: 'kept', elder_sync: stamp }, tags: ['t', 'theirs'] };
  const projection = actualProjection(found, readStamp(found.attributes)!, 'Corp');
  return { source: 's', key, elderId, scope: 'dir', kind, hash: `h-${key}`, projection, attributes: found.attributes, tags: found.tags, organizationId: 1, ...rest };
};
const change = (key: string, extra: Partial<PlanChange> = {}): PlanChange => ({
  source: 's', scope: 'dir', scopeLabel: 'dir', key, action: 'create', target: 'entity', kind: 'user', name: key,
  elderId: null, before: null, after: projection(key), reason: null, ...extra,
});

describe('PlanStore (the run\'s working set, written in batches)', () => {
  describe('owned: what a source owns in Elder', () => {
    it('answers an unchanged record with its Elder id and hash alone, marks it seen, and sees its own batched writes at once', () => {
      const store = new PlanStore();
      store.owned.add(entity('s/user/a', 7));
      store.owned.add(entity('s/user/c', 9));
      expect(store.owned.see('s', 's/user/a')).toEqual({ elderId: 7, hash: 'h-s/user/a' });
      expect(store.owned.see('s', 's/user/b')).toBeNull();
      expect([...store.owned.unseen('s', 'dir', 'user')].map((e) => e.key)).toEqual(['s/user/c']);
      expect(store.owned.countUnseen('s', 'dir', 'user')).toBe(1);
      store.owned.put(entity('s/user/b', 8));
      expect(store.owned.get('s', 's/user/b')).toEqual(entity('s/user/b', 8));
      // Found in Elder, it is read back whole: the projection derived again from its stamp.
      expect(store.owned.get('s', 's/user/c')).toEqual(entity('s/user/c', 9));
      // Written by this run, it is read back as its stamp says, like one found: what Elder now holds,
      // not the projection the writer wanted (its stamp may still claim a relation being removed).
      const written = entity('s/user/d', 10, { relations: ['member_of:s/group/g'] });
      store.owned.put({ ...written, projection: { ...written.projection, relations: [] } });
      expect(store.owned.get('s', 's/user/d')).toEqual(written);
      // An answer without a stamp (a hostile Elder) keeps the projection as given.
      const unstamped = { ...entity('s/user/e', 11), attributes: { n: 's/user/e' } };
      store.owned.put(unstamped);
      expect(store.owned.get('s', 's/user/e')).toEqual(unstamped);
      expect(store.owned.countUnseen('s', 'dir', 'user')).toBe(1);
      store.close();
    });

    it('keeps the lowest Elder id of a key as the object and lists the others as duplicates', () => {
      const store = new PlanStore();
      expect(store.owned.add(entity('s/user/a', 20))).toBe('indexed');
      expect(store.owned.add(entity('s/user/a', 10))).toBe('duplicate');
      expect(store.owned.add(entity('s/user/a', 10))).toBe('indexed');
      expect(store.owned.elderIdOf('s', 's/user/a')).toBe(10);
      expect(store.owned.duplicates('s', 'dir').map((d) => d.elderId)).toEqual([20]);
      store.close();
    });

    it("keeps this run's writes in a batch that look-ups answer from and every other read writes first", async () => {
      const store = new PlanStore();
      store.owned.add(entity('s/user/a', 1));
      store.owned.put(entity('s/user/a', 1, { hash: 'written' }));
      store.owned.put(entity('s/user/b', 2));
      // Look-ups answer from the batch, before what the tables hold (the entity found in Elder).
      expect(store.owned.see('s', 's/user/a')).toEqual({ elderId: 1, hash: 'written' });
      expect(store.owned.elderIdOf('s', 's/user/b')).toBe(2);
      // A listing writes the batch first: both written entities count as seen.
      expect(store.owned.count('s', 'dir')).toBe(2);
      expect(store.owned.countUnseen('s', 'dir', 'user')).toBe(0);
      // Closed with a batch pending, the timer that would write it stays quiet.
      store.owned.put(entity('s/user/c', 3));
      store.close();
      await new Promise((resolve) => setTimeout(resolve, 50));
    });

    it('replaces an entry without changing whether it was seen, and forgets a removed one', () => {
      const store = new PlanStore();
      store.owned.add(entity('s/user/a', 1));
      store.owned.add(entity('s/user/b', 2));
      store.owned.see('s', 's/user/a');
      store.owned.replace(entity('s/user/a', 1, { hash: 'new' }));
      store.owned.replace(entity('s/user/b', 2, { hash: 'new' }));
      expect([...store.owned.unseen('s', 'dir', 'user')].map((e) => [e.key, e.hash])).toEqual([['s/user/b', 'new']]);
      store.owned.remove('s', 's/user/b');
      expect(store.owned.get('s', 's/user/b')).toBeNull();
      expect(store.owned.count('s', 'dir')).toBe(1);
      store.close();
    });

    it('lists unseen entities of more than one page in key order, and moves a renamed scope', () => {
      const store = new PlanStore();
      const keys = Array.from({ length: 2500 }, (_, i) => `s/user/${String(i).padStart(5, '0')}`);
      store.transaction(() => { for (const key of [...keys].reverse()) store.owned.add(entity(key, keys.indexOf(key) + 1, { scope: 'old' })); });
      expect(store.owned.moveScope('s', 'old', 'dir')).toBe(2500);
      for (const key of keys.filter((_, i) => i % 2 === 0)) store.owned.see('s', key);
      expect([...store.owned.unseen('s', 'dir', 'user')].map((e) => e.key)).toEqual(keys.filter((_, i) => i % 2 === 1));
      expect([...store.owned.ofScope('s', 'dir')]).toHaveLength(2500);
      expect(store.owned.scopes('s')).toEqual(['dir']);
      store.close();
    });
  });

  describe('claims: relations owned entities\' stamps claim', () => {
    it('holds a claim Elder confirms by both ends\' ids, and lists the unconfirmed ones', () => {
      const store = new PlanStore();
      store.owned.add(entity('s/group/g', 1, { kind: 'group' }));
      store.owned.add(entity('s/user/a', 2, { relations: ['member_of:s/group/g'] }));
      store.owned.add(entity('s/user/b', 3, { relations: ['member_of:s/group/g'] }));
      expect(store.claims.types('s')).toEqual(['member_of']);
      store.claims.confirm('s', 'member_of', 2, 1);
      expect([...store.claims.unconfirmed('s')]).toEqual([{ key: 's/user/b', relations: ['member_of:s/group/g'] }]);
      store.close();
    });
  });

  describe('adoptable: unowned entities --adopt may take over', () => {
    it('finds one by a natural key, case-folded when asked, takes it once, and refuses an ambiguous match', () => {
      const store = new PlanStore();
      const elder = (id: number, dn: string) => ({ id, name: dn, type: 'identity', subType: 'user', organizationId: 1, attributes: { ldap_dn: dn }, tags: [] }) as never;
      store.adoptable.add('s', elder(5, 'CN=A'), 'ldap_dn', 'CN=A', true);
      store.adoptable.add('s', elder(6, 'cn=b'), 'ldap_dn', 'cn=b', true);
      store.adoptable.add('s', elder(7, 'CN=B'), 'ldap_dn', 'CN=B', true);
      expect(store.adoptable.find('s', 'identity', 'ldap_dn', 'cn=a', { fold: true, claim: true })).toMatchObject({ entity: { id: 5 } });
      expect(store.adoptable.find('s', 'identity', 'ldap_dn', 'cn=a', { fold: true })).toBeNull();
      expect(store.adoptable.find('s', 'identity', 'ldap_dn', 'cn=b', { fold: true })).toEqual({ ambiguous: [6, 7] });
      store.close();
    });
  });

  describe('changes: the plan', () => {
    it('writes more than one batch and lists every change, in key order, while a batch is open', () => {
      const store = new PlanStore();
      const keys = Array.from({ length: 12_000 }, (_, i) => `s/user/${String(i).padStart(5, '0')}`);
      for (const key of [...keys].reverse()) store.changes.add(change(key));
      expect([...store.changes.all()].map((c) => c.key)).toEqual(keys);
      // Paged by (key, seq) through the index: every planned change once, outcomes recorded.
      const planned = [...store.changes.of('s', 'dir', 'entity', 'create')];
      expect(planned).toHaveLength(12_000);
      for (const c of planned.slice(0, 10)) store.changes.setOutcome(c.seq, 'applied');
      expect([...store.changes.of('s', 'dir', 'entity', 'create', 'applied')].map((c) => c.key)).toEqual(keys.slice(0, 10));
      expect([...store.changes.of('s', 'dir', 'entity', 'create')]).toHaveLength(11_990);
      store.close();
    });

    it('lists a long plan for printing: its first changes in plan order, and every change counted', () => {
      const store = new PlanStore();
      const keys = ['s/user/c', 's/user/a', 's/user/d', 's/user/b', 's/user/e'];
      for (const key of keys) store.changes.add(change(key, { after: projection(key, { organization: key < 's/user/c' ? 'org-1' : 'org-2' }) }));
      store.changes.add(change('s/user/f', { action: 'delete', before: projection('s/user/f', { organization: 'org-2' }), after: null }));
      const whole = [...store.changes.all()];
      expect(whole.map((c) => c.key)).toEqual(['s/user/a', 's/user/b', 's/user/c', 's/user/d', 's/user/e', 's/user/f']);
      expect([...store.changes.all(2)].map((c) => c.after?.name)).toEqual(['s/user/a', 's/user/b']);
      expect([...store.changes.all(10)].map((c) => c.key)).toEqual(whole.map((c) => c.key));
      expect([...store.changes.all(0)]).toEqual([]);
      expect(store.changes.tally()).toEqual([
        { source: 's', action: 'create', target: 'entity', kind: 'user', organization: 'org-1', count: 2 },
        { source: 's', action: 'create', target: 'entity', kind: 'user', organization: 'org-2', count: 3 },
        { source: 's', action: 'delete', target: 'entity', kind: 'user', organization: 'org-2', count: 1 },
      ]);
      store.close();
    });

    it("lists the organizations its scopes create, by path below the root: not a missing root's, not other changes", () => {
      const store = new PlanStore();
      const org = (scope: string, path: string[], action: PlanChange['action'] = 'create') =>
        store.changes.add(change(`s/@org/${path.join('/')}`, { scope, target: 'organization', kind: '@org', action, after: projection(path.at(-1)!, { type: 'organization' }) }), { organizationPath: path });
      store.changes.add(change('s/@org/@root/Acme', { scope: '@root', target: 'organization', kind: '@org' }));
      org('acct-1/us-east-1', ['acct-1']);
      org('acct-1/us-east-1', ['acct-1', 'us-east-1']);
      org('acct-2/eu-west-1', ['acct-2'], 'update');
      store.changes.add(change('s/user/a'));
      expect(store.changes.organizationCreates()).toEqual([
        { source: 's', scope: 'acct-1/us-east-1', path: ['acct-1'] },
        { source: 's', scope: 'acct-1/us-east-1', path: ['acct-1', 'us-east-1'] },
      ]);
      store.close();
    });

    it('gives the links pass only applied changes that add or drop relations or set a parent', () => {
      const store = new PlanStore();
      const related = projection('x', { relations: ['member_of:s/group/g'] });
      store.changes.add(change('s/user/plain'));
      store.changes.add(change('s/user/joins', { after: related }));
      store.changes.add(change('s/user/child', { after: projection('c', { parent: 's/user/plain' }) }));
      store.changes.add(change('s/user/same', { action: 'update', before: related, after: { ...related, name: 'y' } }));
      store.changes.add(change('s/user/leaves', { action: 'update', before: related, after: projection('z') }));
      store.changes.add(change('s/user/failed', { after: related }));
      for (const c of store.changes.all()) store.changes.setOutcome(c.seq, c.key === 's/user/failed' ? 'failed' : 'applied');
      const linked = (action: 'create' | 'update') => [...store.changes.withLinks('s', 'dir', action)].map((c) => c.key);
      expect(linked('create')).toEqual(['s/user/child', 's/user/joins']);
      expect(linked('update')).toEqual(['s/user/leaves']);
      store.close();
    });

    it('numbers a change when it is added and writes it with its batch: read back by its number, and kept while a slow reader holds the plan open', async () => {
      const store = new PlanStore();
      const first = store.changes.add(change('s/user/a'));
      const second = store.changes.add(change('s/user/b'));
      expect(second).toBe(first + 1);
      // Still in the batch, it reads back by its number (the early writes' queue holds numbers only).
      expect(store.changes.planned(second)?.key).toBe('s/user/b');
      // The plan printed to a slow consumer holds a statement open; the next batch's timer fires meanwhile.
      const printing = store.changes.all();
      expect(printing.next().value?.key).toBe('s/user/a');
      const third = store.changes.add(change('s/user/c'));
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect([...printing].map((c) => c.key)).toEqual(['s/user/b']);
      expect([...store.changes.all()].map((c) => c.key)).toEqual(['s/user/a', 's/user/b', 's/user/c']);
      expect(store.changes.planned(third)?.key).toBe('s/user/c');
      store.close();
    });

    it('closes with a batch open, and its pending commit then does nothing', async () => {
      const store = new PlanStore();
      store.changes.add(change('s/user/a'));
      store.close();
      await new Promise((r) => setTimeout(r, 150));
    });
  });
});
