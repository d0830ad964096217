import type { Scope } from '@elder-sync/connector-sdk';
import type { PlannedOrganization, ScopeReport } from '@elder-sync/core';

/** Stream, subject and bucket names: the wire contract between dispatchers and workers. */
export const NAMES = {
  unitsStream: 'ELDER_SYNC_UNITS',
  unitsSubject: (runId: string) => `elder-sync.units.${runId}`,
  workersConsumer: 'elder-sync-workers',
  resultsStream: 'ELDER_SYNC_RESULTS',
  resultsSubject: (runId: string) => `elder-sync.results.${runId}`,
  /** Documented in the README: units that failed every attempt, with the error. */
  deadStream: 'ELDER_SYNC_DEAD',
  deadSubject: (runId: string) => `elder-sync.dead.${runId}`,
  stateBucket: 'elder-sync-state',
  leaseBucket: 'elder-sync-leases',
} as const;

/** One (source, scope) of one run, as a dispatcher publishes it. */
export interface WorkUnit {
  runId: string;
  source: string;
  scope: Scope;
  mode: 'apply' | 'plan';
  full: boolean;
  only: string[];
  adopt: boolean;
  allowMassDelete: boolean;
}

/** What a worker publishes when it is done with a unit: the scope reports, or why it gave up. */
export interface UnitResult {
  runId: string;
  key: string;
  worker: string;
  attempts: number;
  reports: ScopeReport[];
  /**
   * A plan's organization creations (counted in `reports`): the dispatcher counts one that several
   * units plan once. Absent for an applied unit, whose reports count only what it made.
   */
  organizationCreates?: PlannedOrganization[];
  /** Set when the unit went to the dead-letter subject after its last attempt. */
  dead?: { error: string };
}

/** `<source>/<scope>`: what a lease and a message id are keyed by. */
export function unitKeyOf(unit: Pick<WorkUnit, 'source' | 'scope'>): string {
  return `${unit.source}/${unit.scope.id}`;
}

/** A KV- and subject-safe token for any text (base64url, no padding). */
export function token(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url') || '_';
}
