import { describe, expect, it } from 'vitest';
import { formatDuration, formatSummary } from './format-summary.js';
import type { ScopeCounts, ScopeReport, SyncReport } from './types.js';

const counts = (over: Partial<ScopeCounts> = {}): ScopeCounts => ({
  read: 0,
  create: 0,
  update: 0,
  delete: 0,
  unchanged: 0,
  withheld: 0,
  errors: 0,
  ...over,
});

function scope(over: Partial<ScopeReport>): ScopeReport {
  return {
    source: 'corp-ldap',
    connector: 'ldap',
    scope: 'dc=example,dc=com',
    label: 'dc=example,dc=com',
    status: 'ok',
    error: null,
    mode: 'full',
    counts: counts({ read: 42, create: 3, unchanged: 39 }),
    durationMs: 1234,
    ...over,
  };
}

function report(scopes: ScopeReport[], totals: ScopeCounts): SyncReport {
  return {
    runId: 'r',
    mode: 'apply',
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 2500,
    scopes,
    totals,
    elder: { reads: 0, writes: 0, retries: 0 },
    changes: () => [][Symbol.iterator](),
    tally: () => [],
    organizationCreates: () => [],
    close: () => {},
  };
}

describe('formatSummary', () => {
  it('is a table with one row per scope', () => {
    const text = formatSummary(report([scope({})], counts({ read: 42, create: 3, unchanged: 39 })));
    expect(text.split('\n')).toEqual([
      'source     scope              status  read  created  updated  deleted  unchanged  withheld  errors  duration',
      'corp-ldap  dc=example,dc=com  ok        42        3        0        0         39         0       0      1.2s',
    ]);
  });

  it('adds a total row and the error of each failed scope', () => {
    const text = formatSummary(
      report(
        [scope({}), scope({ source: 'hr-ldap', status: 'failed', error: 'connect ECONNREFUSED 127.0.0.1:1', counts: counts({ errors: 1 }) })],
        counts({ read: 42, create: 3, unchanged: 39, errors: 1 }),
      ),
    );
    const lines = text.split('\n');
    expect(lines[3]).toMatch(/^total\s+2 scopes\s+1 failed\s+42\s+3/);
    expect(lines.at(-1)).toBe('hr-ldap · dc=example,dc=com failed: connect ECONNREFUSED 127.0.0.1:1');
  });

  it('lists the root organizations created before any scope, so the rows add up to the totals', () => {
    const lines = formatSummary(report([scope({})], counts({ read: 42, create: 5, unchanged: 39 }))).split('\n');
    expect(lines[1]).toMatch(/^\s+root organization\s+ok\s+0\s+2\s+0\s+0\s+0/);
    expect(lines[2]).toMatch(/^corp-ldap\s+dc=example,dc=com\s+ok\s+42\s+3\s/);
    expect(lines[3]).toMatch(/^total\s+1 scope\s+ok\s+42\s+5\s/);
  });

  it('keeps a multi-line error on one line', () => {
    const text = formatSummary(report([scope({ status: 'failed', error: 'a: required\nb: required\n' })], counts()));
    expect(text.split('\n').at(-1)).toBe('corp-ldap · dc=example,dc=com failed: a: required; b: required');
  });
});

describe('formatDuration', () => {
  it('is short', () => {
    expect(formatDuration(850)).toBe('850ms');
    expect(formatDuration(12_345)).toBe('12.3s');
    expect(formatDuration(245_000)).toBe('4m05s');
    expect(formatDuration(119_700)).toBe('2m00s');
  });
});
