import { describe, expect, it } from 'vitest';
import { paginate, pages } from './paging.js';

type Page = { items: number[]; next?: string };

describe('paginate', () => {
  it('yields every item of every page, in order, following tokens to the end', async () => {
    const book: Record<string, Page> = { '': { items: [1, 2], next: 'b' }, b: { items: [3], next: 'c' }, c: { items: [4, 5] } };
    const tokens: Array<string | undefined> = [];
    const out: number[] = [];
    for await (const n of paginate({
      fetchPage: async (token) => {
        tokens.push(token);
        return book[token ?? '']!;
      },
      items: (p) => p.items,
      nextToken: (p) => p.next,
      what: 'test:List',
    })) {
      out.push(n);
    }
    expect(out).toEqual([1, 2, 3, 4, 5]);
    expect(tokens).toEqual([undefined, 'b', 'c']);
  });

  it('fails, naming the listing, when a peer repeats a page token', async () => {
    const listing = pages<Page>({ fetchPage: async () => ({ items: [1], next: 'same' }), nextToken: (p) => p.next, what: 'ec2:DescribeInstances in 1/eu-west-1' });
    const seen: Page[] = [];
    const error = await (async () => {
      for await (const page of listing) seen.push(page);
    })().catch((e: unknown) => e);
    expect(seen.length).toBe(2);
    expect(error).toMatchObject({ code: 'SOURCE_PAGE_LOOP', message: expect.stringContaining('ec2:DescribeInstances in 1/eu-west-1') });
  });

  it('stops a listing longer than maxPages', async () => {
    let n = 0;
    const listing = pages<Page>({ fetchPage: async () => ({ items: [], next: String(++n) }), nextToken: (p) => p.next, what: 'forever', maxPages: 10 });
    await expect((async () => {
      for await (const _ of listing) void _;
    })()).rejects.toMatchObject({ code: 'SOURCE_PAGE_LOOP' });
    expect(n).toBe(10);
  });
});
