import { startElderEmulator, type ElderEmulator, type FaultKind } from '@elder-sync/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { Harness, ROOT, SOURCE, describeChanges } from './harness.js';
import { differences } from './invariant.js';
import { ModelSource, populate, prng } from './model-source.js';

/**
 * An Elder that lies (issue 13): 200 with an HTML page (to a listing or to a delete), a page that
 * repeats forever, a `total` that does not match, a 50 MB body, a body dribbled a byte at a time.
 * Each must end as a named failure of the scopes it touches, within a bounded time, with nothing
 * deleted (the model lost records, so a run that believed the lie could delete); then, with the lie
 * gone, a clean run converges: Elder equals the source and the next plan is empty.
 */

const TIMEOUT_MS = 1000;
/** Every case must fail well inside this (the client's time budget and the guards bound it). */
const BOUND_MS = 20_000;

const CASES: Array<{ name: string; kind: FaultKind; paths: string; methods?: string[]; expect: RegExp }> = [
  { name: 'entity listing answered 200 with an HTML login page', kind: 'html-200', paths: '^/api/v1/entities$', expect: /returned an unexpected body: expected JSON, got an HTML page \("Sign in · Elder"\): is elder\.url the Elder API/ },
  { name: 'organization listing answered 200 with an HTML page', kind: 'html-200', paths: '^/api/v1/organizations$', expect: /GET \/api\/v1\/organizations\?.* returned an unexpected body: expected JSON, got an HTML page/ },
  { name: 'an entity delete answered 200 with an HTML page', kind: 'html-200', paths: '^/api/v1/entities/\\d+$', methods: ['DELETE'], expect: /Elder DELETE \/api\/v1\/entities\/\d+ answered 200, but not as Elder does \(204, no body\): expected JSON, got an HTML page/ },
  { name: 'an entity page that repeats forever', kind: 'repeat-page', paths: '^/api/v1/entities$', expect: /Elder's listing of \/entities \(entity_type=[a-z_]+\) does not advance: page 2 holds only items already listed \(a page that repeats\); stopped/ },
  { name: 'an organization page that repeats forever', kind: 'repeat-page', paths: '^/api/v1/organizations$', expect: /Elder's listing of \/organizations.* does not advance/ },
  { name: 'a total that announces more items than the list holds', kind: 'total-mismatch', paths: '^/api/v1/entities$', expect: /Elder's listing of \/entities \(entity_type=[a-z_]+\) ended after \d+ of the \d+ items its total announced; an index built from it would be incomplete/ },
  { name: 'a 50 MB body', kind: 'huge-body', paths: '^/api/v1/entities$', expect: /the answer is larger than the 32 MiB elder-sync reads per response \(content-length 52428800 bytes\); stopped reading it/ },
  { name: 'a slow-loris body, one byte every 100 ms', kind: 'slow-loris', paths: '^/api/v1/entities$', expect: /Elder GET \/api\/v1\/entities\?.* failed: timeout \(2 attempts\)/ },
];

let emulator: ElderEmulator;
beforeAll(async () => {
  emulator = await startElderEmulator();
});
afterAll(async () => {
  await emulator.close();
});

describe.each(CASES)('a lying Elder: $name', ({ kind, paths, methods = ['GET'], expect: named }) => {
  it('fails its scopes by name in bounded time, deletes nothing, and the next clean run converges', async () => {
    emulator.reset();
    const model = new ModelSource();
    populate(model, 40, 4, prng(1303));
    const harness = new Harness(emulator, () => model.connector(), { timeoutMs: TIMEOUT_MS, maxAttempts: 2 });
    try {
      const first = await harness.run('apply');
      expect(first.ok, first.report.scopes.map((s) => s.error).join('\n')).toBe(true);
      // Records gone from the source: a run that trusted a lying index could delete or duplicate.
      for (const id of [...model.users.keys()].slice(0, 5)) model.delete('user', id);
      const ids = new Set(emulator.entities().map((e) => e['id']));

      emulator.setFaults({ rate: 1, kinds: [kind], paths, methods });
      const started = Date.now();
      // A failed write is named in the log; a failed read in the scope's error.
      const logged: string[] = [];
      const lied = await harness.run('apply', { log: createLogger({ level: 'warn', write: (line) => logged.push(line) }) });
      const elapsed = Date.now() - started;
      emulator.setFaults(null);
      const errors = [...lied.report.scopes.map((s) => `${s.scope}: ${s.status} ${s.error ?? ''}`), ...logged].join('\n');
      expect(lied.ok, errors).toBe(false);
      expect(lied.report.scopes.every((s) => s.status === 'failed'), errors).toBe(true);
      expect(errors).toMatch(named);
      expect(elapsed, errors).toBeLessThan(BOUND_MS);
      // Nothing deleted, nothing duplicated.
      const after = emulator.entities();
      expect(after.filter((e) => ids.has(e['id'])).length).toBe(ids.size);
      expect(after.length).toBe(ids.size);

      const clean = await harness.run('apply');
      expect(clean.ok, clean.report.scopes.map((s) => s.error).join('\n')).toBe(true);
      expect(differences(emulator, model, { source: SOURCE, root: ROOT })).toEqual([]);
      const next = await harness.run('plan');
      expect(describeChanges(next.changes)).toBe('(none)');
    } finally {
      harness.dispose();
    }
  });
});
