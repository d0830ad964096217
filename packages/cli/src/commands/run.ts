import { Args, Flags } from '@oclif/core';
import type { PlanJson } from '@elder-sync/core';
import { ExitCode } from '../exit-codes.js';
import { shardFlag, shardOption } from '../shard-flag.js';
import { SyncCommand, summaryJson, type SummaryJson } from '../sync-command.js';

export interface RunResult {
  plan: PlanJson;
  summary: SummaryJson;
}

export default class Run extends SyncCommand<typeof Run> {
  static override summary = 'Read the sources, plan against Elder, and apply the plan.';
  static override description = `With no SOURCE and no --all, every configured source runs. A SOURCE is a source name, or a connector id meaning every source of that connector.

Exit codes: 0 every scope succeeded; 3 some scopes failed and the others were applied; 1 every scope failed (or another error); 64 bad usage or configuration.`;
  static override examples = [
    { description: 'Show what would change, write nothing:', command: '<%= config.bin %> <%= command.id %> corp-ldap --dry-run' },
    { description: 'Sync every source (cron, CI):', command: '<%= config.bin %> <%= command.id %> --all' },
    { description: 'Take over what the Python worker wrote, without duplicates:', command: '<%= config.bin %> <%= command.id %> --adopt --dry-run' },
    { description: 'Full reconcile of users only:', command: '<%= config.bin %> <%= command.id %> corp-ldap --full --only user' },
  ];
  static override strict = false;
  static override args = {
    source: Args.string({ description: 'Source name or connector id (repeatable).' }),
  };
  static override flags = {
    all: Flags.boolean({ summary: 'Run every configured source.' }),
    'dry-run': Flags.boolean({ summary: 'Plan and print; write nothing, not to Elder and not to the state file.' }),
    full: Flags.boolean({ summary: 'Ignore incremental cursors and read everything (a full reconcile).' }),
    only: Flags.string({ summary: 'Only these record kinds (e.g. user); deletions only among them.', multiple: true }),
    'allow-mass-delete': Flags.boolean({ summary: "Allow deleting more than a scope's maxDeletePercent of its owned objects." }),
    adopt: Flags.boolean({
      summary: 'Take ownership of unowned Elder entities that match a record on a natural key (ldap_dn, email, ...) instead of creating duplicates.',
    }),
    verbose: Flags.boolean({ char: 'v', summary: 'Show every attribute of creates and updates in the plan.' }),
    'serve-metrics': Flags.boolean({
      summary: 'While the run goes, serve /healthz, /readyz, /status and /metrics like the daemon (long cron runs).',
    }),
    shard: shardFlag,
    listen: Flags.string({
      summary: 'host:port for --serve-metrics (else daemon.listen, default 127.0.0.1:9464).',
      dependsOn: ['serve-metrics'],
    }),
  };

  public async run(): Promise<RunResult | undefined> {
    const { flags } = this;
    const { config, connectors, sources } = await this.prepare(this.positional, flags.all, flags.only);
    const core = await this.core();
    const log = await this.logger();
    const observers = await this.runObservers(config, sources, flags['serve-metrics'] ? (flags.listen ?? config.daemon?.listen ?? '127.0.0.1:9464') : null);
    const stop = this.interruptible();
    const report = await core.runSync({
      signal: stop.signal,
      config,
      connectors,
      sources,
      mode: flags['dry-run'] ? 'plan' : 'apply',
      full: flags.full,
      only: flags.only,
      allowMassDelete: flags['allow-mass-delete'],
      log,
      ...observers.hooks,
      adopt: flags.adopt,
      ...shardOption(core, flags.shard),
    })
      .catch(async (error: unknown) => {
        observers.finished(null);
        await observers.close();
        throw error;
      })
      .finally(stop.dispose);
    try {
      observers.finished(report);
      await observers.close();
      this.printFailures(report);
      await this.printPlan(report, flags.verbose);
      await this.printSummary(report);
      process.exitCode = stop.interrupted() ? ExitCode.interrupted : this.runExitCode(report);
      // The JSON plan holds every change in memory: build it only when it is printed.
      return this.jsonEnabled() ? { plan: core.planToJson(report), summary: summaryJson(report) } : undefined;
    } finally {
      report.close();
    }
  }
}
