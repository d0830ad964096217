import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { errorMessage, redact, runSync, type ConnectorLoader, type ElderSyncConfig, type Logger, type PlannedOrganization, type ScopeReport } from '@elder-sync/core';
import type { JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectNats, type NatsTarget } from './connection.js';
import { KvStateStore } from './kv-state.js';
import { Leases, type Lease } from './lease.js';
import { ensureStreams } from './streams.js';
import { NAMES, unitKeyOf, type UnitResult, type WorkUnit } from './units.js';

export interface WorkerOptions {
  config: ElderSyncConfig;
  connectors: ConnectorLoader;
  log: Logger;
  nats: NatsTarget;
  /** Units run at once by this worker. */
  concurrency: number;
  /** Deliveries of a unit before it goes to the dead-letter subject (crashed workers count too). */
  maxAttempts: number;
  /** Aborted on SIGTERM: take no new unit, finish those in hand. */
  signal: AbortSignal;
  /** How long a silent worker holds a unit (ack wait and lease); in-progress acks go out at a third of it. */
  leaseMs?: number;
  /** Backoff before a failed unit is delivered again (default 2 s × 2^(attempt-1), at most 60 s). */
  retryDelayMs?: (attempt: number) => number;
  /** Tells the health server and metrics about each finished unit. */
  onUnit?: (event: WorkerUnitEvent) => void;
  onReady?: () => void;
}

export interface WorkerUnitEvent {
  key: string;
  outcome: 'ok' | 'retry' | 'dead';
  attempt: number;
  reports: ScopeReport[];
  error?: string;
}

export interface WorkerSummary {
  units: number;
  failed: number;
  dead: number;
}

/**
 * `elder-sync worker`: pulls units from the work queue with explicit acks, runs each with the same
 * engine as a local run (its scope given, no discovery), and publishes the result. While a unit
 * runs the message is kept alive with in-progress acks and the unit's lease renewed; a failed unit
 * is retried with backoff up to `maxAttempts` deliveries, then published to the dead-letter subject
 * with its error. The abort signal drains: no new units, the ones in hand finish.
 */
