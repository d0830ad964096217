import { describe, expect, it } from 'vitest';
import { OverlapWindow } from './overlap.js';

const MIN = 60_000;

describe('the overlap window of a time cursor', () => {
  it('starts everything without a cursor, then from the highest time seen minus the overlap', () => {
    const first = new OverlapWindow(undefined, 10 * MIN);
    expect(first.from).toBeUndefined();
    expect(first.fresh('a', '2026-12-01T10:00:00Z')).toBe(true);
    expect(first.fresh('b', '2026-12-01T10:30:00Z')).toBe(true);
    const cursor = first.next()!;
    expect(cursor).toEqual({ since: '2026-12-01T10:30:00.000Z', seen: ['b@2026-12-01T10:30:00Z'] });
    expect(new OverlapWindow(cursor, 10 * MIN).from).toBe('2026-12-01T10:20:00.000Z');
  });

  it('skips what it emitted in the window, but not a newer version of it, nor an item indexed late with an older time', () => {
    const w = new OverlapWindow({ since: '2026-12-01T10:30:00.000Z', seen: ['b@2026-12-01T10:30:00Z'] }, 10 * MIN);
    expect(w.fresh('b', '2026-12-01T10:30:00Z')).toBe(false);
    expect(w.fresh('late', '2026-12-01T10:25:00Z')).toBe(true);
    expect(w.fresh('b', '2026-12-01T10:31:00Z')).toBe(true);
    expect(w.next()).toEqual({
      since: '2026-12-01T10:31:00.000Z',
      seen: ['b@2026-12-01T10:30:00Z', 'b@2026-12-01T10:31:00Z', 'late@2026-12-01T10:25:00Z'],
    });
  });

  it('keeps the previous cursor when nothing came back', () => {
    const previous = { since: '2026-12-01T10:30:00.000Z', seen: [] };
    expect(new OverlapWindow(previous, MIN).next()).toEqual(previous);
  });
});
