import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { SENSITIVE } from '../secrets.js';
import { planJsonSchema, planToJson, writePlanJson } from './plan-json.js';
import type { PlanChange, Projection, ScopeCounts, SyncReport } from './types.js';

const COMMITTED_SCHEMA = new URL('../../plan.schema.json', import.meta.url);

const totals: ScopeCounts = { read: 3, create: 1, update: 1, delete: 1, unchanged: 0, withheld: 0, errors: 0 };

function projection(overrides: Partial<Projection> = {}): Projection {
  return {
    name: 'Alice',
    type: 'user',
    subType: 'person',
    organization: 'Corp / People',
    attributes: { email: 'alice@example.test' },
    tags: [],
    relations: [],
    staleSince: null,
    ...overrides,
  };
}

function change(overrides: Partial<PlanChange>): PlanChange {
  return {
    source: 'corp-ldap',
    scope: 'dc=example,dc=com',
    scopeLabel: 'ldap://ldap dc=example,dc=com',
    key: 'corp-ldap/user/1',
    action: 'create',
    target: 'entity',
    kind: 'user',
    name: 'Alice',
    elderId: null,
    before: null,
    after: projection(),
    reason: null,
    ...overrides,
  };
}

function report(changes: PlanChange[]): SyncReport {
  return {
    runId: 'r1',
    mode: 'plan',
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 5,
    scopes: [
      {
        source: 'corp-ldap',
        connector: 'ldap',
        scope: 'dc=example,dc=com',
        label: 'ldap://ldap dc=example,dc=com',
        status: 'ok',
        error: null,
        mode: 'full',
        counts: totals,
        durationMs: 5,
        cursor: { csn: '20261124115428.550636Z#000000#000#000000' },
      },
    ],
    totals,
    elder: { reads: 1, writes: 0, retries: 0 },
    elderUrl: 'https://elder.example.com',
    options: { full: false, only: null, adopt: false },
    changes: () => changes[Symbol.iterator](),
    tally: () => [],
    organizationCreates: () => [],
    close: () => {},
  };
}

const sample = [
  change({ key: 'corp-ldap/user/1' }),
  change({ key: 'corp-ldap/user/2', action: 'update', elderId: 12, before: projection({ name: 'Bob' }), after: projection({ name: 'Bob', attributes: { email: 'new' } }) }),
  change({ key: 'corp-ldap/user/3', action: 'delete', elderId: 13, before: projection({ name: 'Carol' }), after: null }),
  change({ key: 'corp-ldap/user/4', sensitive: ['apiKey'], after: projection({ attributes: { apiKey: 'hunter2-secret' } }) }),
];

describe('the plan document', () => {
  it('validates against the committed JSON Schema', () => {
    const schema = JSON.parse(readFileSync(COMMITTED_SCHEMA, 'utf8'));
    const validate = new Ajv2020({ strict: false }).compile(schema);
    const doc = planToJson(report(sample));
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...doc, formatVersion: 2 })).toBe(false);
    expect(validate({ ...doc, changes: [{ ...doc.changes[0], action: 'explode' }] })).toBe(false);
  });

  it('matches the schema generated from its zod source (regenerate plan.schema.json when this fails)', () => {
    const committed = JSON.parse(readFileSync(COMMITTED_SCHEMA, 'utf8'));
    expect(committed).toEqual(planJsonSchema());
  });

  it('carries the Elder ids and the content hashes it was computed against', () => {
    const doc = planToJson(report(sample));
    const update = doc.changes.find((c) => c.action === 'update')!;
    expect(update.elderId).toBe(12);
    expect(update.beforeHash).toMatch(/^[0-9a-f]{32}$/);
    expect(update.afterHash).not.toBe(update.beforeHash);
    expect(doc.sources[0]!.scopes[0]!.cursor).toEqual({ csn: '20261124115428.550636Z#000000#000#000000' });
    expect(doc.elder.url).toBe('https://elder.example.com');
  });

  it('masks sensitive values', () => {
    const doc = planToJson(report(sample));
    expect(JSON.stringify(doc)).not.toContain('hunter2');
    expect(doc.changes[3]?.after?.attributes['apiKey']).toBe(SENSITIVE);
  });

  it('is written piece by piece with exactly the bytes of the whole document', async () => {
    for (const changes of [sample, []]) {
      let streamed = '';
      await writePlanJson(report(changes), (chunk) => {
        streamed += chunk;
      });
      expect(streamed).toBe(JSON.stringify(planToJson(report(changes)), null, 2) + '\n');
    }
  });
});
