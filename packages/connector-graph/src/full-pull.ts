import type { ReadItem, SourceRecord } from '@elder-sync/connector-sdk';
import { shortHash } from './mapping.js';
import type { Resource } from './resources.js';
import { RESOURCE_SPECS } from './resources.js';
import type { TenantSession } from './session.js';

type Raw = Record<string, unknown> & { id: string };

/**
 * A resource with no delta API (Intune managed devices, Defender machines), pulled whole every run.
 * Intune even ignores most `$filter`s and returns everything, so no server-side "changed since" is
 * trusted. The checkpoint keeps a short content hash per object id: a run after the first emits only
 * objects whose hash moved, and reports the ids that vanished as deletions. The hashes are the one
 * per-object state kept (16 characters per object); records are mapped page by page.
 */
export async function* fullPull(
  s: TenantSession,
  resource: Resource,
  firstUrl: string,
  previous: Record<string, string> | undefined,
  mapPage: (rows: Raw[]) => Promise<SourceRecord[]>,
): AsyncGenerator<ReadItem, Record<string, string>> {
  const hashes: Record<string, string> = {};
  for await (const page of s.pages<Raw>(resource, firstUrl)) {
    const changed: Raw[] = [];
    for (const row of page.value) {
      const h = shortHash(row);
      hashes[row.id] = h;
      if (previous?.[row.id] !== h) changed.push(row);
    }
    if (changed.length === 0) continue;
    for (const r of await mapPage(changed)) yield { type: 'record', record: r };
  }
  if (previous) {
    const kind = RESOURCE_SPECS[resource].kind;
    for (const id of Object.keys(previous).sort()) if (!(id in hashes)) yield { type: 'deleted', kind, externalId: id };
  }
  return hashes;
}
