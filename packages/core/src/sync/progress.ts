import type { ScopeCounts } from './types.js';

/**
 * What a run reports while it goes (DESIGN §7: live per-scope rows on a terminal, metrics in the
 * daemon). Events carry running totals, not deltas, so a consumer may drop any of them (a
 * renderer redraws a few times a second) and still show the truth.
 */
export type ProgressEvent =
  /**
   * Step 1, before a source's scopes are read: the entities it owns in Elder indexed so far (a
   * page at a time), until the index is complete or failed. At a large estate this takes a while,
   * and nothing else would show that the run is working.
   */
  | { type: 'index'; source: string; indexed: number; state: 'indexing' | 'indexed' | 'failed' }
  /** `expected`: objects the source owns in this scope, so about how many records the read will yield (0: unknown). */
  | { type: 'scope-start'; source: string; scope: string; label: string; expected?: number }
  /** Records read so far in this scope. */
  | { type: 'read'; source: string; scope: string; read: number }
  /** The scope's plan is complete: what is to be created, updated, deleted. */
  | { type: 'planned'; source: string; scope: string; counts: ScopeCounts }
  /** Writes done so far in this scope (apply mode). */
  | { type: 'applied'; source: string; scope: string; create: number; update: number; delete: number; errors: number };

export type ProgressListener = (event: ProgressEvent) => void;
