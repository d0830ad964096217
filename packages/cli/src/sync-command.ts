import type { Command } from '@oclif/core';
import type { ElderSyncConfig, ScopeCounts, ScopeReport, SyncOptions, SyncReport, WorkerEnvConfig } from '@elder-sync/core';
import { BaseCommand } from './base-command.js';
import { checkOnlyKinds, loadConfigReportingAll, validateSources } from './config-api.js';
import { ExitCode, UsageError } from './exit-codes.js';
import { boundHeapGrowth } from './heap-growth.js';
import { startRunObservers } from './run-observers.js';

/** The `--json` summary: the report without its plan iterator (DESIGN §7: one JSON document). */
export interface SummaryJson {
  runId: string;
  mode: 'apply' | 'plan';
  startedAt: string;
  durationMs: number;
  scopes: SyncReport['scopes'];
  totals: ScopeCounts;
  elder: SyncReport['elder'];
}

export interface PreparedRun {
  config: ElderSyncConfig;
  connectors: SyncOptions['connectors'];
  sources: string[];
}

/** What `run`, `diff` and `test-connectivity` share: config, source selection, connector checks. */
export abstract class SyncCommand<T extends typeof Command> extends BaseCommand<T> {
  public override async init(): Promise<void> {
    await super.init();
    boundHeapGrowth();
  }

  /**
   * SIGINT/SIGTERM stop a run cleanly: the engine finishes the writes in flight, saves state and
   * returns; the command then exits 130. A second signal exits at once (what was written is safe:
   * every confirmed write is already recorded, and Elder holds each object's key).
   */
  protected interruptible(): { signal: AbortSignal; interrupted: () => boolean; dispose: () => void } {
    const controller = new AbortController();
    const onSignal = (name: NodeJS.Signals) => {
      if (controller.signal.aborted) process.exit(ExitCode.interrupted);
      process.stderr.write(`\n${name}: finishing the writes in flight, then stopping (again to stop at once)\n`);
      controller.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    return {
      signal: controller.signal,
      interrupted: () => controller.signal.aborted,
      dispose: () => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      },
    };
  }

  /**
   * Loads the config (exit 64 on any issue), resolves SOURCE arguments, and validates the
   * `config` block of every selected source against its connector (importing only those).
   */
  protected async prepare(names: readonly string[], all = false, only?: readonly string[]): Promise<PreparedRun> {
    if (all && names.length > 0) throw new UsageError('give SOURCE arguments or --all, not both');
    const core = await this.core();
    const connectors = await this.connectorLoader();
    const { config, workerEnv } = await loadConfigReportingAll(core, this.flags.config, connectors, names);
    if (workerEnv) this.useWorkerEnv(workerEnv);
    const selected = core.selectSources(config, names);
    await validateSources(core, config, selected, connectors, workerEnv);
    await checkOnlyKinds(selected, connectors, only);
    return { config, connectors, sources: selected.map((s) => s.name) };
  }

  /** No config file, the worker's variables instead: say so once, and take its log settings. */
  protected useWorkerEnv(workerEnv: WorkerEnvConfig): void {
    this.logDefaults = workerEnv.logging;
    for (const warning of workerEnv.warnings) this.warnLine(warning);
  }

  /**
   * Prints the plan line by line as the report yields it (never the whole plan in memory). Not
   * when no scope read and planned: "No changes" would then claim what nobody checked.
   */
  protected async printPlan(report: SyncReport, verbose: boolean): Promise<void> {
    if (this.jsonEnabled() || this.flags.quiet) return;
    const unplanned = unplannedScopes(report);
    if (report.scopes.length > 0 && unplanned === report.scopes.length) return;
    const core = await this.core();
    const { color, paint } = await this.paint();
    // The default plan reads at most PLAN_LINES + 1 changes and counts the rest from the tally.
    const changes = report.changes(verbose ? Infinity : core.PLAN_LINES + 1);
    for (const line of core.formatPlan(changes, { verbose, color, paint, totals: report.totals, failedScopes: unplanned, tally: report.tally() })) {
      this.out(line);
    }
  }

