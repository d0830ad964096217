import { describe, expect, it } from 'vitest';
import { runFairly } from './scheduler.js';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('runFairly', () => {
  it('runs every item once, each lane within its own concurrency and all within the total', async () => {
    const lanes = [
      { concurrency: 2, items: Array.from({ length: 20 }, (_, i) => `a${i}`) },
      { concurrency: 3, items: Array.from({ length: 5 }, (_, i) => `b${i}`) },
    ];
    const running = new Map<string, number>();
    let total = 0;
    let maxTotal = 0;
    const maxLane = new Map<string, number>();
    const done: string[] = [];
    await runFairly(lanes, 4, async (item) => {
      const lane = item[0]!;
      running.set(lane, (running.get(lane) ?? 0) + 1);
      total++;
      maxTotal = Math.max(maxTotal, total);
      maxLane.set(lane, Math.max(maxLane.get(lane) ?? 0, running.get(lane)!));
      await tick();
      running.set(lane, running.get(lane)! - 1);
      total--;
      done.push(item);
    });
    expect(done.sort()).toEqual([...lanes[0]!.items, ...lanes[1]!.items].sort());
    expect(maxTotal).toBe(4);
    expect(maxLane.get('a')).toBe(2);
    expect(maxLane.get('b')).toBe(2);
  });

  it('takes turns: a small source is not queued behind a large one', async () => {
    const lanes = [
      { concurrency: 1, items: Array.from({ length: 50 }, (_, i) => `big${i}`) },
      { concurrency: 1, items: ['small0', 'small1', 'small2'] },
    ];
    const order: string[] = [];
    await runFairly(lanes, 1, async (item) => {
      order.push(item);
      await tick();
    });
    expect(order.slice(0, 6)).toEqual(['big0', 'small0', 'big1', 'small1', 'big2', 'small2']);
  });

  it('finishes at once with nothing to run', async () => {
    await runFairly([{ concurrency: 3, items: [] }], 2, async () => {
      throw new Error('never called');
    });
  });
});
