import { setFlagsFromString } from 'node:v8';

/** The old generation may grow to this many percent above its live size, plus 100 (factor 2.5). */
export const HEAP_GROWING_PERCENT = 150;

/**
 * Bounds how far V8 lets the heap grow between full collections. A sync's live heap is small (pages
 * and batches stream through it, DESIGN §9), but each page of 1000 Elder entities is a 1–2 MB string
 * that lands in the old generation, with its parsed objects. V8's own factor climbs to 4× the live
 * heap, so a run kept the garbage of dozens of pages: 250–280 MB peak RSS for 100 000 users. At 2.5×
 * the peak is about 200 MB for the same CPU (2× cost 8 % more CPU; issue 10, docs/benchmarks.md).
 * The flag only changes when the next full collection starts, so setting it at start-up is safe.
 * A `--heap-growing-percent` given to node itself wins.
 */
export function boundHeapGrowth(execArgv: readonly string[] = process.execArgv): boolean {
  if (execArgv.some((arg) => arg.startsWith('--heap-growing-percent') || arg.startsWith('--heap_growing_percent'))) return false;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return true;
}
