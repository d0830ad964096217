import { setMaxListeners } from 'node:events';

/** Requests started within one window share an abort signal... */
const DEADLINE_WINDOW_MS = 100;
/** ...and at most this many: each adds a listener to it, and EventTarget checks them all per add. */
const DEADLINE_WINDOW_REQUESTS = 16;

export interface DeadlineWindow {
  signal: AbortSignal;
  timer: NodeJS.Timeout;
  closes: number;
  started: number;
  inFlight: number;
}

/**
 * The total budget of each exchange, headers and body: requests started within one short window
 * share one abort signal, fired `timeoutMs` after the window closes, so each gets between timeoutMs
 * and timeoutMs plus the window (a tenth of it at most). An AbortController, its signal and a timer
 * of their own per request were a few percent of a first sync's CPU. A window's timer is cleared
 * once it is closed and its last request ended.
 */
export class DeadlineSignals {
  private open: DeadlineWindow | null = null;
  private readonly windowMs: number;

  /** `reason`: what a request out of time is aborted with. */
  constructor(
    private readonly timeoutMs: number,
    private readonly reason: () => unknown,
  ) {
    this.windowMs = Math.max(1, Math.min(DEADLINE_WINDOW_MS, Math.floor(timeoutMs / 10)));
  }

  start(): DeadlineWindow {
    const now = performance.now();
    let window = this.open;
    if (window === null || now >= window.closes || window.started >= DEADLINE_WINDOW_REQUESTS) {
      if (window !== null && window.inFlight === 0) clearTimeout(window.timer);
      const controller = new AbortController();
      // Every request in flight of the window listens to it: not a leak.
      setMaxListeners(0, controller.signal);
      // Unref'd: a request in flight holds its socket open anyway, and a run that is done must not wait for it.
      const timer = setTimeout(() => controller.abort(this.reason()), this.windowMs + this.timeoutMs).unref();
      window = { signal: controller.signal, timer, closes: now + this.windowMs, started: 0, inFlight: 0 };
      this.open = window;
    }
    window.started++;
    window.inFlight++;
    return window;
  }

  finish(window: DeadlineWindow): void {
    if (--window.inFlight === 0 && window !== this.open) clearTimeout(window.timer);
  }
}
