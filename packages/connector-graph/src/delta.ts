import type { ODataPage, TenantSession } from './session.js';
import type { Resource } from './resources.js';

export type DeltaEntry = Record<string, unknown> & { id: string; '@removed'?: { reason?: string } };

/** A round of a delta query and the delta link it ended with (where the next round starts). */
export interface DeltaRound {
  pages: AsyncGenerator<DeltaEntry[]>;
  /** Set once `pages` is exhausted. */
  deltaLink(): string;
}

/**
 * One round of a Graph delta query (https://learn.microsoft.com/graph/delta-query-overview): from
 * `start` (the initial URL for everything, or the previous round's delta link for what changed),
 * page by page along `@odata.nextLink`, until a page carries `@odata.deltaLink`. A 410 Gone surfaces
 * as DeltaExpiredError for the caller to start over.
 */
export function deltaRound(session: TenantSession, resource: Resource, start: string): DeltaRound {
  let link: string | undefined;
  async function* run(): AsyncGenerator<DeltaEntry[]> {
    // Graph caps delta pages itself; ask for its largest.
    for await (const page of session.pages<DeltaEntry>(resource, start, { prefer: 'odata.maxpagesize=999' })) {
      const p = page as ODataPage<DeltaEntry>;
      if (p['@odata.deltaLink']) link = p['@odata.deltaLink'];
      yield p.value;
    }
  }
  return {
    pages: run(),
    deltaLink: () => {
      if (link === undefined) throw new Error(`${session.who}: the ${resource} delta ended without @odata.deltaLink`);
      return link;
    },
  };
}

export function isRemoved(entry: DeltaEntry): boolean {
  return entry['@removed'] !== undefined;
}
