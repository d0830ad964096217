import { describe, expect, it } from 'vitest';
import { WorkPool } from './work-pool.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('WorkPool', () => {
  it('runs at most its concurrency at once, and start waits for a free slot', async () => {
    const pool = new WorkPool(2);
    const releases: Array<() => void> = [];
    let running = 0;
    let most = 0;
    const task = () =>
      new Promise<void>((resolve) => {
        running++;
        most = Math.max(most, running);
        releases.push(() => {
          running--;
          resolve();
        });
      });
    await pool.start(task);
    await pool.start(task);
    let thirdStarted = false;
    const third = pool.start(task).then(() => (thirdStarted = true));
    await tick();
    expect(thirdStarted).toBe(false);
    releases.shift()!();
    await third;
    expect(running).toBe(2);
    for (const release of releases.splice(0)) release();
    await pool.idle();
    expect(running).toBe(0);
    expect(most).toBe(2);
  });

  it('tryStart starts a task only when a slot is free, and never waits', async () => {
    const pool = new WorkPool(1);
    let release = () => {};
    expect(pool.tryStart(() => new Promise<void>((resolve) => (release = resolve)))).toBe(true);
    let second = false;
    expect(pool.tryStart(async () => void (second = true))).toBe(false);
    release();
    await pool.idle();
    expect(second).toBe(false);
    expect(pool.tryStart(async () => void (second = true))).toBe(true);
    await pool.idle();
    expect(second).toBe(true);
  });

  it('is idle at once with nothing started, and after every task of a long list ended', async () => {
    const pool = new WorkPool(3);
    await pool.idle();
    const done: number[] = [];
    for (let i = 0; i < 50; i++) {
      await pool.start(async () => {
        await tick();
        done.push(i);
      });
    }
    await pool.idle();
    expect(done.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('reports a task that threw when idle, and goes on with the others', async () => {
    const pool = new WorkPool(1);
    const done: string[] = [];
    await pool.start(async () => {
      throw new Error('a bug');
    });
    await pool.start(async () => {
      done.push('after');
    });
    await expect(pool.idle()).rejects.toThrow('a bug');
    expect(done).toEqual(['after']);
    await pool.idle();
  });

  it('refuses a concurrency below one', () => {
    expect(() => new WorkPool(0)).toThrow(RangeError);
  });
});
