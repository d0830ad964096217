import { ThrottledError, TransientSourceError } from './errors.js';

/** At most `limit` requests in any `intervalMs` window (Microsoft: 100 / min and 1,500 / h). */
export interface RateWindow {
  limit: number;
  intervalMs: number;
}

export interface LimiterOptions {
  /** Requests in flight per key (default 4). */
  concurrency?: number;
  /** Request-rate windows per key, all enforced (default none). */
  rates?: RateWindow[];
  /** Tries after the first, for throttled and transient failures (default 6). */
  maxRetries?: number;
  /** First backoff delay; doubles per try, with full jitter (default 250 ms). */
  baseDelayMs?: number;
  /** Ceiling of one backoff delay (default 30 s); a longer Retry-After is still obeyed. */
  maxDelayMs?: number;
  /** Told of every throttle, with the key and how long the key now waits. */
  onThrottle?: (key: string, waitMs: number) => void;
}

export type LimiterConfig = LimiterOptions | ((key: string) => LimiterOptions);

export interface LimiterStats {
  /** Throttling answers received (each one slowed its key). */
  throttled: number;
  /** Tries repeated after a throttled or transient failure. */
  retries: number;
  /** Time tasks spent waiting for a blocked key or a rate window. */
  waitedMs: number;
  keys: Record<string, { throttled: number; retries: number; concurrency: number }>;
}

export interface RunOptions {
  signal?: AbortSignal;
}

/** Clock and timer, replaceable in tests. */
export interface LimiterClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

const realClock: LimiterClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/** How much of its configured concurrency and rate a throttled key keeps (AIMD: halve, then creep back). */
const THROTTLE_FACTOR = 0.5;
/** Successes in a row that win back one step of a throttled key's pace. */
const RECOVERY_STREAK = 20;
const MIN_PACE = 1 / 64;

/**
 * One adaptive limiter per key (`<account>/<region>/<service>`, `<tenant>/defender`): a concurrency
 * cap, request-rate windows, and the one retry loop connectors share. A `ThrottledError` from a task
 * halves that key's pace and blocks the key until the source's `Retry-After` has passed — no request
 * for that key goes out before — then tries again; a `TransientSourceError` is retried with
 * exponential backoff and jitter; any other error is thrown at once. Keys never slow each other.
 */
export class KeyedLimiter {
  private readonly keys = new Map<string, KeyState>();
  private readonly config: LimiterConfig;
  private readonly clock: LimiterClock;
  private waitedMs = 0;

  constructor(config: LimiterConfig = {}, clock: LimiterClock = realClock) {
    this.config = config;
    this.clock = clock;
  }

  async run<T>(key: string, task: (attempt: number) => Promise<T>, options: RunOptions = {}): Promise<T> {
    const state = this.state(key);
    const maxRetries = state.options.maxRetries ?? 6;
    for (let attempt = 0; ; attempt++) {
      await this.acquire(state, options.signal);
      let outcome: { ok: true; value: T } | { ok: false; error: unknown };
      try {
        outcome = { ok: true, value: await task(attempt) };
      } catch (error) {
        outcome = { ok: false, error };
      } finally {
        this.release(state);
      }
      if (outcome.ok) {
        state.succeeded();
        return outcome.value;
      }
      const { error } = outcome;
      const throttled = error instanceof ThrottledError;
      if (!throttled && !(error instanceof TransientSourceError)) throw error;
      if (attempt >= maxRetries || options.signal?.aborted) throw error;
      const backoff = this.backoff(state.options, attempt);
      const named = (error as ThrottledError | TransientSourceError).retryAfterMs;
      const waitMs = Math.max(backoff, named ?? 0);
      if (throttled) {
        state.throttle(this.clock.now() + waitMs);
        state.options.onThrottle?.(key, waitMs);
      } else {
        state.blockUntil(this.clock.now() + waitMs);
      }
      state.retries++;
    }
  }

