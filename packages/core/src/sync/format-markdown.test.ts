import { describe, expect, it } from 'vitest';
import { formatPlanMarkdown } from './format-markdown.js';
import type { ScopeCounts, SyncReport } from './types.js';

const counts = (over: Partial<ScopeCounts> = {}): ScopeCounts => ({ read: 0, create: 0, update: 0, delete: 0, unchanged: 0, withheld: 0, errors: 0, ...over });

describe('formatPlanMarkdown', () => {
  it('has a table whose rows add up to the headline counts, root organizations included', () => {
    const report = {
      runId: 'r',
      mode: 'plan',
      startedAt: '2026-01-01T00:00:00.000Z',
      durationMs: 1,
      scopes: [
        { source: 'corp', connector: 'ldap', scope: 'a', label: 'dir a', status: 'ok', error: null, mode: 'full', counts: counts({ read: 20, create: 20 }), durationMs: 1 },
        { source: 'corp', connector: 'ldap', scope: 'b', label: 'dir b', status: 'ok', error: null, mode: 'full', counts: counts({ read: 2, create: 2, unchanged: 3 }), durationMs: 1 },
      ],
      // Two organizations of a missing root, created before any scope.
      totals: counts({ read: 22, create: 24, unchanged: 3 }),
      elder: { reads: 0, writes: 0, retries: 0 },
      elderUrl: 'http://elder',
      options: { full: false, only: null, adopt: false },
      changes: () => [][Symbol.iterator](),
      tally: () => [],
      organizationCreates: () => [],
      close: () => {},
    } as SyncReport;
    const lines = [...formatPlanMarkdown(report)];
    expect(lines[2]).toBe('**Plan: 24 to create, 0 to update, 0 to delete, 3 unchanged.**');
    const rows = lines.filter((l) => /^\| .* \| \d+ \|$/.test(l)).map((l) => l.split('|').map((c) => c.trim()));
    expect(rows.map((r) => r[2])).toEqual(['root organization', 'dir a', 'dir b']);
    expect(rows.reduce((n, r) => n + Number(r[4]), 0)).toBe(24);
    expect(rows.reduce((n, r) => n + Number(r[7]), 0)).toBe(3);
  });
});
