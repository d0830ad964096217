import type { ReadItem } from '@elder-sync/connector-sdk';
import { mapVulnerability, type TenantPlace } from './mapping.js';
import { OverlapWindow, type OverlapCursor } from './overlap.js';
import type { TenantSession } from './session.js';

/** A full export at least this often; the change feed in between. */
export const FULL_EXPORT_EVERY_MS = 7 * 86_400_000;
/** The change feed resumes this far before the last event seen (events may be indexed late). */
const CHANGES_OVERLAP_MS = 10 * 60_000;
const PAGE_SIZE = 10_000;

export type VulnerabilityCursor = { exportedAt: string; changes: OverlapCursor };

/**
 * Vulnerabilities per machine from the Defender API. `SoftwareVulnerabilitiesByMachine` is the full
 * export (every machine × software × CVE row): run on a full read and whenever the last one is a week
 * old. In between, `SoftwareVulnerabilityChangesByMachine?sinceTime=` gives what changed: `New` and
 * `Updated` rows are records, `Fixed` rows deletions. Both APIs allow 30 calls a minute.
 * (https://learn.microsoft.com/defender-endpoint/api/get-assessment-software-vulnerabilities)
 */
export async function* readVulnerabilities(
  s: TenantSession,
  previous: VulnerabilityCursor | undefined,
  place: TenantPlace,
  linkMachines: (id: string) => boolean,
  now = Date.now(),
): AsyncGenerator<ReadItem, VulnerabilityCursor> {
  const valid = previous !== undefined && !Number.isNaN(Date.parse(previous.exportedAt)) && typeof previous.changes?.since === 'string';
  if (!valid || now - Date.parse(previous.exportedAt) >= FULL_EXPORT_EVERY_MS) {
    const started = new Date(now).toISOString();
    for await (const page of s.pages<Record<string, unknown>>('vulnerabilities', s.defenderUrl(`/api/machines/SoftwareVulnerabilitiesByMachine?pageSize=${PAGE_SIZE}`))) {
      for (const row of page.value) yield { type: 'record', record: mapVulnerability(row, place, linkMachines) };
    }
    // The feed resumes at the export's start; what it reports again from there is unchanged (no write).
    let changes: OverlapCursor = { since: started, seen: [] };
    if (valid) {
      // An export in an incremental run cannot see what vanished; the change feed's Fixed rows can.
      changes = (yield* readChanges(s, previous.changes, place, linkMachines)) ?? changes;
    }
    return { exportedAt: started, changes };
  }
  const changes = yield* readChanges(s, previous.changes, place, linkMachines);
  return { exportedAt: previous.exportedAt, changes: changes ?? previous.changes };
}

async function* readChanges(
  s: TenantSession,
  previous: OverlapCursor,
  place: TenantPlace,
  linkMachines: (id: string) => boolean,
): AsyncGenerator<ReadItem, OverlapCursor | undefined> {
  const window = new OverlapWindow(previous, CHANGES_OVERLAP_MS);
  const url = s.defenderUrl(`/api/machines/SoftwareVulnerabilityChangesByMachine?pageSize=${PAGE_SIZE}&sinceTime=${encodeURIComponent(window.from!)}`);
  for await (const page of s.pages<Record<string, unknown> & { id: string }>('vulnerabilities', url)) {
    for (const row of page.value) {
      if (!window.fresh(`${row.id}/${String(row.status)}`, row.eventTimestamp)) continue;
      if (row.status === 'Fixed') yield { type: 'deleted', kind: 'vulnerability', externalId: row.id };
      else yield { type: 'record', record: mapVulnerability(row, place, linkMachines) };
    }
  }
  return window.next();
}
