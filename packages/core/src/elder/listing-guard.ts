import { ElderApiError } from '../errors.js';
import type { ListPage } from './types.js';

/**
 * Checks the pages of one Elder listing for the ways a server (or whatever answers in its place)
 * can lie, since an index built from a short or looping list plans duplicates: a non-empty page
 * of nothing but items already listed (a page that repeats), or, when every page announced the
 * same `total`, fewer distinct items than it at the end. (Totals that moved while paging mean
 * concurrent writes in Elder, which the next run sees; that is not a lie.)
 */
export class ListingGuard {
  private readonly seen = new Set<number>();
  private readonly totals = new Set<number>();

  constructor(
    private readonly what: string,
    first: ListPage<unknown>,
  ) {
    this.check(first);
  }

  /** Call with every page as it arrives (the first included by the constructor). */
  check(page: ListPage<unknown>): void {
    if (typeof page.total === 'number') this.totals.add(page.total);
    let fresh = 0;
    for (const item of page.items) {
      const id = (item as { id?: unknown }).id;
      if (typeof id !== 'number') return; // not an id-keyed list: nothing to check
      if (!this.seen.has(id)) {
        this.seen.add(id);
        fresh++;
      }
    }
    if (page.items.length > 0 && fresh === 0 && page.page > 1) {
      throw listingError(`Elder's listing of ${this.what} does not advance: page ${page.page} holds only items already listed (a page that repeats); stopped`);
    }
  }

  /** Call once every page has arrived. */
  finish(): void {
    if (this.totals.size !== 1) return;
    const [total] = [...this.totals] as [number];
    if (this.seen.size < total) {
      throw listingError(
        `Elder's listing of ${this.what} ended after ${this.seen.size} of the ${total} items its total announced; an index built from it would be incomplete`,
      );
    }
  }
}

function listingError(message: string): ElderApiError {
  return Object.assign(new ElderApiError(message, { method: 'GET', path: '/api/v1', transient: false }), { code: 'ELDER_LISTING_INCONSISTENT' });
}
