import { describe, expect, it } from 'vitest';
import { SENSITIVE } from '../secrets.js';
import { PLAN_LINES, formatPlan, renderValue } from './format-plan.js';
import type { PlanChange, PlanTally, Projection, ScopeCounts } from './types.js';

function projection(over: Partial<Projection> = {}): Projection {
  return {
    name: 'Alice Archer',
    type: 'user',
    subType: null,
    organization: 'Corp / People',
    attributes: { mail: 'alice@example.com', uid: 'alice' },
    tags: [],
    relations: [],
    staleSince: null,
    ...over,
  };
}

function change(over: Partial<PlanChange>): PlanChange {
  return {
    source: 'corp-ldap',
    scope: 'dc=example,dc=com',
    scopeLabel: 'ldap://localhost dc=example,dc=com',
    key: 'corp-ldap/user/1',
    action: 'create',
    target: 'entity',
    kind: 'user',
    name: 'Alice Archer',
    elderId: null,
    before: null,
    after: projection(),
    reason: null,
    ...over,
  };
}

const totals: ScopeCounts = { read: 10, create: 1, update: 1, delete: 1, unchanged: 7, withheld: 0, errors: 0 };

const sample: PlanChange[] = [
  change({}),
  change({
    key: 'corp-ldap/@org/Corp/Groups',
    target: 'organization',
    kind: 'ou',
    name: 'Groups',
    after: projection({ name: 'Groups', type: 'organization', organization: 'Corp', attributes: {} }),
  }),
  change({
    key: 'corp-ldap/user/2',
    action: 'update',
    name: 'Bob Baker',
    elderId: 12,
    before: projection({ name: 'Bob Baker', attributes: { mail: 'bob@old.example', uid: 'bob', phone: '1' } }),
    after: projection({ name: 'Bob Baker', attributes: { mail: 'bob@new.example', uid: 'bob', fax: '2' } }),
  }),
  change({
    key: 'corp-ldap/user/3',
    action: 'delete',
    name: 'Carol Cole',
    elderId: 13,
    before: projection({ name: 'Carol Cole' }),
    after: null,
  }),
];

const lines = (changes: Iterable<PlanChange>, opts: Parameters<typeof formatPlan>[1] = {}) => [...formatPlan(changes, opts)];

