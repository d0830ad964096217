import type { ReadItem } from '@elder-sync/connector-sdk';
import { mapAlert, type AlertLinks, type TenantPlace } from './mapping.js';
import { OverlapWindow, type OverlapCursor } from './overlap.js';
import type { TenantSession } from './session.js';

/** How far before the highest `lastUpdateDateTime` seen the next read starts (see overlap.ts). */
export const ALERT_OVERLAP_MS = 10 * 60_000;

export type AlertCursor = OverlapCursor;

/**
 * Security alerts (`/security/alerts_v2`). A full read lists every alert; an incremental one asks
 * for `lastUpdateDateTime ge (since − overlap)` and drops alerts whose (id, lastUpdateDateTime) it
 * already emitted, so an alert updated during a read is not lost and an unchanged one not repeated.
 */
export async function* readAlerts(
  s: TenantSession,
  previous: AlertCursor | undefined,
  place: TenantPlace,
  links: AlertLinks,
  /** Called with each page before it is mapped, to look up the users its evidence names. */
  prepare: (alerts: Record<string, unknown>[]) => Promise<void> = async () => undefined,
): AsyncGenerator<ReadItem, AlertCursor | undefined> {
  const window = new OverlapWindow(previous, ALERT_OVERLAP_MS);
  const from = window.from;
  const url = s.graphUrl(`/security/alerts_v2${from ? `?$filter=${encodeURIComponent(`lastUpdateDateTime ge ${from}`)}` : ''}`);
  for await (const page of s.pages<Record<string, unknown> & { id: string }>('alerts', url)) {
    const fresh = page.value.filter((alert) => window.fresh(alert.id, alert.lastUpdateDateTime));
    await prepare(fresh);
    for (const alert of fresh) {
      yield { type: 'record', record: mapAlert(alert, place, links) };
    }
  }
  return window.next();
}

/** The Entra user ids an alert's evidence names. */
export function evidenceUsers(alert: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const e of Array.isArray(alert.evidence) ? (alert.evidence as Record<string, unknown>[]) : []) {
    const id = (e.userAccount as { azureAdUserId?: unknown } | undefined)?.azureAdUserId;
    if (typeof id === 'string' && id !== '') out.push(id);
  }
  return out;
}
