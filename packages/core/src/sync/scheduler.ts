/** One source's queue of work for `runFairly`. */
export interface Lane<T> {
  /** Items of this lane running at once at most (the source's `concurrency`). */
  concurrency: number;
  items: readonly T[];
}

/**
 * Runs the items of every lane side by side: a lane never has more than its own `concurrency`
 * running, all lanes together never more than `total`, and when a slot frees the lanes take turns
 * (round robin), so a source of 5,000 scopes does not hold back a source of three. `run` must not
 * throw (a failing item is reported by the caller's own means).
 */
export async function runFairly<T>(lanes: readonly Lane<T>[], total: number, run: (item: T) => Promise<void>): Promise<void> {
  const next = lanes.map(() => 0);
  const running = lanes.map(() => 0);
  let inFlight = 0;
  let turn = 0;
  let pending = lanes.reduce((n, lane) => n + lane.items.length, 0);
  if (pending === 0) return;
  await new Promise<void>((resolve) => {
    const dispatch = () => {
      while (inFlight < total) {
        const lane = pickLane();
        if (lane === -1) break;
        const item = lanes[lane]!.items[next[lane]!++]!;
        running[lane]!++;
        inFlight++;
        void run(item).finally(() => {
          running[lane]!--;
          inFlight--;
          if (--pending === 0) resolve();
          else dispatch();
        });
      }
    };
    const pickLane = () => {
      for (let i = 0; i < lanes.length; i++) {
        const lane = (turn + i) % lanes.length;
        if (next[lane]! < lanes[lane]!.items.length && running[lane]! < Math.max(1, lanes[lane]!.concurrency)) {
          turn = lane + 1;
          return lane;
        }
      }
      return -1;
    };
    dispatch();
  });
}
