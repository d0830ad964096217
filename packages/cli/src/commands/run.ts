import { Args, Flags } from '@oclif/core';
import type { PlanJson, SyncReport } from '@elder-sync/core';
import { askYes, canAsk } from '../confirm.js';
import { ExitCode } from '../exit-codes.js';
import { shardFlag, shardOption } from '../shard-flag.js';
import { hasChanges, SyncCommand, summaryJson, unplannedScopes, type PreparedRun, type SummaryJson } from '../sync-command.js';

export interface RunResult {
  plan: PlanJson;
  summary: SummaryJson;
}

export default class Run extends SyncCommand<typeof Run> {
  static override summary = 'Read the sources, plan against Elder, and apply the plan.';
  static override description = `With no SOURCE and no --all, every configured source runs. A SOURCE is a source name, or a connector id meaning every source of that connector.

On a terminal, run shows the plan first and asks before writing anything (only "yes" applies; --yes skips the question). Without a terminal (cron, CI, a pipe) and with --json or --quiet it never asks.

Exit codes: 0 every scope succeeded; 3 some scopes failed and the others were applied; 1 every scope failed, the question was not answered "yes" (or another error); 64 bad usage or configuration; 130 stopped by Ctrl-C (at the question: nothing written).`;
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
    verbose: Flags.boolean({ char: 'v', summary: 'Show every change of the plan, with every attribute of creates and updates.' }),
    yes: Flags.boolean({ char: 'y', summary: 'Apply without asking. On a terminal run otherwise shows the plan and asks first; without one it never asks.' }),
    'serve-metrics': Flags.boolean({
      summary: 'While the run goes, serve /healthz, /readyz, /status and /metrics like the daemon (long cron runs).',
    }),
    shard: shardFlag,
    dispatch: Flags.boolean({
      summary: 'Publish one work unit per source × scope to NATS JetStream for `elder-sync worker`s, instead of running here: `--dispatch nats://host:4222`, or the nats block\'s servers.',
      exclusive: ['shard', 'serve-metrics'],
    }),
    wait: Flags.boolean({ summary: 'With --dispatch: wait for every unit\'s result and print the summary (--no-wait: return once published).', default: true, allowNo: true }),
    listen: Flags.string({
      summary: 'host:port for --serve-metrics (else daemon.listen, default 127.0.0.1:9464).',
      dependsOn: ['serve-metrics'],
    }),
  };

  public async run(): Promise<RunResult | undefined> {
    const { flags } = this;
    if (flags.dispatch) return this.dispatch();
    const prepared = await this.prepare(this.positional, flags.all, flags.only);
    if (this.asks()) return this.planAskApply(prepared);
    const { config, connectors, sources } = prepared;
    const core = await this.core();
    const log = await this.logger();
    const { report, interrupted } = await this.observed(config, sources, (hooks, signal) =>
      core.runSync({
        signal,
        config,
        connectors,
        sources,
        mode: flags['dry-run'] ? 'plan' : 'apply',
        full: flags.full,
        only: flags.only,
        allowMassDelete: flags['allow-mass-delete'],
        log,
        ...hooks,
        adopt: flags.adopt,
        ...shardOption(core, flags.shard),
      }),
    );
    try {
      this.printFailures(report);
      await this.printPlan(report, flags.verbose);
      await this.printSummary(report);
      process.exitCode = interrupted() ? ExitCode.interrupted : this.runExitCode(report);
      // The JSON plan holds every change in memory: build it only when it is printed.
      return this.jsonEnabled() ? { plan: core.planToJson(report), summary: summaryJson(report) } : undefined;
    } finally {
      report.close();
    }
  }

  /**
   * Runs `work` (a sync or an apply) with its progress observers — live rows, scope lines, the
   * health server under --serve-metrics — and Ctrl-C handling around it, and hands back its report.
   */
  private async observed<R extends SyncReport>(
    config: PreparedRun['config'],
    sources: string[],
    work: (hooks: Awaited<ReturnType<Run['runObservers']>>['hooks'], signal: AbortSignal) => Promise<R>,
  ): Promise<{ report: R; interrupted: () => boolean }> {
    const { flags } = this;
    const serve = flags['serve-metrics'] ? (flags.listen ?? config.daemon?.listen ?? '127.0.0.1:9464') : null;
    const observers = await this.runObservers(config, sources, serve);
    const stop = this.interruptible();
    // Through a promise, so a synchronous throw (a bad --shard) also closes the observers.
    const report = await Promise.resolve()
      .then(() => work(observers.hooks, stop.signal))
      .catch(async (error: unknown) => {
        observers.finished(null);
        await observers.close();
        throw error;
      })
      .finally(stop.dispose);
    try {
      observers.finished(report);
      await observers.close();
    } catch (error) {
      report.close();
      throw error;
    }
    return { report, interrupted: stop.interrupted };
  }

  /** Whether to show the plan and ask before writing: a person at a terminal, who did not say --yes. */
  private asks(): boolean {
    const { flags } = this;
    return !flags['dry-run'] && !flags.yes && flags.shard === undefined && !this.jsonEnabled() && !flags.quiet && canAsk();
  }

  /**
   * Terraform's `apply` on a terminal: plan (writing nothing), show the plan, ask, then apply
   * exactly that plan (`applyPlan`, which refuses if Elder moved meanwhile). Ctrl-C at the question
   * writes nothing.
   */
  private async planAskApply({ config, connectors, sources }: PreparedRun): Promise<undefined> {
    const { flags } = this;
    const core = await this.core();
    const log = await this.logger();
    const { report: planned, interrupted: planInterrupted } = await this.observed(config, sources, (hooks, signal) =>
      core.runSync({
        signal,
        config,
        connectors,
        sources,
        mode: 'plan',
        full: flags.full,
        only: flags.only,
        allowMassDelete: flags['allow-mass-delete'],
        adopt: flags.adopt,
        log,
        ...hooks,
      }),
    );
    let plan;
    try {
      this.printFailures(planned);
      await this.printPlan(planned, flags.verbose);
      if (planInterrupted()) {
        process.exitCode = ExitCode.interrupted;
        return undefined;
      }
      if (planned.scopes.length > 0 && unplannedScopes(planned) === planned.scopes.length) {
        await this.printSummary(planned);
        process.exitCode = this.runExitCode(planned);
        return undefined;
      }
      // Never leaves this process: applied below, so secret values stay as they are.
      plan = core.planToJson(planned, { maskSecrets: false });
      if (hasChanges(planned.totals)) {
        const answer = await askYes('\nApply these changes to Elder? Only "yes" is accepted: ');
        if (answer !== 'yes') {
          this.out(answer === 'interrupted' ? 'Interrupted: nothing was applied.' : 'Apply cancelled: nothing was applied.');
          process.exitCode = answer === 'interrupted' ? ExitCode.interrupted : ExitCode.failure;
          return undefined;
        }
      }
    } finally {
      planned.close();
    }
    // Applies the plan just shown; with no changes, it commits the scopes' cursors and writes nothing.
    const { report, interrupted } = await this.observed(config, sources, (hooks, signal) => core.applyPlan({ config, connectors, plan, log, signal, ...hooks }));
    try {
      await this.printSummary(report);
      process.exitCode = interrupted() ? ExitCode.interrupted : this.runExitCode(report);
      return undefined;
    } finally {
      report.close();
    }
  }

  /** `run --dispatch`: the units go to the workers; the summary and exit code are a local run's. */
  private async dispatch(): Promise<RunResult | undefined> {
    const { flags } = this;
    // `--dispatch nats://host:4222`: the URL arrives as a positional argument (SOURCE names never contain "://").
    const url = this.positional.find((a) => /^(nats|tls):\/\//.test(a));
    const { config, connectors, sources } = await this.prepare(this.positional.filter((a) => a !== url), flags.all, flags.only);
    const { dispatchRun } = await import('@elder-sync/nats');
    const stop = this.interruptible();
    const dispatched = await dispatchRun({
      config,
      connectors,
      sources,
      log: await this.logger(),
      nats: { url, config: config.nats, name: 'elder-sync dispatcher' },
      mode: flags['dry-run'] ? 'plan' : 'apply',
      full: flags.full,
      only: flags.only ?? [],
      adopt: flags.adopt,
      allowMassDelete: flags['allow-mass-delete'],
      wait: flags.wait,
      signal: stop.signal,
      ...(this.scopeProgress() ? { onScopeDone: this.scopeProgress()! } : {}),
    }).finally(stop.dispose);
    const { report } = dispatched;
    if (!report) {
      if (!this.jsonEnabled()) process.stderr.write(`dispatched ${dispatched.units} unit(s) as run ${dispatched.runId}${stop.interrupted() ? '; stopped waiting for their results' : ''}\n`);
      process.exitCode = stop.interrupted() ? ExitCode.interrupted : ExitCode.ok;
      return undefined;
    }
    await this.printSummary(report);
    process.exitCode = this.runExitCode(report);
    const core = await this.core();
    return this.jsonEnabled() ? { plan: core.planToJson(report), summary: summaryJson(report) } : undefined;
  }
}
