import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DeadlineSignals } from './deadline-signals.js';

// Fake clocks: what is tested is when each signal fires relative to the timeout, not how punctual
// the machine's timers are.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('DeadlineSignals (the time budget of each Elder exchange)', () => {
  it('aborts a request no sooner than its timeout and no later than a tenth past it, with the reason given', () => {
    const deadlines = new DeadlineSignals(200, () => new Error('out of time'));
    const window = deadlines.start();
    vi.advanceTimersByTime(199);
    expect(window.signal.aborted).toBe(false);
    vi.advanceTimersByTime(200 / 10 + 1);
    expect(window.signal.aborted).toBe(true);
    expect((window.signal.reason as Error).message).toBe('out of time');
  });

  it('gives a request started late in a window still its whole timeout', () => {
    const deadlines = new DeadlineSignals(200, () => new Error('out of time'));
    const first = deadlines.start();
    vi.advanceTimersByTime(19); // still within the first 20 ms window
    const late = deadlines.start();
    expect(late.signal).toBe(first.signal);
    vi.advanceTimersByTime(199);
    expect(late.signal.aborted).toBe(false);
  });

  it('shares one signal between the requests of a window, sixteen at most', () => {
    const deadlines = new DeadlineSignals(30_000, () => new Error('late'));
    const windows = Array.from({ length: 17 }, () => deadlines.start());
    expect(new Set(windows.slice(0, 16).map((w) => w.signal)).size).toBe(1);
    expect(windows[16]!.signal).not.toBe(windows[0]!.signal);
    for (const w of windows) deadlines.finish(w);
  });

  it('never fires for a window closed with every request ended', () => {
    const deadlines = new DeadlineSignals(50, () => new Error('late'));
    const first = deadlines.start();
    deadlines.finish(first);
    vi.advanceTimersByTime(10); // the 5 ms window closes; the next request opens another
    const second = deadlines.start();
    vi.advanceTimersByTime(100);
    expect(first.signal.aborted).toBe(false);
    expect(second.signal.aborted).toBe(true);
    deadlines.finish(second);
  });
});
