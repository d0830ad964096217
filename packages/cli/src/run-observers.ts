import type { ElderApi, ElderRequestEvent, ElderSyncConfig, Logger, ProgressEvent, ScopeReport, SyncReport } from '@elder-sync/core';
import type { CoreModule } from './base-command.js';
import { ProgressView, type ProgressViewOptions } from './progress-view.js';

/** What watches a run: the terminal view, a line per scope, the metrics server. Every hook optional. */
export interface RunObservers {
  /** Log lines while the live view is on screen: printed above its rows. */
  logAbove?: (line: string) => void;
  onProgress?: (event: ProgressEvent) => void;
  onScopeDone?: (report: ScopeReport) => void;
  /** An Elder client whose requests are observed, when anything observes them (else runSync makes its own). */
  elder?: ElderApi;
  /** After the run: final redraw, the metrics of the finished run. */
  finished(report: SyncReport | null): void;
  /** Closes the Elder client and the metrics server. */
  close(): Promise<void>;
}

export interface RunObserverOptions {
  core: CoreModule;
  config: ElderSyncConfig;
  sources: string[];
  log: Logger;
  /** Live rows on stderr (a terminal, not --json/--quiet). */
  view: ProgressViewOptions | null;
  /** Off a terminal: the line per finished scope. */
  scopeLine?: (report: ScopeReport) => void;
  /** `run --serve-metrics`: `host:port` of the health server. */
  serve: string | null;
}

/**
 * Wires the progress view and `--serve-metrics` to one run: the same /status and /metrics as the
 * daemon, for a long cron run that a scraper or a person wants to watch while it goes.
 */
export async function startRunObservers(options: RunObserverOptions): Promise<RunObservers & { url: string | null }> {
  const { core, config } = options;
  const view = options.view ? new ProgressView(options.view) : null;
  const progress: Array<(e: ProgressEvent) => void> = [];
  const scopeDone: Array<(r: ScopeReport) => void> = [];
  const requests: Array<(e: ElderRequestEvent) => void> = [];
  if (view) {
    progress.push(view.onProgress);
    scopeDone.push(view.onScopeDone);
    requests.push(view.onRequest);
  } else if (options.scopeLine) {
    scopeDone.push(options.scopeLine);
  }

  let served: { url: string; close: () => Promise<void>; finished: (report: SyncReport | null) => void } | null = null;
  if (options.serve !== null) {
    // Only here: `run` without the flag never loads prom-client.
    const daemon = await import('@elder-sync/core/daemon');
    const metrics = new daemon.SyncMetrics();
    const tracker = new daemon.RunTracker(metrics);
    const selected = config.sources.filter((s) => options.sources.includes(s.name));
    for (const source of selected) {
      tracker.upsert(source.name, source.connector, null);
      tracker.started(source.name, Date.now());
    }
    const probe = core.createElderClient({ url: config.elder.url, auth: core.elderAuth(config.elder), maxAttempts: 1, timeoutMs: 5000, observer: metrics.observeRequest });
    const server = await daemon.startHealthServer({
      listen: options.serve,
      metrics,
      readiness: () => daemon.checkReadiness(probe, config.state.path),
      status: () => tracker.status(),
    });
    progress.push(tracker.progress);
    requests.push(metrics.observeRequest);
    served = {
      url: server.url,
      finished: (report) => {
        for (const source of selected) {
          tracker.finished(source.name, report, report ? null : 'the run failed', report ? daemon.countOrganizations(report, source.name) : 0);
        }
      },
      close: async () => {
        await server.close();
        await probe.close();
      },
    };
  }

  const elder =
    requests.length > 0
      ? core.createElderClient({
          url: config.elder.url,
          auth: core.elderAuth(config.elder),
          timeoutMs: config.elder.timeoutMs,
          maxAttempts: config.elder.maxAttempts,
          concurrency: config.elder.concurrency,
          log: options.log,
          observer: (e) => requests.forEach((observe) => observe(e)),
        })
      : undefined;

  return {
    url: served?.url ?? null,
    ...(view ? { logAbove: view.printAbove } : {}),
    ...(progress.length > 0 ? { onProgress: (e: ProgressEvent) => progress.forEach((f) => f(e)) } : {}),
    ...(scopeDone.length > 0 ? { onScopeDone: (r: ScopeReport) => scopeDone.forEach((f) => f(r)) } : {}),
    ...(elder ? { elder } : {}),
    finished(report) {
      view?.finish();
      served?.finished(report);
    },
    async close() {
      await elder?.close();
      await served?.close();
    },
  };
}
