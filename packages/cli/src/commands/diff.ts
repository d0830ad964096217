import { Args, Flags } from '@oclif/core';
import type { PlanJson } from '@elder-sync/core';
import { ExitCode, UsageError } from '../exit-codes.js';
import { hasChanges, SyncCommand, summaryJson, type SummaryJson } from '../sync-command.js';

export interface DiffResult {
  plan: PlanJson;
  summary: SummaryJson;
}

export default class Diff extends SyncCommand<typeof Diff> {
  static override summary = 'Show the plan: what a run would change in Elder. Writes nothing.';
  static override description = `Reads the sources and compares them with Elder, exactly as "run" would, but writes nothing: not to Elder and not to the state file.

With --detailed-exitcode: 0 no changes, 2 changes present, 1 error. Without it: 0 success, 1 error. 64 bad usage or configuration.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    { description: 'In CI, fail the job when the directory drifted:', command: '<%= config.bin %> <%= command.id %> corp-ldap --detailed-exitcode' },
    { description: 'The plan as a JSON document:', command: '<%= config.bin %> <%= command.id %> --format json' },
  ];
  static override strict = false;
  static override args = {
    source: Args.string({ description: 'Source name or connector id (repeatable).' }),
  };
  static override flags = {
    'detailed-exitcode': Flags.boolean({ summary: 'Exit 2 when the plan has changes, 0 when it has none, 1 on error.' }),
    format: Flags.option({
      options: ['text', 'json', 'markdown'] as const,
      default: 'text' as const,
      summary: 'text: Terraform-like plan; json: the plan document (formatVersion 1). markdown is not available yet.',
    })(),
    verbose: Flags.boolean({ char: 'v', summary: 'Show every attribute of creates and updates.' }),
    full: Flags.boolean({ summary: 'Ignore incremental cursors and read everything.' }),
    only: Flags.string({ summary: 'Only these record kinds (e.g. user).', multiple: true }),
    // Saved plans (`--out`, `elder-sync apply plan.json`) come with the apply command; refuse clearly until then.
    out: Flags.string({ hidden: true }),
  };

  public async run(): Promise<DiffResult | undefined> {
    const { flags } = this;
    if (flags.out !== undefined) {
      throw new UsageError('--out is not available yet: saving a plan for "elder-sync apply" is a later feature');
    }
    if (flags.format === 'markdown') throw new UsageError('--format markdown is not available yet; use text or json');
    const { config, connectors, sources } = await this.prepare(this.positional);
    const core = await this.core();
    const report = await core.runSync({
      config,
      connectors,
      sources,
      mode: 'plan',
      full: flags.full,
      only: flags.only,
      log: await this.logger(),
    });
    try {
      const failed = report.scopes.some((s) => s.status === 'failed');
      if (failed) process.exitCode = ExitCode.failure;
      else if (flags['detailed-exitcode']) process.exitCode = hasChanges(report.totals) ? ExitCode.changes : ExitCode.ok;

      if (this.jsonEnabled()) return { plan: core.planToJson(report), summary: summaryJson(report) };
      if (flags.format === 'json') {
        if (!flags.quiet) process.stdout.write(this.redact(JSON.stringify(core.planToJson(report), null, 2)) + '\n');
        return undefined;
      }
      await this.printPlan(report, flags.verbose);
      if (failed) await this.printSummary(report);
      return undefined;
    } finally {
      report.close();
    }
  }
}
