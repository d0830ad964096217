import { Flags } from '@oclif/core';
import type { ElderSyncConfig } from '@elder-sync/core';
import { loadConfig, validateSources } from '../config-api.js';
import { ExitCode } from '../exit-codes.js';
import { shardFlag, shardOption } from '../shard-flag.js';
import { SyncCommand } from '../sync-command.js';

export default class Daemon extends SyncCommand<typeof Daemon> {
  static override summary = 'Run every source on its own schedule, with a health and metrics server.';
  static override description = `Each source runs on its schedule (cron) or interval (seconds; default daemon.defaultInterval); a run still going when the next is due is skipped and counted. The health server answers GET /healthz, /readyz (Elder reachable, state store usable), /status (JSON per source: last run, next run, counts, errors) and /metrics (Prometheus).

SIGHUP reloads the configuration; a bad one is logged and the running one stays. SIGTERM or SIGINT stop it: no new run starts, runs in flight finish their writes and save their state (up to daemon.gracePeriodSeconds), then it exits 0 (1 if runs were still going when the grace period ended).`;
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    { description: 'Health and metrics on every interface (containers):', command: '<%= config.bin %> <%= command.id %> --listen 0.0.0.0:9464' },
  ];
  static override enableJsonFlag = false;
  static override flags = {
    listen: Flags.string({ summary: 'host:port of the health and metrics server (else daemon.listen, default 127.0.0.1:9464).' }),
    shard: shardFlag,
    dispatch: Flags.string({
      summary: 'Dispatch each due source\'s units to NATS JetStream workers instead of running them here: a nats:// URL, or "config" for the nats block\'s servers.',
      exclusive: ['shard'],
    }),
    'grace-period': Flags.integer({ summary: 'Seconds runs in flight may take to finish after SIGTERM (else daemon.gracePeriodSeconds, default 30).', min: 0 }),
  };

  public async run(): Promise<void> {
    const core = await this.core();
    const { Daemon: DaemonImpl } = await import('@elder-sync/core/daemon');
    const connectors = await this.connectorLoader();
    let first = true;
    // Called at start and on every SIGHUP: the same loading and validation as `run`.
    const load = async () => {
      const { config, workerEnv } = loadConfig(core, this.flags.config);
      if (workerEnv && first) this.useWorkerEnv(workerEnv);
      first = false;
      await validateSources(core, config, config.sources, connectors, workerEnv);
      return config;
    };
    const daemon = new DaemonImpl({
      load,
      connectors,
      log: await this.logger(),
      ...(this.flags.listen === undefined ? {} : { listen: this.flags.listen }),
      ...shardOption(core, this.flags.shard),
      ...(this.flags.dispatch === undefined ? {} : { dispatch: await this.dispatcher(this.flags.dispatch, connectors) }),
    });
    // Before start(): a SIGTERM while the first runs begin must still stop cleanly.
    const stopped = new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    });
    const onHangUp = () => void daemon.reload();
    process.on('SIGHUP', onHangUp);
    try {
      const { url } = await daemon.start();
      process.stderr.write(this.redact(`elder-sync daemon: health and metrics on ${url} (/healthz /readyz /status /metrics)`) + '\n');
      const signal = await stopped;
      process.stderr.write(`${signal}: finishing the writes in flight, then stopping\n`);
      const again = () => process.exit(ExitCode.interrupted);
      process.once('SIGTERM', again);
      process.once('SIGINT', again);
      const { completed } = await daemon.stop(this.flags['grace-period']);
      process.exitCode = completed ? ExitCode.ok : ExitCode.failure;
    } finally {
      process.off('SIGHUP', onHangUp);
    }
  }

  /** `daemon --dispatch`: one small daemon feeds many workers; each due source becomes units on NATS. */
  private async dispatcher(target: string, connectors: Awaited<ReturnType<Daemon['connectorLoader']>>) {
    const { dispatchRun } = await import('@elder-sync/nats');
    const log = await this.logger();
    const url = target === 'config' ? undefined : target;
    return async ({ config, source, signal }: { config: ElderSyncConfig; source: string; signal: AbortSignal }) =>
      (await dispatchRun({ config, connectors, sources: [source], log, nats: { url, config: config.nats, name: 'elder-sync daemon' }, mode: 'apply', signal })).report;
  }
}
