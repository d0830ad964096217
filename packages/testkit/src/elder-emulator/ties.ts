/**
 * `ORDER BY name` alone leaves rows with equal names in no defined order, and PostgreSQL may return them
 * differently on every query, so a client paging through them can see a row twice or never (§0.1 item 5).
 * With `shuffleTies`, every request reorders each run of equal names that overlaps its page.
 */
import type { Named } from './sorted-index.js';

export function shuffledPage<T extends Named>(sorted: readonly T[], start: number, end: number, random: () => number): T[] {
  if (start >= end) return [];
  let from = start;
  const firstName = (sorted[start] as T).name;
  while (from > 0 && (sorted[from - 1] as T).name === firstName) from--;
  let to = end;
  const lastName = (sorted[end - 1] as T).name;
  while (to < sorted.length && (sorted[to] as T).name === lastName) to++;
  const window = sorted.slice(from, to);
  let runStart = 0;
  for (let i = 1; i <= window.length; i++) {
    if (i === window.length || (window[i] as T).name !== (window[runStart] as T).name) {
      for (let j = i - 1; j > runStart; j--) {
        const k = runStart + Math.floor(random() * (j - runStart + 1));
        [window[j], window[k]] = [window[k] as T, window[j] as T];
      }
      runStart = i;
    }
  }
  return window.slice(start - from, end - from);
}
