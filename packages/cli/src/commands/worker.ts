import { Flags } from '@oclif/core';
import { loadConfig, validateSources } from '../config-api.js';
import { ExitCode } from '../exit-codes.js';
import { SyncCommand } from '../sync-command.js';

export default class Worker extends SyncCommand<typeof Worker> {
  static override summary = 'Run work units that `run --dispatch` publishes to NATS JetStream.';
  static override description = `Pulls units (one source × scope each) from the ELDER_SYNC_UNITS work queue with explicit acks and runs them with the same engine as a local run. While a unit runs, in-progress acks keep it and a lease in the elder-sync-leases KV bucket makes sure no other worker holds the same unit. A unit that fails is retried with backoff up to --max-attempts deliveries, then published to the dead-letter subject elder-sync.dead.<runId> with its error. With state: { url: nats://... } checkpoints and id mappings live in the elder-sync-state KV bucket, shared by workers on every machine.

SIGTERM or SIGINT drain: no new unit is taken, the units in hand finish, then it exits 0. /healthz, /readyz and /metrics are served on --listen as the daemon serves them.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> --nats nats://nats.internal:4222 --concurrency 4',
    { description: 'NATS server, credentials and TLS from the config file\'s nats block:', command: '<%= config.bin %> <%= command.id %>' },
  ];
  static override enableJsonFlag = false;
  static override flags = {
    nats: Flags.string({ summary: 'NATS server URL (nats://[user:password@]host:4222); default: the nats block\'s servers.', env: 'ELDER_SYNC_NATS' }),
    concurrency: Flags.integer({ summary: 'Units this worker runs at once.', default: 2, min: 1, max: 64 }),
    'max-attempts': Flags.integer({ summary: 'Deliveries of a unit before it goes to the dead-letter subject.', default: 3, min: 1, max: 100 }),
    listen: Flags.string({ summary: 'host:port of the health and metrics server (default 127.0.0.1:9465; "off" for none).', default: '127.0.0.1:9465' }),
    lease: Flags.integer({ summary: 'Seconds a silent worker keeps a unit before it is redelivered (in-progress acks go out at a third of it).', default: 30, min: 3 }),
  };

  public async run(): Promise<void> {
    const core = await this.core();
    const { config, workerEnv } = loadConfig(core, this.flags.config);
    if (workerEnv) this.useWorkerEnv(workerEnv);
    const connectors = await this.connectorLoader();
    await validateSources(core, config, config.sources, connectors, workerEnv);
    const { runWorker, displayUrl } = await import('@elder-sync/nats');
    const { SyncMetrics, startHealthServer } = await import('@elder-sync/core/daemon');
    const { Counter } = await import('prom-client');
    const log = await this.logger();

    const metrics = new SyncMetrics();
    const units = new Counter({ name: 'elder_sync_worker_units_total', help: 'Work units finished by this worker, by outcome (ok, retry, dead).', labelNames: ['outcome'] as const, registers: [metrics.registry] });
    const status = { ready: false, units: { ok: 0, retry: 0, dead: 0 }, last: null as null | { key: string; outcome: string; error?: string } };
    const server = this.flags.listen === 'off' ? null : await startHealthServer({
      listen: this.flags.listen,
      metrics,
      readiness: async () => ({ ready: status.ready, checks: [{ name: 'nats', ok: status.ready, ...(status.ready ? {} : { detail: 'not connected yet' }) }] }),
      status: () => status,
    });
    const drain = new AbortController();
    const onSignal = (name: NodeJS.Signals) => {
      if (drain.signal.aborted) process.exit(ExitCode.interrupted);
      process.stderr.write(`${name}: finishing the units in hand, taking no new ones (again to stop at once)\n`);
      drain.abort();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    const url = this.flags.nats;
    process.stderr.write(this.redact(`elder-sync worker: units from ${displayUrl(url ?? [config.nats?.servers ?? '(no nats block)'].flat().join(','))}${server ? `; health and metrics on ${server.url}` : ''}`) + '\n');
    try {
      const summary = await runWorker({
        config,
        connectors,
        log,
        nats: { url, config: config.nats, name: 'elder-sync worker' },
        concurrency: this.flags.concurrency,
        maxAttempts: this.flags['max-attempts'],
        leaseMs: this.flags.lease * 1000,
        signal: drain.signal,
        onReady: () => (status.ready = true),
        onUnit: (event) => {
          units.inc({ outcome: event.outcome });
          status.units[event.outcome]++;
          status.last = { key: event.key, outcome: event.outcome, ...(event.error ? { error: event.error } : {}) };
        },
      });
      process.stderr.write(`elder-sync worker: stopped after ${summary.units} unit(s), ${summary.dead} dead-lettered\n`);
    } finally {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      await server?.close();
    }
  }
}
