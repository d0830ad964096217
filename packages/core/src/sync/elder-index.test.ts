import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import PQueue from 'p-queue';
import { describe, expect, it } from 'vitest';
import type { ListPage } from '../elder/types.js';
import { allPages } from './elder-index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('allPages (every page of an Elder listing)', () => {
  it('does not hold the first page while the others load: many slices listed at once keep no page each in memory', async () => {
    const requests = new PQueue({ concurrency: 4 });
    let firstPage: WeakRef<object> | undefined;
    let releaseSecond!: () => void;
    let secondRequested!: () => void;
    const secondAsked = new Promise<void>((resolve) => (secondRequested = resolve));
    const seen: number[] = [];
    const fetch = async (page: number): Promise<ListPage<{ id: number }>> => {
      if (page === 1) {
        const items = Array.from({ length: 1000 }, (_, i) => ({ id: i }));
        firstPage = new WeakRef(items);
        return { items, page: 1, pages: 2, total: 1001 };
      }
      secondRequested();
      await new Promise<void>((resolve) => (releaseSecond = resolve));
      return { items: [{ id: 1000 }], page: 2, pages: 2, total: 1001 };
    };
    const listing = allPages(requests, fetch, (items) => seen.push(items.length));
    await secondAsked;
    // Let the settled first request's promises go before collecting.
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    expect(firstPage!.deref()).toBeUndefined();
    releaseSecond();
    await listing;
    expect(seen).toEqual([1000, 1]);
  });
});