  /**
   * The error comes first: each failed scope as an `error:` line on stderr, before the plan and
   * the summary (also under --quiet and --json; a cron mail starts with why the run failed).
   */
  protected printFailures(report: SyncReport, describe: (scope: ScopeReport) => string = (s) => oneLine(s.error)): void {
    for (const s of report.scopes.filter((r) => r.status === 'failed')) {
      process.stderr.write(this.redact(`error: ${s.source} · ${s.label || s.scope}: ${describe(s)}`) + '\n');
    }
  }

  protected async printSummary(report: SyncReport): Promise<void> {
    if (this.jsonEnabled() || this.flags.quiet) return;
    const core = await this.core();
    const { color, paint } = await this.paint();
    this.out('');
    this.out(core.formatSummary(report, { color, paint }));
  }

  /**
   * A line on stderr as each scope finishes (DESIGN §7, off a terminal), so a long run shows life
   * and a killed one shows how far it got. Not under --json or --quiet.
   */
  protected scopeProgress(): ((report: ScopeReport) => void) | undefined {
    if (this.jsonEnabled() || this.flags.quiet) return undefined;
    return (r) => {
      const c = r.counts;
      const what = r.status === 'ok' ? `read ${c.read}, +${c.create} ~${c.update} -${c.delete}` : (r.error ?? '').split('\n')[0];
      process.stderr.write(this.redact(`${r.source} · ${r.label || r.scope}: ${r.status}, ${what} (${r.durationMs}ms)`) + '\n');
    };
  }

  /**
   * Progress and metrics for a run: live rows on a terminal (stderr), else a line per scope; with
   * `serve` (`run --serve-metrics`) the daemon's health server for the run's duration.
   */
  protected async runObservers(config: ElderSyncConfig, sources: string[], serve: string | null) {
    const core = await this.core();
    const quiet = this.jsonEnabled() || this.flags.quiet;
    const observers = await startRunObservers({
      core,
      config,
      sources,
      log: await this.logger(),
      view: !quiet && process.stderr.isTTY
        ? {
            write: (t) => process.stderr.write(t),
            redact: (t) => this.redact(t),
            // Read at every redraw: the terminal may be resized while the run goes.
            get columns() {
              return process.stderr.columns;
            },
            get rows() {
              return process.stderr.rows;
            },
          }
        : null,
      ...(quiet ? {} : { scopeLine: this.scopeProgress() }),
      serve,
    });
    if (observers.url) process.stderr.write(this.redact(`health and metrics on ${observers.url} while the run goes`) + '\n');
    const { onProgress, onScopeDone, elder } = observers;
    if (observers.logAbove) this.logWriter = observers.logAbove;
    return {
      hooks: { ...(onProgress ? { onProgress } : {}), ...(onScopeDone ? { onScopeDone } : {}), ...(elder ? { elder } : {}) },
      finished: (report: SyncReport | null) => {
        observers.finished(report);
        this.logWriter = null;
      },
      close: observers.close,
    };
  }

  /** Scope failures after a run: every scope ok → 0; all failed → 1; some failed → 3 (DESIGN §2). */
  protected runExitCode(report: SyncReport): number {
    const failed = report.scopes.filter((s) => s.status === 'failed').length;
    if (failed === 0) return ExitCode.ok;
    return failed === report.scopes.length ? ExitCode.failure : ExitCode.partial;
  }
}

export function summaryJson(report: SyncReport): SummaryJson {
  const { runId, mode, startedAt, durationMs, scopes, totals, elder } = report;
  return { runId, mode, startedAt, durationMs, scopes, totals, elder };
}

/** Creates, updates and deletes in the plan; withheld deletes and unchanged objects are not changes. */
export function hasChanges(totals: ScopeCounts): boolean {
  return totals.create + totals.update + totals.delete > 0;
}

/** Failed scopes that have no plan (not a guarded scope, whose plan is complete). */
export function unplannedScopes(report: Pick<SyncReport, 'scopes'>): number {
  return report.scopes.filter((s) => s.status === 'failed' && s.guard === undefined).length;
}

/** A multi-line error (several config issues) on one line. */
export function oneLine(text: string | null): string {
  return (text ?? 'failed').split('\n').filter((l) => l.trim() !== '').join('; ');
}
