/**
 * At most `concurrency` tasks at a time, for a loop that walks a long work list: `start` resolves
 * once the task has a slot (so the walker reads no further ahead than the writes in flight), and
 * `idle` once every started task ended. What p-queue did for the applier, without its per-task
 * events, priority queue and size listeners: with one Elder request per task, those cost more than
 * the request's own bookkeeping.
 *
 * Tasks handle their own errors; one that throws anyway is a bug, and `idle` rejects with it.
 */
export class WorkPool {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private idleWaiters: Array<() => void> = [];
  private failure: { error: unknown } | null = null;

  constructor(private readonly concurrency: number) {
    if (!(concurrency >= 1)) throw new RangeError(`WorkPool concurrency must be at least 1, got ${concurrency}`);
  }

  /** Waits for a free slot, then starts `task` (not awaiting it). */
  async start(task: () => Promise<void>): Promise<void> {
    while (!this.tryStart(task)) await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  /** Starts `task` if a slot is free now, else leaves it (false): for a caller that must not wait. */
  tryStart(task: () => Promise<void>): boolean {
    if (this.running >= this.concurrency) return false;
    this.running++;
    task().then(this.done, (error: unknown) => {
      this.failure ??= { error };
      this.done();
    });
    return true;
  }

  /** Resolves when no task is running (rejects with the first task that threw). */
  async idle(): Promise<void> {
    if (this.running > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    if (this.failure) {
      const { error } = this.failure;
      this.failure = null;
      throw error;
    }
  }

  private readonly done = (): void => {
    this.running--;
    const next = this.waiting.shift();
    if (next) next();
    else if (this.running === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  };
}
