import type { ProgressEvent } from '../sync/progress.js';
import type { ScopeCounts, SyncReport } from '../sync/types.js';
import { runStatusOf, type RunStatus, type SyncMetrics } from './metrics.js';

/** Runs kept per source in /status. */
const HISTORY = 20;

export interface RunRecord {
  runId: string | null;
  status: RunStatus;
  /** When the schedule said it was due (before jitter). */
  dueAt: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  counts: ScopeCounts | null;
  scopes: number;
  failedScopes: number;
  /** First scope error or the run's own error; already redacted. */
  error: string | null;
}

interface LiveScope {
  label: string;
  read: number;
  planned: { create: number; update: number; delete: number } | null;
  done: { create: number; update: number; delete: number; errors: number };
}

interface SourceState {
  name: string;
  connector: string;
  schedule: string | null;
  nextRunAt: number | null;
  runs: number;
  skipped: number;
  lastRun: RunRecord | null;
  history: RunRecord[];
  current: { dueAt: number; startedAt: number; scopes: Map<string, LiveScope> } | null;
  removed?: boolean;
}

/**
 * What `/status` shows and `/metrics` counts, per source: the run going now (with live per-scope
 * counts), the last runs, the next due time. One tracker per daemon (or `run --serve-metrics`).
 */
export class RunTracker {
  private readonly sources = new Map<string, SourceState>();
  private readonly startedAt = Date.now();
  private reload: { at: string; applied: boolean; errors: string[] } | null = null;
  state: 'running' | 'stopping' = 'running';

  constructor(private readonly metrics: SyncMetrics | null) {}

  /** Adds a source, or updates its connector/schedule (config reload); keeps its history. */
  upsert(name: string, connector: string, schedule: string | null): void {
    const existing = this.sources.get(name);
    if (existing) {
      existing.removed = false;
      existing.connector = connector;
      existing.schedule = schedule;
      return;
    }
    this.sources.set(name, { name, connector, schedule, nextRunAt: null, runs: 0, skipped: 0, lastRun: null, history: [], current: null });
  }

  remove(name: string): void {
    const source = this.sources.get(name);
    // A removed source's run in flight still finishes and is shown until then.
    if (source && source.current === null) this.sources.delete(name);
    else if (source) source.removed = true;
  }

  setNext(name: string, at: number | null): void {
    const source = this.sources.get(name);
    if (source) source.nextRunAt = at;
  }

  skipped(name: string): void {
    const source = this.sources.get(name);
    if (source) source.skipped++;
    this.metrics?.runSkipped(name);
  }

  started(name: string, dueAt: number): void {
    const source = this.sources.get(name);
    if (source) source.current = { dueAt, startedAt: Date.now(), scopes: new Map() };
    this.metrics?.runStarted(name);
  }

  /** `SyncOptions.onProgress`: live counts for /status. */
  readonly progress = (event: ProgressEvent): void => {
    // /status shows scopes; a source's index is the time before its first scope starts.
    if (event.type === 'index') return;
    const current = this.sources.get(event.source)?.current;
    if (!current) return;
    let scope = current.scopes.get(event.scope);
    if (!scope) {
      scope = { label: event.type === 'scope-start' ? event.label : event.scope, read: 0, planned: null, done: { create: 0, update: 0, delete: 0, errors: 0 } };
      current.scopes.set(event.scope, scope);
    }
    if (event.type === 'read') scope.read = event.read;
    else if (event.type === 'planned') scope.planned = { create: event.counts.create, update: event.counts.update, delete: event.counts.delete };
    else if (event.type === 'applied') scope.done = { create: event.create, update: event.update, delete: event.delete, errors: event.errors };
  };

  /**
   * A finished run of `name`. `report` is the whole run's report (its scopes of other sources are
   * ignored), or null with `error` when the run failed before it had one.
   */
  finished(name: string, report: Pick<SyncReport, 'runId' | 'scopes' | 'totals'> | null, error: string | null, organizations = 0): RunRecord {
    const source = this.sources.get(name);
    const now = Date.now();
    const current = source?.current ?? { dueAt: now, startedAt: now, scopes: new Map() };
    const scopes = report ? report.scopes.filter((s) => s.source === name) : [];
    const status: RunStatus = report ? runStatusOf({ scopes }) : 'failed';
    const counts = report ? sumCounts(scopes.map((s) => s.counts)) : null;
    const record: RunRecord = {
      runId: report?.runId ?? null,
      status,
      dueAt: new Date(current.dueAt).toISOString(),
      startedAt: new Date(current.startedAt).toISOString(),
      finishedAt: new Date(now).toISOString(),
      durationMs: now - current.startedAt,
      counts,
      scopes: scopes.length,
      failedScopes: scopes.filter((s) => s.status === 'failed').length,
      error: error ?? scopes.find((s) => s.error)?.error ?? null,
    };
    if (source) {
      source.current = null;
      source.runs++;
      source.lastRun = record;
      source.history.unshift(record);
      source.history.length = Math.min(source.history.length, HISTORY);
      // Removed by a reload while it ran: shown until this run ended.
      if (source.removed) this.sources.delete(name);
    }
    this.metrics?.runFinished(
      { source: name, connector: source?.connector ?? 'unknown', status, durationMs: record.durationMs, organizations },
      report ? { scopes, totals: counts! } : null,
    );
    return record;
  }

  reloaded(applied: boolean, errors: string[] = []): void {
    this.reload = { at: new Date().toISOString(), applied, errors };
    this.metrics?.configReloaded(applied);
  }

  /** The /status document: nothing from the configuration but source names, connectors and schedules. */
  status(): unknown {
    return {
      state: this.state,
      startedAt: new Date(this.startedAt).toISOString(),
      lastReload: this.reload,
      sources: [...this.sources.values()]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((s) => ({
          name: s.name,
          connector: s.connector,
          schedule: s.schedule,
          nextRunAt: s.nextRunAt !== null && Number.isFinite(s.nextRunAt) ? new Date(s.nextRunAt).toISOString() : null,
          running: s.current !== null,
          runs: s.runs,
          skipped: s.skipped,
          current:
            s.current === null
              ? null
              : {
                  dueAt: new Date(s.current.dueAt).toISOString(),
                  startedAt: new Date(s.current.startedAt).toISOString(),
                  elapsedMs: Date.now() - s.current.startedAt,
                  scopes: [...s.current.scopes.entries()].map(([scope, live]) => ({ scope, ...live })),
                },
          lastRun: s.lastRun,
          history: s.history,
        })),
    };
  }
}

function sumCounts(all: ScopeCounts[]): ScopeCounts {
  const total: ScopeCounts = { read: 0, create: 0, update: 0, delete: 0, unchanged: 0, withheld: 0, errors: 0 };
  for (const counts of all) for (const key of Object.keys(total) as Array<keyof ScopeCounts>) total[key] += counts[key];
  return total;
}