describe('formatPlan', () => {
  it('groups by source and scope and marks each action', () => {
    expect(lines(sample, { totals })).toEqual([
      '# corp-ldap · ldap://localhost dc=example,dc=com',
      '  + user "Alice Archer"',
      '  + organization "Corp / Groups"',
      '  ~ user "Bob Baker" (#12)',
      '      + attributes.fax: "2"',
      '      ~ attributes.mail: "bob@old.example" -> "bob@new.example"',
      '      - attributes.phone: "1"',
      '  - user "Carol Cole" (#13)',
      '',
      // Counted from the body (two creates), not from totals: the footer agrees with what is listed.
      'Plan: 2 to create, 1 to update, 1 to delete, 7 unchanged.',
    ]);
  });

  it('shows every attribute with --verbose', () => {
    const out = lines(sample.slice(0, 1).concat(sample[2]!), { verbose: true, totals });
    expect(out).toContain('      + attributes.mail: "alice@example.com"');
    expect(out).toContain('      + organization: "Corp / People"');
    // unchanged attributes of an update appear too, without a change symbol
    expect(out).toContain('        attributes.uid: "bob"');
  });

  it('prints a header per scope, in input order', () => {
    const out = lines([change({}), change({ scope: 'b', scopeLabel: 'second', key: 'corp-ldap/user/9' })], { totals });
    expect(out.filter((l) => l.startsWith('# '))).toEqual([
      '# corp-ldap · ldap://localhost dc=example,dc=com',
      '# corp-ldap · second',
    ]);
  });

  it('never prints sensitive values', () => {
    const out = lines(
      [
        change({ sensitive: ['apiKey'], after: projection({ attributes: { apiKey: 'hunter2-secret' } }) }),
        change({
          key: 'corp-ldap/user/2',
          action: 'update',
          sensitive: ['attributes.apiKey'],
          before: projection({ attributes: { apiKey: 'old-secret-1' } }),
          after: projection({ attributes: { apiKey: 'new-secret-2' } }),
        }),
      ],
      { verbose: true, totals },
    ).join('\n');
    expect(out).not.toMatch(/secret/);
    expect(out).toContain(`+ attributes.apiKey: ${SENSITIVE}`);
    expect(out).toContain(`~ attributes.apiKey: ${SENSITIVE} -> ${SENSITIVE}`);
  });

  it('says why a delete is withheld', () => {
    const out = lines(
      [change({ action: 'withheld', elderId: 14, name: 'Dan', after: null, reason: 'the read of user was incomplete' })],
      { totals: { ...totals, create: 0, update: 0, delete: 0, withheld: 1 } },
    );
    expect(out).toContain('  ! user "Dan" (#14) delete withheld: the read of user was incomplete');
    expect(out).toContain('1 stale object kept: delete withheld (see "!" lines).');
  });

  it('says "No changes" when there are none', () => {
    expect(lines([], { totals: { ...totals, create: 0, update: 0, delete: 0, unchanged: 245 } })).toEqual([
      'No changes. 245 unchanged.',
      'Plan: 0 to create, 0 to update, 0 to delete, 245 unchanged.',
    ]);
  });

  it('does not say "No changes" for a run whose scopes failed before they had a plan', () => {
    expect(lines([], { totals: { ...totals, create: 0, update: 0, delete: 0, unchanged: 0 }, failedScopes: 1 })).toEqual([
      'No changes in the scopes that were read; 1 scope failed before planning (see the errors).',
      'Plan: 0 to create, 0 to update, 0 to delete, 0 unchanged.',
    ]);
  });

  it('a footer agrees with its body when the run stopped half-way (totals then count what was applied)', () => {
    const applied = { ...totals, create: 0, update: 0, delete: 0 };
    expect(lines(sample, { totals: applied }).at(-1)).toBe('Plan: 2 to create, 1 to update, 1 to delete, 7 unchanged.');
  });

  it('prints a plan of 10 000 changes in at most 100 lines: the first changes, then exact counts per kind and organization', () => {
    const many: PlanChange[] = [];
    const departments = Array.from({ length: 30 }, (_, i) => `Corp / Dept ${String(i).padStart(2, '0')}`);
    for (let i = 0; i < 10_000; i++) {
      const organization = departments[i % 30]!;
      const action = i % 10 === 0 ? 'update' : i % 25 === 1 ? 'delete' : 'create';
      many.push(
        change({
          key: `corp-ldap/user/${String(i).padStart(5, '0')}`,
          action,
          name: `User ${i}`,
          elderId: action === 'create' ? null : i,
          before: action === 'create' ? null : projection({ name: `User ${i}`, organization, attributes: { uid: `u${i}`, mail: 'old' } }),
          after: action === 'delete' ? null : projection({ name: `User ${i}`, organization, attributes: { uid: `u${i}`, mail: 'new' } }),
        }),
      );
    }
    const want = { create: many.filter((c) => c.action === 'create').length, update: 1000, delete: many.filter((c) => c.action === 'delete').length };
    const out = lines(many, { totals: { ...totals, ...want, unchanged: 5 } });
    expect(out.length).toBeLessThanOrEqual(100);
    expect(out[0]).toBe('# corp-ldap · ldap://localhost dc=example,dc=com');
    expect(out[1]).toBe('  ~ user "User 0" (#0)');
    const listed = out.filter((l) => /^ {2}[+~-] /.test(l)).length;
    expect(out).toContain(
      `… and ${10_000 - listed} more changes not listed (${want.create - out.filter((l) => l.startsWith('  + ')).length} to create, ${want.update - out.filter((l) => l.startsWith('  ~ ')).length} to update, ${want.delete - out.filter((l) => l.startsWith('  - ')).length} to delete): --verbose lists every change, --out plan.json saves the whole plan.`,
    );
    const table = out.slice(out.indexOf('Changes by kind and organization:') + 1, out.indexOf('Changes by kind and organization:') + 23);
    expect(table[0]).toMatch(/^ {2}kind\s+organization\s+create\s+update\s+delete\s+withheld$/);
    const rows = table.slice(1).map((l) => l.trim().split(/\s{2,}/));
    // 20 organizations, then the other 10 summed: every change counted exactly once.
    expect(rows).toHaveLength(21);
    expect(rows.at(-1)![0]).toBe('… 10 more');
    const sum = (i: number) => rows.reduce((n, r) => n + Number(r[r.length - 4 + i]), 0);
    expect([sum(0), sum(1), sum(2), sum(3)]).toEqual([want.create, want.update, want.delete, 0]);
    expect(out.at(-1)).toBe(`Plan: ${want.create} to create, 1000 to update, ${want.delete} to delete, 5 unchanged.`);
    // --verbose lists them all.
    expect(lines(many, { verbose: true }).filter((l) => /^ {2}[+~-] /.test(l))).toHaveLength(10_000);
    // Given the plan's tally, the same bytes from its first PLAN_LINES + 1 changes, and not one read past the last listed.
    const tally = new Map<string, PlanTally>();
    for (const c of many) {
      const organization = (c.after ?? c.before)!.organization;
      const k = [c.source, c.action, c.target, c.kind, organization].join('|');
      tally.set(k, { source: c.source, action: c.action, target: c.target, kind: c.kind, organization, count: (tally.get(k)?.count ?? 0) + 1 });
    }
    let pulled = 0;
    function* firstChanges() {
      for (const c of many.slice(0, PLAN_LINES + 1)) {
        pulled++;
        yield c;
      }
    }
    expect(lines(firstChanges(), { totals: { ...totals, ...want, unchanged: 5 }, tally: [...tally.values()] })).toEqual(out);
    expect(pulled).toBe(out.filter((l) => /^ {2}[+~-] /.test(l)).length + 1);
  });

  it('counts the changes itself when no totals are given', () => {
    expect(lines(sample).at(-1)).toBe('Plan: 2 to create, 1 to update, 1 to delete, 0 unchanged.');
  });

  it('is lazy: it streams lines as changes arrive', () => {
    let pulled = 0;
    function* source() {
      for (let i = 0; i < 1_000_000; i++) {
        pulled++;
        yield change({ key: `corp-ldap/user/${i}`, name: `u${i}` });
      }
    }
    const it = formatPlan(source(), {})[Symbol.iterator]();
    it.next();
    it.next();
    expect(pulled).toBe(1);
  });

  it('is byte-stable and uses paint only when colour is on', () => {
    const paint = { create: (s: string) => `<g>${s}</g>`, heading: (s: string) => `<b>${s}</b>` };
    expect(lines(sample, { totals })).toEqual(lines(sample, { totals }));
    expect(lines(sample, { totals, paint, color: false })).toEqual(lines(sample, { totals }));
    const coloured = lines(sample, { totals, paint, color: true });
    expect(coloured[0]).toBe('<b># corp-ldap · ldap://localhost dc=example,dc=com</b>');
    expect(coloured[1]).toBe('<g>  + user "Alice Archer"</g>');
  });

  it('renders list changes as added and removed items', () => {
    const out = lines([
      change({
        action: 'update',
        before: projection({ relations: ['member_of:corp-ldap/group/a', 'member_of:corp-ldap/group/b'] }),
        after: projection({ relations: ['member_of:corp-ldap/group/a', 'member_of:corp-ldap/group/c'] }),
      }),
    ]);
    expect(out).toContain(
      '      ~ relations: added ["member_of:corp-ldap/group/c"], removed ["member_of:corp-ldap/group/b"] (2 -> 2 items)',
    );
  });
});

describe('renderValue', () => {
  it('is compact JSON with sorted keys and collapses long lists', () => {
    expect(renderValue({ b: 1, a: [true, null] })).toBe('{"a":[true,null],"b":1}');
    expect(renderValue(['1', '2', '3', '4', '5', '6', '7'])).toBe('["1","2","3","4","5",… 2 more]');
    expect(renderValue('x'.repeat(200))).toBe(`"${'x'.repeat(120)}"… (200 chars)`);
  });
});
