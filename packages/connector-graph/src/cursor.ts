import type { JsonValue } from '@elder-sync/connector-sdk';
import type { OverlapCursor } from './overlap.js';

/**
 * The checkpoint of one tenant: where each resource resumes. Types (not interfaces) so they are
 * assignable to JsonValue. Every part is optional: a part that is missing or unreadable makes that
 * resource read everything, the rest stays incremental.
 */
export type GraphCursor = {
  v: 1;
  /** Delta links of users, groups and devices (absolute URLs Graph handed out). */
  delta: { users?: string; groups?: string; devices?: string };
  /** Content hashes of the last full pull of resources without a delta API, by object id. */
  hashes: { managedDevices?: Record<string, string>; machines?: Record<string, string> };
  /** Alerts: the highest lastUpdateDateTime seen, and `id@lastUpdateDateTime` of alerts in the overlap window. */
  alerts?: OverlapCursor;
  /** Vulnerabilities: when the last full export ran, and where the change feed resumes. */
  vulnerabilities?: { exportedAt: string; changes: OverlapCursor };
  /** Secure score: id of the score last emitted (one per day). */
  secureScore?: string;
};

export function emptyCursor(): GraphCursor {
  return { v: 1, delta: {}, hashes: {} };
}

export function parseCursor(value: JsonValue | null): GraphCursor | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const c = value as Record<string, unknown>;
  if (c.v !== 1 || typeof c.delta !== 'object' || c.delta === null || typeof c.hashes !== 'object' || c.hashes === null) return undefined;
  return value as unknown as GraphCursor;
}
