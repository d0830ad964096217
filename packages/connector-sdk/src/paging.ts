import { SourceError } from './errors.js';

export interface PagingOptions<P, T> {
  /** Fetches one page; `token` is undefined for the first. */
  fetchPage: (token: string | undefined) => Promise<P>;
  items: (page: P) => Iterable<T>;
  /** The next page's token; empty, null or undefined ends the listing. */
  nextToken: (page: P) => string | null | undefined;
  /** What is being listed, for errors (`ec2:DescribeInstances in 1234/eu-west-1`). */
  what: string;
  /** A listing longer than this is taken to be a peer paging forever (default 100 000 pages). */
  maxPages?: number;
}

/**
 * Every page of a listing, to the end. A token that repeats, or more than `maxPages` pages, is a
 * `SourceError` (`SOURCE_PAGE_LOOP`): a peer that pages forever fails its scope instead of hanging it.
 */
export async function* pages<P>(options: Omit<PagingOptions<P, never>, 'items'>): AsyncGenerator<P> {
  const maxPages = options.maxPages ?? 100_000;
  const seen = new Set<string>();
  let token: string | undefined;
  for (let count = 1; ; count++) {
    const page = await options.fetchPage(token);
    yield page;
    const next = options.nextToken(page);
    if (next === null || next === undefined || next === '') return;
    if (seen.has(next)) {
      throw new SourceError(`${options.what}: the source returned the page token "${abbreviate(next)}" twice; stopped paging`, {
        code: 'SOURCE_PAGE_LOOP',
      });
    }
    if (count >= maxPages) {
      throw new SourceError(`${options.what}: more than ${maxPages} pages; stopped paging`, { code: 'SOURCE_PAGE_LOOP' });
    }
    seen.add(next);
    token = next;
  }
}

/** Every item of a listing, page by page (see `pages`). */
export async function* paginate<P, T>(options: PagingOptions<P, T>): AsyncGenerator<T> {
  for await (const page of pages(options)) yield* options.items(page);
}

function abbreviate(token: string): string {
  return token.length > 40 ? `${token.slice(0, 37)}...` : token;
}
