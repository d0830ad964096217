import { describe, expect, it } from 'vitest';
import { PermissionDeniedError, ThrottledError, TransientSourceError } from './errors.js';
import { KeyedLimiter, type LimiterClock } from './limiter.js';

/** Virtual time: sleeping moves the clock, so waits are checked exactly and cost nothing. */
function virtualClock(): LimiterClock & { time: number } {
  const clock = {
    time: 0,
    now: () => clock.time,
    sleep: async (ms: number) => {
      clock.time += ms;
    },
  };
  return clock;
}

describe('KeyedLimiter', () => {
  it('after a throttle names Retry-After, sends nothing to that key before then, and succeeds', async () => {
    const clock = virtualClock();
    const limiter = new KeyedLimiter({ baseDelayMs: 10 }, clock);
    const calls: number[] = [];
    const result = await limiter.run('tenant-a/defender', async (attempt) => {
      calls.push(clock.now());
      if (attempt < 2) throw new ThrottledError('429', { retryAfterMs: 5_000 });
      return 'page';
    });
    expect(result).toBe('page');
    expect(calls.length).toBe(3);
    expect(calls[1]! - calls[0]!).toBeGreaterThanOrEqual(5_000);
    expect(calls[2]! - calls[1]!).toBeGreaterThanOrEqual(5_000);
    expect(limiter.stats()).toMatchObject({ throttled: 2, retries: 2 });
  });

  it('a throttled key does not slow another key', async () => {
    const clock = virtualClock();
    const limiter = new KeyedLimiter({}, clock);
    await expect(
      limiter.run('a/us-east-1/ec2', async () => {
        throw new ThrottledError('RequestLimitExceeded', { retryAfterMs: 60_000 });
      }, { signal: AbortSignal.abort() }).catch((e: unknown) => e),
    ).resolves.toBeDefined();
    const before = clock.now();
    const started: number[] = [];
    await limiter.run('a/eu-west-1/ec2', async () => started.push(clock.now()));
    expect(started).toEqual([before]);
  });

  it('halves a throttled key\'s concurrency and creeps back after successes', async () => {
    const clock = virtualClock();
    const limiter = new KeyedLimiter({ concurrency: 8, baseDelayMs: 1 }, clock);
    let first = true;
    await limiter.run('k', async () => {
      if (first) {
        first = false;
        throw new ThrottledError('SlowDown');
      }
    });
    expect(limiter.stats().keys['k']!.concurrency).toBe(4);
    for (let i = 0; i < 20; i++) await limiter.run('k', async () => undefined);
    expect(limiter.stats().keys['k']!.concurrency).toBe(8);
  });

  it('retries transient failures with backoff and rethrows anything else at once', async () => {
    const clock = virtualClock();
    const limiter = new KeyedLimiter({ baseDelayMs: 100 }, clock);
    const calls: number[] = [];
    await limiter.run('k', async (attempt) => {
      calls.push(clock.now());
      if (attempt === 0) throw new TransientSourceError('503');
    });
    expect(calls.length).toBe(2);
    expect(calls[1]! - calls[0]!).toBeGreaterThanOrEqual(50);

    let tries = 0;
    const denied = new PermissionDeniedError('denied', { permission: 'ec2:DescribeInstances' });
    await expect(
      limiter.run('k', async () => {
        tries++;
        throw denied;
      }),
    ).rejects.toBe(denied);
    expect(tries).toBe(1);
  });

  it('gives up after maxRetries with the last error', async () => {
    const limiter = new KeyedLimiter({ maxRetries: 2, baseDelayMs: 1 }, virtualClock());
    let tries = 0;
    await expect(
      limiter.run('k', async () => {
        tries++;
        throw new ThrottledError(`throttled ${tries}`);
      }),
    ).rejects.toThrow('throttled 3');
    expect(tries).toBe(3);
  });

  it('keeps every rate window: 3 per second and 5 per 10 s', async () => {
    const clock = virtualClock();
    const limiter = new KeyedLimiter({ rates: [{ limit: 3, intervalMs: 1_000 }, { limit: 5, intervalMs: 10_000 }] }, clock);
    const starts: number[] = [];
    for (let i = 0; i < 7; i++) await limiter.run('k', async () => starts.push(clock.now()));
    expect(starts).toEqual([0, 0, 0, 1_000, 1_000, 10_000, 10_000]);
  });

  it('never has more tasks of a key in flight than its concurrency', async () => {
    const limiter = new KeyedLimiter({ concurrency: 3 });
    let inFlight = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 12 }, () =>
        limiter.run('k', async () => {
          peak = Math.max(peak, ++inFlight);
          await new Promise((r) => setTimeout(r, 2));
          inFlight--;
        }),
      ),
    );
    expect(peak).toBe(3);
  });

  it('takes per-key options from a function (one family limited, another not)', async () => {
    const clock = virtualClock();
    const limiter = new KeyedLimiter((key) => (key.endsWith('/alerts') ? { rates: [{ limit: 1, intervalMs: 60_000 }] } : {}), clock);
    const alerts: number[] = [];
    const graph: number[] = [];
    for (let i = 0; i < 2; i++) await limiter.run('t/alerts', async () => alerts.push(clock.now()));
    const at = clock.now();
    for (let i = 0; i < 3; i++) await limiter.run('t/graph', async () => graph.push(clock.now()));
    expect(alerts).toEqual([0, 60_000]);
    expect(graph).toEqual([at, at, at]);
  });
});
