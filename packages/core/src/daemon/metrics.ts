import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ElderRequestEvent } from '../elder/types.js';
import type { SyncReport } from '../sync/types.js';

/**
 * The Prometheus metrics of a daemon or a `run --serve-metrics` (DESIGN §7). The `connector_*`
 * names are the Python worker's, so its dashboards and alerts keep working; each also carries a
 * `source` label because elder-sync can run several sources of one connector. One registry per
 * instance (not prom-client's global one), so tests and reloads never collide.
 */
export class SyncMetrics {
  readonly registry = new Registry();

  private readonly syncs = new Counter({
    name: 'connector_sync_total',
    help: 'Sync runs finished, by connector, source and status (success, partial, failed).',
    labelNames: ['connector', 'source', 'status'] as const,
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'connector_sync_duration_seconds',
    help: 'Duration of sync runs.',
    labelNames: ['connector', 'source'] as const,
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [this.registry],
  });
  private readonly errors = new Counter({
    name: 'connector_sync_errors_total',
    help: 'Errors in sync runs: failed scopes and failed writes.',
    labelNames: ['connector', 'source'] as const,
    registers: [this.registry],
  });
  private readonly entities = new Gauge({
    name: 'connector_entities_synced',
    help: 'Objects of the last run by action (create, update, delete, unchanged).',
    labelNames: ['connector', 'source', 'action'] as const,
    registers: [this.registry],
  });
  private readonly organizations = new Gauge({
    name: 'connector_organizations_synced',
    help: 'Organizations created, updated or deleted by the last run (as planned).',
    labelNames: ['connector', 'source'] as const,
    registers: [this.registry],
  });
  private readonly lastSync = new Gauge({
    name: 'connector_last_sync_timestamp',
    help: 'Unix time the last run of the source finished.',
    labelNames: ['connector', 'source'] as const,
    registers: [this.registry],
  });
  private readonly skipped = new Counter({
    name: 'elder_sync_runs_skipped_total',
    help: 'Runs not started because the previous run of the source was still going.',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  private readonly running = new Gauge({
    name: 'elder_sync_run_in_progress',
    help: '1 while a run of the source is going.',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  private readonly reloads = new Counter({
    name: 'elder_sync_config_reloads_total',
    help: 'Configuration reloads (SIGHUP) by result: applied, or rejected (the old configuration stays).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  private readonly requests = new Histogram({
    name: 'elder_http_request_duration_seconds',
    help: 'Elder API requests by method, route (ids removed) and status (or "error" when no response came).',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  private readonly throttled = new Counter({
    name: 'elder_http_throttled_total',
    help: 'Elder API requests answered 429 (the client then lowers its concurrency and backs off).',
    labelNames: ['method', 'route'] as const,
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** For `createElderClient({ observer })`. */
  readonly observeRequest = (event: ElderRequestEvent): void => {
    this.requests.observe({ method: event.method, route: event.route, status: String(event.status) }, event.durationMs / 1000);
    if (event.throttled) this.throttled.inc({ method: event.method, route: event.route });
  };

  runStarted(source: string): void {
    this.running.set({ source }, 1);
  }

  runSkipped(source: string): void {
    this.skipped.inc({ source });
  }

  /** A finished run; `report` null when it failed before producing one (bad connector, Elder down at start). */
  runFinished(
    run: { source: string; connector: string; status: RunStatus; durationMs: number; organizations: number },
    report: Pick<SyncReport, 'scopes' | 'totals'> | null,
  ): void {
    const labels = { connector: run.connector, source: run.source };
    this.running.set({ source: run.source }, 0);
    this.syncs.inc({ ...labels, status: run.status });
    this.duration.observe(labels, run.durationMs / 1000);
    this.lastSync.set(labels, Date.now() / 1000);
    const errors = report ? report.scopes.reduce((n, s) => n + Math.max(s.counts.errors, s.status === 'failed' ? 1 : 0), 0) : 1;
    if (errors > 0) this.errors.inc(labels, errors);
    if (report) {
      for (const action of ['create', 'update', 'delete', 'unchanged'] as const) {
        this.entities.set({ ...labels, action }, report.totals[action]);
      }
      this.organizations.set(labels, run.organizations);
    }
  }

  configReloaded(applied: boolean): void {
    this.reloads.inc({ result: applied ? 'applied' : 'rejected' });
  }

  /** Prometheus text exposition. */
  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** `partial`: some scopes failed and the others were applied (exit code 3 of `run`). */
export type RunStatus = 'success' | 'partial' | 'failed';

export function runStatusOf(report: Pick<SyncReport, 'scopes'>): RunStatus {
  const failed = report.scopes.filter((s) => s.status === 'failed').length;
  if (failed === 0) return 'success';
  return failed === report.scopes.length ? 'failed' : 'partial';
}
