import { describe, expect, it } from 'vitest';
import { ProgressView } from './progress-view.js';

const counts = { read: 3, create: 2, update: 1, delete: 0, unchanged: 0, withheld: 0, errors: 0 };

function view() {
  let now = 1_000;
  const out: string[] = [];
  const v = new ProgressView({ write: (t) => out.push(t), redact: (t) => t.replaceAll('s3cret', '[REDACTED]'), now: () => now });
  return { v, out, tick: (ms: number) => (now += ms) };
}

describe('ProgressView', () => {
  it('shows one row per scope: read, planned, done, errors, elapsed, state; and Elder request counts', () => {
    const { v, tick } = view();
    v.onProgress({ type: 'scope-start', source: 'corp', scope: 's1', label: 'ldap://a dc=x' });
    v.onProgress({ type: 'read', source: 'corp', scope: 's1', read: 3 });
    tick(1500);
    expect(v.lines()[0]).toMatch(/^corp · ldap:\/\/a dc=x\s+read\s+3\s+plan …\s+done \+0 ~0 -0\s+errors 0\s+1\.5s\s+reading$/);
    v.onProgress({ type: 'planned', source: 'corp', scope: 's1', counts });
    v.onProgress({ type: 'applied', source: 'corp', scope: 's1', create: 1, update: 0, delete: 0, errors: 0 });
    v.onRequest({ method: 'GET', route: '/api/v1/entities', status: 200, durationMs: 3, throttled: false });
    v.onRequest({ method: 'POST', route: '/api/v1/entities', status: 429, durationMs: 3, throttled: true });
    expect(v.lines()).toEqual([
      expect.stringMatching(/plan \+2 ~1 -0\s+done \+1 ~0 -0\s+errors 0\s+33% eta 0s\s+1\.5s\s+writing$/),
      'Elder: 2 requests, 1 throttled',
    ]);
    v.onScopeDone({ source: 'corp', connector: 'ldap', scope: 's1', label: 'ldap://a dc=x', status: 'failed', error: 'boom\nmore', mode: 'full', counts: { ...counts, errors: 1 }, durationMs: 2000 });
    expect(v.lines()[0]).toMatch(/done \+2 ~1 -0\s+errors 1\s+2\.0s\s+failed: boom$/);
    v.finish();
  });

  it('shows how far a scope is: the share read of what it owns (an estimate), then the share of writes done and an estimate of the rest', () => {
    const { v, tick } = view();
    v.onProgress({ type: 'scope-start', source: 'corp', scope: 's1', label: 'S', expected: 200 });
    v.onProgress({ type: 'read', source: 'corp', scope: 's1', read: 50 });
    expect(v.lines()[0]).toMatch(/errors 0\s+~25%\s+[\d.]+s\s+reading$/);
    // More than expected (new records): still an estimate, never shown as done.
    v.onProgress({ type: 'read', source: 'corp', scope: 's1', read: 250 });
    expect(v.lines()[0]).toMatch(/~99%\s+[\d.]+s\s+reading$/);
    v.onProgress({ type: 'planned', source: 'corp', scope: 's1', counts: { ...counts, create: 80, update: 20 } });
    expect(v.lines()[0]).toMatch(/0% eta …\s+[\d.]+s\s+writing$/);
    tick(10_000);
    v.onProgress({ type: 'applied', source: 'corp', scope: 's1', create: 25, update: 0, delete: 0, errors: 0 });
    // 25 of 100 writes in 10 s: 75 more take about 30 s.
    expect(v.lines()[0]).toMatch(/25% eta 30s\s+[\d.]+s\s+writing$/);
    v.onScopeDone({ source: 'corp', connector: 'ldap', scope: 's1', label: 'S', status: 'ok', error: null, mode: 'full', counts: { ...counts, create: 80, update: 20 }, durationMs: 40_000 });
    expect(v.lines()[0]).toMatch(/100%\s+40\.0s\s+ok$/);
    v.finish();
  });

  it('estimates the rest from the writes done since the plan was complete, not those done while reading', () => {
    const { v, tick } = view();
    v.onProgress({ type: 'scope-start', source: 'corp', scope: 's1', label: 'S' });
    tick(5_000);
    v.onProgress({ type: 'applied', source: 'corp', scope: 's1', create: 40, update: 0, delete: 0, errors: 0 });
    expect(v.lines()[0]).toMatch(/done \+40 ~0 -0\s+errors 0\s+[\d.]+s\s+reading$/);
    v.onProgress({ type: 'planned', source: 'corp', scope: 's1', counts: { ...counts, create: 100, update: 0 } });
    expect(v.lines()[0]).toMatch(/40% eta …\s+[\d.]+s\s+writing$/);
    tick(10_000);
    v.onProgress({ type: 'applied', source: 'corp', scope: 's1', create: 60, update: 0, delete: 0, errors: 0 });
    // 20 writes in the 10 s since the plan: the 40 left take about 20 s.
    expect(v.lines()[0]).toMatch(/60% eta 20s\s+[\d.]+s\s+writing$/);
    v.finish();
  });

  it("shows a source's Elder index filling before its scopes start, and how long it took once complete", () => {
    const { v, out, tick } = view();
    v.onProgress({ type: 'index', source: 'corp', indexed: 0, state: 'indexing' });
    tick(1200);
    v.onProgress({ type: 'index', source: 'corp', indexed: 1000, state: 'indexing' });
    expect(v.lines()).toEqual([expect.stringMatching(/^corp · Elder index\s+indexed\s+1000 owned entities\s+1\.2s\s+indexing$/), 'Elder: 0 requests, 0 throttled']);
    tick(800);
    const frames = out.length;
    v.onProgress({ type: 'index', source: 'corp', indexed: 1500, state: 'indexed' });
    // Complete: drawn at once, and its time stays as it was when the index completed.
    expect(out.slice(frames).join('')).toMatch(/corp · Elder index\s+indexed\s+1500 owned entities\s+2\.0s\s+indexed\n/);
    tick(5000);
    v.onProgress({ type: 'scope-start', source: 'corp', scope: 's1', label: 'S' });
    const [index, scope] = v.lines();
    expect(index).toMatch(/indexed\s+1500 owned entities\s+2\.0s\s+indexed$/);
    // One name column for both kinds of row.
    expect(scope!.indexOf(' read ')).toBe(index!.indexOf(' indexed '));
    v.finish();
  });

  it('shows an index that failed as failed, not as still going', () => {
    const { v, tick } = view();
    v.onProgress({ type: 'index', source: 'corp', indexed: 0, state: 'indexing' });
    tick(300);
    v.onProgress({ type: 'index', source: 'corp', indexed: 0, state: 'failed' });
    tick(5000);
    expect(v.lines()[0]).toMatch(/^corp · Elder index\s+indexed\s+0 owned entities\s+0\.3s\s+failed$/);
    v.finish();
  });

  it('redraws in place: the second frame moves the cursor up over the first and clears each line', () => {
    const { v, out } = view();
    v.onProgress({ type: 'scope-start', source: 'a', scope: 's', label: 'S' });
    v.finish();
    // First frame: no cursor movement, each line cleared and written.
    expect(out[0]).toMatch(/^\r\x1b\[2Ka · S\s+read\s+0 .*reading\n\r\x1b\[2KElder: 0 requests, 0 throttled\n$/);
    v.onProgress({ type: 'read', source: 'a', scope: 's', read: 1 });
    v.finish();
    expect(out.at(-1)).toMatch(/^\x1b\[2A\r\x1b\[2Ka · S\s+read\s+1 /);
  });

  it('draws a scope starting and its plan completing at once, between timed redraws', () => {
    const { v, out } = view();
    v.onRequest({ method: 'POST', route: '/api/v1/portal-auth/login', status: 200, durationMs: 3, throttled: false });
    const frames = out.length;
    v.onProgress({ type: 'scope-start', source: 'a', scope: 's', label: 'S' });
    expect(out.slice(frames).join('')).toMatch(/a · S .*reading\n/);
    v.onProgress({ type: 'read', source: 'a', scope: 's', read: 2 });
    v.onProgress({ type: 'planned', source: 'a', scope: 's', counts });
    expect(out.at(-1)).toMatch(/a · S\s+read\s+2\s+plan \+2 ~1 -0 .*writing\n/);
    v.finish();
  });

  it('prints a log line above the rows, redacted, and redraws them below it', () => {
    const { v, out } = view();
    v.onProgress({ type: 'scope-start', source: 'a', scope: 's', label: 'S' });
    v.finish();
    v.printAbove('WARN  password s3cret rejected');
    expect(out.at(-2)).toBe('\x1b[2A\r\x1b[JWARN  password [REDACTED] rejected\n');
    expect(out.at(-1)!.startsWith('\r\x1b[2Ka · S')).toBe(true);
  });

  it('lists rows as the summary table does, whatever order they started in: indexes first, then by source and scope', () => {
    const { v } = view();
    for (const [source, scope] of [['web', 's2'], ['Corp', 's1'], ['corp', 's3'], ['web', 's1'], ['corp', 's1']] as const) {
      v.onProgress({ type: 'scope-start', source, scope, label: scope });
    }
    v.onProgress({ type: 'index', source: 'web', indexed: 0, state: 'indexing' });
    const names = v.lines().slice(0, -1).map((l) => l.split(/\s{2,}/)[0]);
    expect(names).toEqual(['web · Elder index', 'corp · s1', 'corp · s3', 'Corp · s1', 'web · s1', 'web · s2']);
    v.finish();
  });

  it('draws no more rows than the terminal has lines: what is going on first, then what failed, then a count of the rest', () => {
    const out: string[] = [];
    const v = new ProgressView({ write: (t) => out.push(t), redact: (t) => t, rows: 8 });
    // An Organization's accounts × regions: far more scopes than lines.
    for (let i = 0; i < 300; i++) v.onProgress({ type: 'scope-start', source: 'aws', scope: `s${String(i).padStart(3, '0')}`, label: `scope ${i}` });
    const report = (i: number, status: 'ok' | 'failed') => v.onScopeDone({ source: 'aws', connector: 'aws', scope: `s${String(i).padStart(3, '0')}`, label: `scope ${i}`, status, error: status === 'failed' ? 'denied' : null, mode: 'full', counts, durationMs: 10 });
    for (let i = 0; i < 296; i++) if (i !== 7) report(i, i === 3 ? 'failed' : 'ok');
    const lines = v.lines();
    // Seven lines at most: the cursor's own line stays on the screen.
    expect(lines).toHaveLength(7);
    expect(lines.slice(0, 5)).toEqual([
      expect.stringMatching(/^aws · scope 7\s.*reading$/),
      expect.stringMatching(/^aws · scope 296\s.*reading$/),
      expect.stringMatching(/^aws · scope 297\s.*reading$/),
      expect.stringMatching(/^aws · scope 298\s.*reading$/),
      expect.stringMatching(/^aws · scope 299\s.*reading$/),
    ]);
    expect(lines[5]).toBe('… 295 more: 1 failed, 294 done');
    expect(lines[6]).toBe('Elder: 0 requests, 0 throttled');
    // Once fewer are going, what failed is shown before what is done.
    for (const i of [7, 296, 297, 298]) report(i, 'ok');
    expect(v.lines().slice(0, 2)).toEqual([expect.stringMatching(/^aws · scope 299\s.*reading$/), expect.stringMatching(/^aws · scope 3\s.*failed: denied$/)]);
    v.finish();
    // No redraw moved the cursor up past the top of the 8-line screen.
    const ups = out.flatMap((t) => [...t.matchAll(/\x1b\[(\d+)A/g)].map((m) => Number(m[1])));
    expect(ups.length).toBeGreaterThan(0);
    expect(Math.max(...ups)).toBeLessThanOrEqual(7);
  });

  it('clears what is left below when a redraw has fewer lines than the last (a smaller terminal)', () => {
    const out: string[] = [];
    const size = { rows: 20 };
    const v = new ProgressView({ write: (t) => out.push(t), redact: (t) => t, get rows() { return size.rows; } });
    for (let i = 0; i < 30; i++) v.onProgress({ type: 'scope-start', source: 'a', scope: `s${i}`, label: `S${i}` });
    expect(v.lines()).toHaveLength(19);
    size.rows = 10;
    v.onProgress({ type: 'planned', source: 'a', scope: 's0', counts });
    expect(out.at(-1)!.startsWith('\x1b[19A')).toBe(true);
    expect(out.at(-1)!.endsWith('\x1b[J')).toBe(true);
    expect(v.lines()).toHaveLength(9);
    v.finish();
  });

  it('cuts rows to the terminal width so they never wrap', () => {
    const lines: string[] = [];
    const v = new ProgressView({ write: (t) => lines.push(t), redact: (t) => t, columns: 40 });
    v.onProgress({ type: 'scope-start', source: 'a-very-long-source-name', scope: 's', label: 'a very long scope label indeed' });
    expect(v.lines().every((l) => l.length <= 40)).toBe(true);
    v.finish();
  });
});
