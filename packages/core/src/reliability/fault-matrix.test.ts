import { startElderEmulator, type ElderEmulator, type FaultKind } from '@elder-sync/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, ROOT, SOURCE, describeChanges, describeFailures } from './harness.js';
import { differences } from './invariant.js';
import { ModelSource, mutate, populate, prng } from './model-source.js';

/**
 * Fault matrix (issue 4): every fault kind Elder can throw at a sink × {a full run, an incremental
 * run}. The run is repeated under the fault (at most MAX_RUNS times) until it succeeds; then, with
 * faults off, Elder must equal the source (entities, names, attributes, org placement, member_of
 * dependencies), no key may be held twice, and the next plan must be empty.
 *
 * Seeds are fixed (FAULT_SEED overrides the base) and printed; a failure names the case and seed.
 */

const BASE_SEED = Number(process.env.FAULT_SEED ?? 20250401);
const MAX_RUNS = 10;
const RATE = 0.2;
/** Client timeout and the `slow` fault's hold: answers arrive after the client gave up. */
const TIMEOUT_MS = 400;
const SLOW_MS = 900;

const CASES: Array<{ name: string; kinds: FaultKind[] }> = [
  { name: '5xx with a JSON body', kinds: ['5xx-json'] },
  { name: '5xx with an HTML body (gateway)', kinds: ['5xx-html'] },
  { name: '5xx with a plain-text body', kinds: ['5xx-text'] },
  { name: 'connection resets', kinds: ['reset'] },
  { name: 'slow answers past the client timeout', kinds: ['slow'] },
  { name: 'writes applied, then answered 500', kinds: ['apply-then-fail'] },
  { name: '429 without Retry-After', kinds: ['429'] },
];

let emulator: ElderEmulator;
beforeAll(async () => {
  emulator = await startElderEmulator();
  console.log(`fault matrix: seed=${BASE_SEED} (replay with FAULT_SEED=${BASE_SEED})`);
});
afterAll(async () => {
  await emulator.close();
});

describe.each(CASES.map((c, i) => ({ ...c, seed: BASE_SEED + i })))('fault matrix: $name', ({ name, kinds, seed }) => {
  const faults = { rate: RATE, seed, kinds, slowMs: SLOW_MS };

  async function converge(harness: Harness, model: ModelSource, label: string, expectMode: 'full' | 'incremental') {
    emulator.setFaults(faults);
    const outcomes = await harness.runUntilOk(MAX_RUNS);
    const injected = emulator.stats().faultsInjected;
    emulator.setFaults(null);
    const context = `case "${name}" (${label}), seed=${seed}; replay with FAULT_SEED=${BASE_SEED}\n${describeFailures(outcomes)}`;
    expect(outcomes.at(-1)!.ok, `no successful run in ${MAX_RUNS}: ${context}`).toBe(true);
    expect(injected, `no fault was injected: ${context}`).toBeGreaterThan(0);
    // The first run under the faults is the one whose mode the case is about.
    expect(outcomes[0]!.report.scopes[0]!.mode, context).toBe(expectMode);
    const problems = differences(emulator, model, { source: SOURCE, root: ROOT });
    expect(problems, `Elder differs from the source: ${context}`).toEqual([]);
    const next = await harness.run('plan', { full: true });
    expect(describeChanges(next.changes), `the next plan is not empty: ${context}`).toBe('(none)');
  }

  it('a full run converges', async () => {
    emulator.reset();
    const random = prng(seed);
    const model = new ModelSource();
    populate(model, 60, 6, random);
    const harness = new Harness(emulator, () => model.connector(), { timeoutMs: TIMEOUT_MS, maxAttempts: 3 });
    try {
      await converge(harness, model, 'full', 'full');
    } finally {
      harness.dispose();
    }
  });

  it('an incremental run converges', async () => {
    emulator.reset();
    const random = prng(seed);
    const model = new ModelSource();
    populate(model, 60, 6, random);
    const harness = new Harness(emulator, () => model.connector(), { timeoutMs: TIMEOUT_MS, maxAttempts: 3, source: { fullEvery: 1000 } });
    try {
      expect((await harness.run('apply')).ok).toBe(true);
      for (let i = 0; i < 25; i++) mutate(model, random);
      const before = model.incrementalReads;
      await converge(harness, model, 'incremental', 'incremental');
      expect(model.incrementalReads).toBeGreaterThan(before);
    } finally {
      harness.dispose();
    }
  });
});
