import { describe, expect, it } from 'vitest';
import { DeadlineSignals } from './deadline-signals.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('DeadlineSignals (the time budget of each Elder exchange)', () => {
  it('aborts a request no sooner than its timeout and no later than a tenth past it, with the reason given', async () => {
    const deadlines = new DeadlineSignals(200, () => new Error('out of time'));
    const started = performance.now();
    const window = deadlines.start();
    const aborted = await new Promise<number>((resolve) => window.signal.addEventListener('abort', () => resolve(performance.now() - started)));
    expect(aborted).toBeGreaterThanOrEqual(200);
    expect(aborted).toBeLessThan(200 + 20 + 50); // the window, and a loaded machine's timer slack
    expect((window.signal.reason as Error).message).toBe('out of time');
  });

  it('shares one signal between the requests of a window, sixteen at most', () => {
    const deadlines = new DeadlineSignals(30_000, () => new Error('late'));
    const windows = Array.from({ length: 17 }, () => deadlines.start());
    expect(new Set(windows.slice(0, 16).map((w) => w.signal)).size).toBe(1);
    expect(windows[16]!.signal).not.toBe(windows[0]!.signal);
    for (const w of windows) deadlines.finish(w);
  });

  it('never fires for a window closed with every request ended', async () => {
    const deadlines = new DeadlineSignals(50, () => new Error('late'));
    const first = deadlines.start();
    deadlines.finish(first);
    await sleep(10); // the 5 ms window closes; the next request opens another
    const second = deadlines.start();
    await sleep(100);
    expect(first.signal.aborted).toBe(false);
    expect(second.signal.aborted).toBe(true);
    deadlines.finish(second);
  });
});
