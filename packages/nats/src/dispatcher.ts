import { randomUUID } from 'node:crypto';
import {
  runSync,
  totalCounts,
  type ConnectorLoader,
  type ElderSyncConfig,
  type Logger,
  type PlanChange,
  type ScopeReport,
  type SyncReport,
} from '@elder-sync/core';
import { connectNats, type NatsTarget } from './connection.js';
import { ensureStreams } from './streams.js';
import { NAMES, unitKeyOf, type UnitResult, type WorkUnit } from './units.js';

export interface DispatchOptions {
  config: ElderSyncConfig;
  connectors: ConnectorLoader;
  sources: string[];
  log: Logger;
  nats: NatsTarget;
  mode: 'apply' | 'plan';
  full?: boolean;
  only?: string[];
  adopt?: boolean;
  allowMassDelete?: boolean;
  /** Wait for every unit's result (default); false returns as soon as the units are published. */
  wait?: boolean;
  signal?: AbortSignal;
  onScopeDone?: (report: ScopeReport) => void;
  /** Must match the workers' (default 30 s); only used when this call creates the consumer. */
  leaseMs?: number;
}

export interface Dispatched {
  runId: string;
  units: number;
  /** The run's report when waited for; null with `wait: false` or when stopped while waiting. */
  report: SyncReport | null;
}

/**
 * `run --dispatch`: discovers every selected source's scopes, takes the source-wide steps (missing
 * root organizations, removal of vanished scopes) itself, publishes one message per (source, scope) — its id the unit key and
 * run id, so a republish is dropped — and, unless told not to, waits for each unit's result and
 * returns a report like a local run's (the plan's changes stay with the workers: only counts).
 */
export async function dispatchRun(options: DispatchOptions): Promise<Dispatched> {
  const { jetstream, jetstreamManager, DeliverPolicy } = await import('@nats-io/jetstream');
  const runId = randomUUID();
  const startedAt = new Date();
  const log = options.log.child({ runId });
  const signal = options.signal ?? new AbortController().signal;
  const units: WorkUnit[] = [];
  // The source-wide steps here, once: discovery, missing roots (workers starting at once would race
  // to create them), and the removal of scopes that vanished. The discovered scopes become units.
  const local = await runSync({
    config: options.config,
    connectors: options.connectors,
    sources: options.sources,
    mode: options.mode,
    full: options.full ?? false,
    only: options.only ?? [],
    adopt: options.adopt ?? false,
    allowMassDelete: options.allowMassDelete ?? false,
    log,
    signal,
    sourceWideOnly: true,
    // With state in JetStream KV the dispatcher keeps no state file of its own.
    ...(options.config.state.url ? { statePath: ':memory:' } : {}),
    onDiscovered: (source, discovery) => {
      for (const scope of discovery.scopes) {
        units.push({
          runId,
          source,
          scope,
          mode: options.mode,
          full: options.full ?? false,
          only: options.only ?? [],
          adopt: options.adopt ?? false,
          allowMassDelete: options.allowMassDelete ?? false,
        });
      }
    },
  });
  const reports: ScopeReport[] = [...local.scopes];
  // Creations outside any scope (missing root organizations) are in the totals only.
  const rootCreates = local.totals.create - totalCounts(local.scopes).create;
  const elderBefore = { ...local.elder };
  local.close();
  for (const r of reports) options.onScopeDone?.(r);

  const nc = await connectNats({ ...options.nats, name: `elder-sync dispatcher ${runId}` }, log);
  try {
    const jsm = await jetstreamManager(nc);
    await ensureStreams(jsm, { ackWaitMs: options.leaseMs ?? 30_000 });
    const js = jetstream(nc);
    // Subscribed before publishing, so no result can be missed.
    const results = options.wait === false ? null : await js.consumers.get(NAMES.resultsStream, { filter_subjects: NAMES.resultsSubject(runId), deliver_policy: DeliverPolicy.All });
    for (const unit of units) {
      await js.publish(NAMES.unitsSubject(runId), JSON.stringify(unit), { msgID: `${unitKeyOf(unit)}:${runId}` });
    }
    log.info(`dispatched ${units.length} unit(s)`, { units: units.length });
    if (!results) return { runId, units: units.length, report: null };

    const pending = new Set(units.map(unitKeyOf));
    const organizations = new OrganizationsCountedOnce();
    const elderStats = { ...elderBefore };
    const messages = await results.consume();
    const onAbort = () => void messages.close();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      if (pending.size > 0) {
        for await (const msg of messages) {
          const result = msg.json<UnitResult>();
          if (!pending.delete(result.key)) continue;
          for (const r of organizations.counted(result)) {
            reports.push(r);
            options.onScopeDone?.(r);
          }
          if (pending.size === 0) break;
        }
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      await messages.close();
    }
    if (pending.size > 0) return { runId, units: units.length, report: null };
    return { runId, units: units.length, report: dispatchedReport(runId, options, startedAt, reports, elderStats, rootCreates) };
  } finally {
    await nc.drain().catch(() => undefined);
  }
}

function dispatchedReport(runId: string, options: DispatchOptions, startedAt: Date, reports: ScopeReport[], elder: SyncReport['elder'], rootCreates: number): SyncReport {
  const scopes = [...reports].sort((a, b) => a.source.localeCompare(b.source) || a.scope.localeCompare(b.scope));
  return {
    runId,
    mode: options.mode,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    scopes,
    totals: totalCounts(scopes, rootCreates),
    elder,
    elderUrl: options.config.elder.url,
    options: { full: options.full ?? false, only: options.only?.length ? [...options.only] : null, adopt: options.adopt ?? false, allowMassDelete: options.allowMassDelete ?? false },
    changes: (): IterableIterator<PlanChange> => [][Symbol.iterator](),
    tally: () => [],
    organizationCreates: () => [],
    close: () => undefined,
  };
}

/**
 * Units plan on their own, so two regions of one account both plan the account's organization. A
 * local plan counts it once, in the first scope that planned it; a dispatched plan likewise counts it
 * in the first unit to report it, and takes it off the creations of the units that report it again.
 */
class OrganizationsCountedOnce {
  private readonly planned = new Set<string>();

  /** A unit's reports, its repeats taken off (a unit is of one source: its scopes are its own). */
  counted(result: UnitResult): ScopeReport[] {
    if (!result.organizationCreates) return result.reports;
    const repeatsByScope = new Map<string, number>();
    for (const { source, scope, path } of result.organizationCreates) {
      const organization = JSON.stringify([source, ...path]);
      if (this.planned.has(organization)) repeatsByScope.set(scope, (repeatsByScope.get(scope) ?? 0) + 1);
      else this.planned.add(organization);
    }
    return result.reports.map((report) => {
      const repeated = repeatsByScope.get(report.scope) ?? 0;
      return repeated === 0 ? report : { ...report, counts: { ...report.counts, create: report.counts.create - repeated } };
    });
  }
}
