import { accessSync, constants, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { daemonConfigSchema, elderAuth, type DaemonConfig, type ElderSyncConfig, type SourceConfig } from '../config/schema.js';
import { createElderClient } from '../elder/client.js';
import type { ElderApi } from '../elder/types.js';
import { ConfigError, ElderSyncError, errorMessage, type ConfigIssue } from '../errors.js';
import type { Logger } from '../logger.js';
import { redact } from '../secrets.js';
import { StateStore } from '../state/index.js';
import { runSync } from '../sync/run-sync.js';
import { shardStatePath, type Shard } from '../sync/shard.js';
import type { ConnectorLoader, SyncReport } from '../sync/types.js';
import { startHealthServer, type HealthServer, type Readiness } from './health-server.js';
import { SyncMetrics } from './metrics.js';
import { scheduleIssues, scheduleOf, type Schedule } from './schedule.js';
import { RunTracker } from './tracker.js';

/** setTimeout's limit (~24.8 days); longer waits are re-armed. */
const MAX_TIMER_MS = 2_147_000_000;
/** /readyz must answer before a probe's timeout (Kubernetes' default is 1 s; operators raise it). */
const READY_TIMEOUT_MS = 5_000;

export interface DaemonOptions {
  /** Loads and fully validates the configuration (file or worker environment). Throws ConfigError. Called at start and on every reload. */
  load: () => Promise<ElderSyncConfig>;
  connectors: ConnectorLoader;
  log: Logger;
  /** Overrides `daemon.listen` (`--listen`). */
  listen?: string;
  /** Run only this shard's work units (`daemon --shard i/N`). */
  shard?: Shard;
  /**
   * Runs a due source somewhere else instead of here (`daemon --dispatch`: publishes its units to
   * NATS for the workers and waits for their results). Null when the run was stopped while waiting.
   */
  dispatch?: (input: { config: ElderSyncConfig; source: string; signal: AbortSignal }) => Promise<SyncReport | null>;
  /** Tests: deterministic jitter. */
  random?: () => number;
}

interface Entry {
  source: SourceConfig;
  schedule: Schedule;
  timer: NodeJS.Timeout | null;
  /** The run (or its jitter wait) in flight; a due time that finds one is skipped. */
  active: Promise<void> | null;
}

/**
 * `elder-sync daemon` (DESIGN §2, §7): each source on its own cron schedule or interval, never two
 * runs of one source at once (a due time that finds the previous run going is skipped and
 * counted), optional jitter, a health/metrics server, reload with validation, graceful stop.
 *
 * Signals are the CLI's business: it calls `reload()` on SIGHUP and `stop()` on SIGTERM/SIGINT.
 */
export class Daemon {
  private config!: ElderSyncConfig;
  private settings!: DaemonConfig;
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private readonly anchor = Date.now();
  private metrics: SyncMetrics | null = null;
  private tracker!: RunTracker;
  private server: HealthServer | null = null;
  private probe: ElderApi | null = null;
  private stopping = false;

  constructor(private readonly options: DaemonOptions) {}

  /** Loads the config (throws ConfigError), starts the health server, arms every source. */
  async start(): Promise<{ url: string }> {
    const config = await this.loadChecked();
    this.config = config;
    this.settings = daemonSettings(config);
    this.metrics = this.settings.metrics ? new SyncMetrics() : null;
    this.tracker = new RunTracker(this.metrics);
    this.probe = this.makeElderClient(config, { maxAttempts: 1, timeoutMs: READY_TIMEOUT_MS });
    this.server = await startHealthServer({
      listen: this.options.listen ?? this.settings.listen,
      metrics: this.metrics,
      readiness: () => this.readiness(),
      status: () => this.tracker.status(),
    });
    for (const source of config.sources) this.addSource(source, this.settings.runOnStart);
    this.options.log.info('daemon started', {
      listen: this.server.url,
      sources: config.sources.map((s) => `${s.name} (${this.entries.get(s.name)!.schedule.description})`),
    });
    return { url: this.server.url };
  }

  /**
   * SIGHUP: load and validate the configuration again. A bad one is logged, issue by issue, and the
   * running one stays. Runs in flight finish on the configuration they started with.
   */
  async reload(): Promise<boolean> {
    if (this.stopping) return false;
    let next: ElderSyncConfig;
    try {
      next = await this.loadChecked();
    } catch (error) {
      const issues = error instanceof ConfigError ? error.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)) : [errorMessage(error)];
      this.options.log.error('configuration reload rejected; the running configuration stays', { issues: issues.map(redact) });
      for (const issue of issues) this.options.log.error(`reload: ${issue}`);
      this.tracker.reloaded(false, issues.map(redact));
      return false;
    }
    const settings = daemonSettings(next);
    if (this.options.listen === undefined && settings.listen !== this.settings.listen) {
      this.options.log.warn('daemon.listen changed; it takes effect at the next start', { listen: settings.listen });
    }
    if (settings.metrics !== this.settings.metrics) {
      this.options.log.warn('daemon.metrics changed; it takes effect at the next start');
    }
    const previous = this.config;
    this.config = next;
    this.settings = { ...settings, listen: this.settings.listen, metrics: this.settings.metrics };
    if (JSON.stringify(previous.elder) !== JSON.stringify(next.elder)) {
      const old = this.probe;
      this.probe = this.makeElderClient(next, { maxAttempts: 1, timeoutMs: READY_TIMEOUT_MS });
      void old?.close();
    }
    const names = new Set(next.sources.map((s) => s.name));
    for (const [name, entry] of this.entries) {
      if (names.has(name)) continue;
      if (entry.timer) clearTimeout(entry.timer);
      this.entries.delete(name);
      this.tracker.remove(name);
    }
    for (const source of next.sources) {
      const entry = this.entries.get(source.name);
      if (!entry) {
        this.addSource(source, false);
        continue;
      }
      const schedule = scheduleOf(source, this.settings.defaultInterval, this.anchor);
      entry.source = source;
      this.tracker.upsert(source.name, source.connector, schedule.description);
      if (schedule.description !== entry.schedule.description) {
        entry.schedule = schedule;
        this.arm(entry, Date.now());
      }
    }
    this.tracker.reloaded(true);
    this.options.log.info('configuration reloaded', { sources: next.sources.map((s) => s.name) });
    return true;
  }

  /**
   * SIGTERM: no new run starts; runs in flight are asked to stop (writes already sent finish, state
   * is saved, DESIGN §5.5) and awaited up to `gracePeriodSeconds`. `completed` false means some were
   * still going when the grace period ended.
   */
  async stop(gracePeriodSeconds = this.settings?.gracePeriodSeconds ?? 30): Promise<{ completed: boolean }> {
    this.stopping = true;
    if (this.tracker) this.tracker.state = 'stopping';
    for (const entry of this.entries.values()) if (entry.timer) clearTimeout(entry.timer);
    this.abort.abort();
    const pending = [...this.inflight];
    if (pending.length > 0) this.options.log.info('stopping: waiting for runs in flight', { runs: pending.length, gracePeriodSeconds });
    const grace = new AbortController();
    const completed = await Promise.race([
      Promise.allSettled(pending).then(() => true),
      sleep(gracePeriodSeconds * 1000, false, { signal: grace.signal }).catch(() => false),
    ]);
    grace.abort();
    await this.server?.close();
    await this.probe?.close();
    this.options.log.info(completed ? 'daemon stopped' : 'daemon stopped with runs still going after the grace period', {
      runs: this.inflight.size,
    });
    return { completed };
  }

  /** The /status document (also for tests). */
  status(): unknown {
    return this.tracker.status();
  }

  private async loadChecked(): Promise<ElderSyncConfig> {
    const config = await this.options.load();
    const issues: ConfigIssue[] = scheduleIssues(config);
    if (config.sources.length === 0) {
      issues.push({ path: 'sources', message: 'no sources are configured, so the daemon has nothing to schedule; add one under sources: ("elder-sync config init" writes an example)' });
    }
    if (issues.length > 0) throw new ConfigError(issues);
    return config;
  }

  private addSource(source: SourceConfig, runNow: boolean): void {
    const entry: Entry = { source, schedule: scheduleOf(source, this.settings.defaultInterval, this.anchor), timer: null, active: null };
    this.entries.set(source.name, entry);
    this.tracker.upsert(source.name, source.connector, entry.schedule.description);
    if (runNow) this.due(entry, Date.now());
    this.arm(entry, Date.now());
  }

  /** Sets the timer for the entry's next due time after `after`. */
  private arm(entry: Entry, after: number): void {
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = null;
    if (this.stopping) return;
    const due = entry.schedule.next(after);
    this.tracker.setNext(entry.source.name, Number.isFinite(due) ? due : null);
    if (!Number.isFinite(due)) return;
    const fire = () => {
      if (this.entries.get(entry.source.name) !== entry) return;
      const early = due - Date.now();
      if (early > 0) {
        // Long waits are chunked, and a timer may fire a millisecond early.
        entry.timer = setTimeout(fire, Math.min(early, MAX_TIMER_MS));
        return;
      }
      this.due(entry, due);
      this.arm(entry, due);
    };
    entry.timer = setTimeout(fire, Math.min(Math.max(0, due - Date.now()), MAX_TIMER_MS));
  }

  private due(entry: Entry, dueAt: number): void {
    const name = entry.source.name;
    if (this.stopping) return;
    if (entry.active) {
      this.tracker.skipped(name);
      this.options.log.warn('run skipped: the previous run of this source is still going', { source: name, dueAt: new Date(dueAt).toISOString() });
      return;
    }
    const jitterMs = this.settings.jitterSeconds > 0 ? (this.options.random ?? Math.random)() * this.settings.jitterSeconds * 1000 : 0;
    const run = (async () => {
      if (jitterMs > 0) {
        const waited = await sleep(jitterMs, true, { signal: this.abort.signal }).catch(() => false);
        if (!waited) return;
      }
      await this.runSource(entry.source, dueAt);
    })();
    entry.active = run;
    this.inflight.add(run);
    void run.finally(() => {
      entry.active = null;
      this.inflight.delete(run);
    });
  }

  private async runSource(source: SourceConfig, dueAt: number): Promise<void> {
    const config = this.config;
    const log = this.options.log.child({ source: source.name });
    const elder = this.makeElderClient(config, {});
    this.tracker.started(source.name, dueAt);
    let report: SyncReport | null = null;
    try {
      report = this.options.dispatch
        ? await this.options.dispatch({ config, source: source.name, signal: this.abort.signal })
        : await runSync({
            config,
            connectors: this.options.connectors,
            sources: [source.name],
            mode: 'apply',
            log: this.options.log,
            elder,
            signal: this.abort.signal,
            onProgress: this.tracker.progress,
            ...(this.options.shard ? { shard: this.options.shard } : {}),
          });
      if (!report) throw new ElderSyncError('DISPATCH_STOPPED', 'stopped while waiting for the workers\' results');
      const record = this.tracker.finished(source.name, report, null, countOrganizations(report));
      const fields = { runId: record.runId, status: record.status, durationMs: record.durationMs, ...record.counts };
      // A failed run is an error in the log with its cause: the same text /status shows.
      if (record.status === 'success') log.info('run finished', fields);
      else log.error(`run ${record.status}: ${record.error ?? 'unknown error'}`, { ...fields, error: record.error });
    } catch (error) {
      const message = redact(errorMessage(error));
      this.tracker.finished(source.name, null, message);
      log.error(`run failed: ${message}`);
    } finally {
      report?.close();
      await elder.close().catch(() => undefined);
    }
  }

  private makeElderClient(config: ElderSyncConfig, overrides: { maxAttempts?: number; timeoutMs?: number }): ElderApi {
    return createElderClient({
      url: config.elder.url,
      auth: elderAuth(config.elder),
      timeoutMs: overrides.timeoutMs ?? config.elder.timeoutMs,
      maxAttempts: overrides.maxAttempts ?? config.elder.maxAttempts,
      concurrency: config.elder.concurrency,
      log: this.options.log,
      ...(this.metrics ? { observer: this.metrics.observeRequest } : {}),
    });
  }

  private async readiness(): Promise<Readiness> {
    const path = this.config.state.path;
    return checkReadiness(this.probe!, path === undefined ? undefined : shardStatePath(path, this.options.shard));
  }
}