  stats(): LimiterStats {
    const keys: LimiterStats['keys'] = {};
    let throttled = 0;
    let retries = 0;
    for (const [key, s] of [...this.keys].sort(([a], [b]) => a.localeCompare(b))) {
      keys[key] = { throttled: s.throttled, retries: s.retries, concurrency: s.concurrency() };
      throttled += s.throttled;
      retries += s.retries;
    }
    return { throttled, retries, waitedMs: this.waitedMs, keys };
  }

  private state(key: string): KeyState {
    let s = this.keys.get(key);
    if (!s) {
      s = new KeyState(typeof this.config === 'function' ? this.config(key) : this.config);
      this.keys.set(key, s);
    }
    return s;
  }

  private backoff(options: LimiterOptions, attempt: number): number {
    const base = options.baseDelayMs ?? 250;
    const cap = options.maxDelayMs ?? 30_000;
    const ceiling = Math.min(cap, base * 2 ** attempt);
    return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
  }

  /** Waits for a free slot, the end of any block, and room in every rate window, in that order. */
  private async acquire(state: KeyState, signal: AbortSignal | undefined): Promise<void> {
    const started = this.clock.now();
    for (;;) {
      signal?.throwIfAborted();
      if (state.inFlight >= state.concurrency()) {
        await new Promise<void>((resolve) => state.waiters.push(resolve));
        continue;
      }
      const now = this.clock.now();
      const wait = Math.max(state.blockedUntil - now, state.rateWait(now));
      if (wait > 0) {
        // Hold the slot while sleeping so a woken waiter cannot overtake the block.
        state.inFlight++;
        try {
          await this.clock.sleep(wait, signal);
        } finally {
          state.inFlight--;
        }
        continue;
      }
      state.inFlight++;
      state.stamp(now);
      this.waitedMs += now - started;
      return;
    }
  }

  private release(state: KeyState): void {
    state.inFlight--;
    state.waiters.shift()?.();
  }
}

class KeyState {
  readonly options: LimiterOptions;
  inFlight = 0;
  waiters: (() => void)[] = [];
  blockedUntil = 0;
  throttled = 0;
  retries = 0;
  /** Share of the configured concurrency and rates this key currently uses (1 = full). */
  private pace = 1;
  private streak = 0;
  /** Start times of recent requests, for the rate windows (oldest first). */
  private readonly starts: number[] = [];
  private readonly longestWindow: number;

  constructor(options: LimiterOptions) {
    this.options = options;
    this.longestWindow = Math.max(0, ...(options.rates ?? []).map((r) => r.intervalMs));
  }

  concurrency(): number {
    return Math.max(1, Math.floor((this.options.concurrency ?? 4) * this.pace));
  }

  /** How long until every window has room for one more request at the current pace. */
  rateWait(now: number): number {
    let wait = 0;
    for (const window of this.options.rates ?? []) {
      const limit = Math.max(1, Math.floor(window.limit * this.pace));
      const since = now - window.intervalMs;
      let inWindow = 0;
      let oldestInWindow = now;
      for (let i = this.starts.length - 1; i >= 0; i--) {
        const t = this.starts[i]!;
        if (t <= since) break;
        inWindow++;
        oldestInWindow = t;
        if (inWindow >= limit) break;
      }
      if (inWindow >= limit) wait = Math.max(wait, oldestInWindow + window.intervalMs - now);
    }
    return wait;
  }

  stamp(now: number): void {
    if (this.longestWindow === 0) return;
    this.starts.push(now);
    const horizon = now - this.longestWindow;
    let drop = 0;
    while (drop < this.starts.length && this.starts[drop]! <= horizon) drop++;
    if (drop > 0) this.starts.splice(0, drop);
  }

  throttle(until: number): void {
    this.throttled++;
    this.streak = 0;
    this.pace = Math.max(MIN_PACE, this.pace * THROTTLE_FACTOR);
    this.blockUntil(until);
  }

  blockUntil(until: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, until);
  }

  succeeded(): void {
    if (this.pace >= 1) return;
    if (++this.streak >= RECOVERY_STREAK) {
      this.streak = 0;
      this.pace = Math.min(1, this.pace * 2);
      // A wider cap may let queued tasks start now.
      for (let i = this.inFlight; i < this.concurrency(); i++) this.waiters.shift()?.();
    }
  }
}