export async function runWorker(options: WorkerOptions): Promise<WorkerSummary> {
  const { jetstream, jetstreamManager } = await import('@nats-io/jetstream');
  const leaseMs = options.leaseMs ?? 30_000;
  const workerId = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const log = options.log.child({ worker: workerId });
  const nc = await connectNats({ ...options.nats, name: `elder-sync worker ${workerId}` }, log);
  const stateNc = options.config.state.url ? await connectNats({ url: options.config.state.url, config: options.config.nats, name: `elder-sync worker ${workerId} state` }, log) : null;
  const summary: WorkerSummary = { units: 0, failed: 0, dead: 0 };
  try {
    const jsm = await jetstreamManager(nc);
    await ensureStreams(jsm, { ackWaitMs: leaseMs });
    const js = jetstream(nc);
    const leases = await Leases.open(nc, leaseMs);
    const kvState = stateNc ? await KvStateStore.open(stateNc) : null;
    const consumer = await js.consumers.get(NAMES.unitsStream, NAMES.workersConsumer);
    const inFlight = new Set<Promise<void>>();
    options.onReady?.();
    while (!options.signal.aborted) {
      const free = options.concurrency - inFlight.size;
      if (free <= 0) {
        await Promise.race(inFlight);
        continue;
      }
      let batch;
      try {
        batch = await consumer.fetch({ max_messages: free, expires: 1_000 });
      } catch (error) {
        log.warn(`cannot fetch units: ${errorMessage(error)}; retrying`);
        await sleep(500);
        continue;
      }
      try {
        for await (const msg of batch) {
          const work = handle(msg)
            .catch((error: unknown) => log.error(`unit left unfinished (it will be delivered again): ${errorMessage(error)}`))
            .finally(() => inFlight.delete(work));
          inFlight.add(work);
        }
      } catch (error) {
        log.warn(`fetch ended: ${errorMessage(error)}`);
      }
    }
    await Promise.allSettled(inFlight);
    return summary;

    async function handle(msg: JsMsg): Promise<void> {
      const attempt = msg.info.deliveryCount;
      let unit: WorkUnit;
      try {
        unit = msg.json<WorkUnit>();
      } catch {
        msg.term('not a work unit');
        return;
      }
      const key = unitKeyOf(unit);
      const unitLog = log.child({ runId: unit.runId, source: unit.source, scope: unit.scope.id, attempt });
      if (attempt > options.maxAttempts) {
        // Delivered again after its last attempt: a worker died on it (its result was never sent).
        await deadLetter(unit, key, attempt - 1, [], `no result after ${attempt - 1} deliveries (a worker may have crashed on it)`);
        msg.term();
        return;
      }
      const lease = await leaseWhenFree(key, msg, unitLog);
      if (!lease) {
        msg.nak(); // Draining: another worker takes it.
        return;
      }
      const abort = new AbortController();
      const heartbeat = setInterval(() => {
        msg.working();
        lease.renew().catch((error: unknown) => {
          // Unreachable server: keep going, the next beat tries again. Taken by another worker: stop.
          if (!lease.lost(error)) return unitLog.warn(`cannot renew the unit's lease: ${errorMessage(error)}`);
          unitLog.error(`lost the unit's lease to another worker; stopping it`);
          abort.abort();
        });
      }, Math.max(200, Math.round(leaseMs / 3)));
      summary.units++;
      let reports: ScopeReport[] = [];
      let organizationCreates: PlannedOrganization[] | undefined;
      let error: string | undefined;
      try {
        const checkedOut = kvState && unit.mode === 'apply' ? await kvState.checkout(unit.source, unit.scope.id, unit.scope.formerIds) : null;
        try {
          const report = await runSync({
            config: options.config,
            connectors: options.connectors,
            sources: [unit.source],
            scopes: { [unit.source]: [unit.scope] },
            mode: unit.mode,
            full: unit.full,
            only: unit.only,
            adopt: unit.adopt,
            allowMassDelete: unit.allowMassDelete,
            log: unitLog,
            signal: abort.signal,
            ...(checkedOut ? { state: checkedOut.store } : {}),
          });
          reports = report.scopes;
          if (unit.mode === 'plan') organizationCreates = report.organizationCreates();
          report.close();
          await checkedOut?.checkin();
        } finally {
          checkedOut?.store.close();
        }
        const failed = reports.filter((r) => r.status === 'failed');
        if (reports.length === 0) error = `source "${unit.source}" is not in this worker's configuration`;
        else if (failed.length > 0) error = failed.map((r) => r.error ?? 'failed').join('; ');
      } catch (thrown) {
        error = redact(errorMessage(thrown));
      } finally {
        clearInterval(heartbeat);
        await lease.release();
      }
      if (error === undefined) {
        await publishResult({ runId: unit.runId, key, worker: workerId, attempts: attempt, reports, ...(organizationCreates ? { organizationCreates } : {}) });
        msg.ack();
        options.onUnit?.({ key, outcome: 'ok', attempt, reports });
        return;
      }
      summary.failed++;
      if (attempt < options.maxAttempts) {
        const delay = (options.retryDelayMs ?? defaultRetryDelay)(attempt);
        unitLog.warn(`unit failed (attempt ${attempt} of ${options.maxAttempts}), retrying in ${delay} ms: ${error}`);
        msg.nak(delay);
        options.onUnit?.({ key, outcome: 'retry', attempt, reports, error });
        return;
      }
      await deadLetter(unit, key, attempt, reports, error);
      msg.term();
    }

    /**
     * The unit's lease, waiting while another worker holds its key (the same unit dispatched twice,
     * or a dead worker's lease until it expires) instead of handing the message back: each hand-back
     * counts as a delivery, and enough of them sent a unit that never failed to the dead letters.
     * Null only when the worker is draining.
     */
    async function leaseWhenFree(key: string, msg: JsMsg, unitLog: Logger): Promise<Lease | null> {
      for (let waited = false; ; waited = true) {
        const lease = await leases.acquire(key, workerId);
        if (lease || options.signal.aborted) return lease;
        if (!waited) unitLog.info('another worker holds this unit; waiting for it');
        msg.working();
        await sleep(LEASE_POLL_MS);
      }
    }

    async function deadLetter(unit: WorkUnit, key: string, attempts: number, reports: ScopeReport[], error: string): Promise<void> {
      summary.dead++;
      log.error(`unit ${key} failed ${attempts} time(s); sent to ${NAMES.deadSubject(unit.runId)}: ${error}`, { runId: unit.runId });
      await publishSurely(NAMES.deadSubject(unit.runId), JSON.stringify({ unit, attempts, error, worker: workerId }));
      const failedReports = reports.length > 0 ? reports : [deadReport(unit, error)];
      await publishResult({ runId: unit.runId, key, worker: workerId, attempts, reports: failedReports, dead: { error } });
      options.onUnit?.({ key, outcome: 'dead', attempt: attempts, reports: failedReports, error });
    }

    async function publishResult(result: UnitResult): Promise<void> {
      await publishSurely(NAMES.resultsSubject(result.runId), JSON.stringify(result));
    }

    /** A result or dead letter must not be lost to a server restart: try until JetStream stores it. */
    async function publishSurely(subject: string, payload: string): Promise<void> {
      for (let attempt = 1; ; attempt++) {
        try {
          await js.publish(subject, payload, { timeout: 5_000 });
          return;
        } catch (error) {
          if (attempt >= PUBLISH_ATTEMPTS) throw error;
          log.warn(`cannot publish to ${subject} (attempt ${attempt}): ${errorMessage(error)}; retrying`);
          await sleep(1_000);
        }
      }
    }
  } finally {
    await nc.drain().catch(() => undefined);
    await stateNc?.drain().catch(() => undefined);
  }
}

/** How often a unit whose key another worker holds asks for the lease again. */
const LEASE_POLL_MS = 500;

/** About two minutes of a server that is away. */
const PUBLISH_ATTEMPTS = 120;

function defaultRetryDelay(attempt: number): number {
  return Math.min(60_000, 2_000 * 2 ** (attempt - 1));
}

function deadReport(unit: WorkUnit, error: string): ScopeReport {
  return {
    source: unit.source,
    connector: '',
    scope: unit.scope.id,
    label: unit.scope.label,
    status: 'failed',
    error,
    mode: 'full',
    counts: { read: 0, create: 0, update: 0, delete: 0, unchanged: 0, withheld: 0, errors: 1 },
    durationMs: 0,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export type { NatsConnection };