/** Elder answers its status route, and the state store can be opened (or created). */
export async function checkReadiness(elder: ElderApi, statePath: string | undefined): Promise<Readiness> {
  const checks: Readiness['checks'] = [];
  try {
    await Promise.race([
      elder.status(),
      sleep(READY_TIMEOUT_MS).then(() => {
        throw new Error(`no answer within ${READY_TIMEOUT_MS / 1000} s`);
      }),
    ]);
    checks.push({ name: 'elder', ok: true });
  } catch (error) {
    checks.push({ name: 'elder', ok: false, detail: redact(errorMessage(error)) });
  }
  checks.push(stateCheck(statePath));
  return { ready: checks.every((c) => c.ok), checks };
}

function stateCheck(path: string | undefined): Readiness['checks'][number] {
  if (path === undefined || path === ':memory:') return { name: 'state', ok: true };
  try {
    if (existsSync(path)) {
      StateStore.open(path, { readonly: true }).close();
    } else {
      // Not created until the first run: the nearest existing directory must take it.
      let dir = dirname(path);
      while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
      accessSync(dir, constants.W_OK);
    }
    return { name: 'state', ok: true };
  } catch (error) {
    return { name: 'state', ok: false, detail: redact(errorMessage(error)) };
  }
}

export function daemonSettings(config: ElderSyncConfig): DaemonConfig {
  return config.daemon ?? daemonConfigSchema.parse({});
}

/**
 * Organizations the run created, updated or deleted, of one source or of all (as planned: the report
 * does not split applied counts by target).
 */
export function countOrganizations(report: SyncReport, source?: string): number {
  let n = 0;
  for (const row of report.tally()) {
    if (source !== undefined && row.source !== source) continue;
    if (row.target === 'organization' && (row.action === 'create' || row.action === 'update' || row.action === 'delete')) n += row.count;
  }
  return n;
}
