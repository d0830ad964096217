import { Args, Flags } from '@oclif/core';
import type { PlanJson } from '@elder-sync/core';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { SyncReport } from '@elder-sync/core';
import type { CoreModule } from '../base-command.js';
import { ExitCode } from '../exit-codes.js';
import { shardFlag, shardOption } from '../shard-flag.js';
import { hasChanges, oneLine, SyncCommand, summaryJson, type SummaryJson } from '../sync-command.js';

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
    { description: 'Save the plan, review it, apply exactly it:', command: '<%= config.bin %> <%= command.id %> --out plan.json && <%= config.bin %> apply plan.json' },
    { description: 'Post the plan on a merge request:', command: '<%= config.bin %> <%= command.id %> --format markdown > plan.md' },
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
      summary: 'text: Terraform-like plan; json: the plan document (formatVersion 1); markdown: for a pull-request comment.',
    })(),
    verbose: Flags.boolean({ char: 'v', summary: 'Show every attribute of creates and updates.' }),
    full: Flags.boolean({ summary: 'Ignore incremental cursors and read everything.' }),
    only: Flags.string({ summary: 'Only these record kinds (e.g. user).', multiple: true }),
    out: Flags.string({ summary: 'Also save the plan document to this file, for "elder-sync apply FILE".' }),
    shard: shardFlag,
    adopt: Flags.boolean({ summary: 'Plan adoptions of unowned Elder entities that match a record on a natural key.' }),
    'allow-mass-delete': Flags.boolean({
      summary: "Plan deletes above a scope's maxDeletePercent instead of withholding them (reviewed in the plan, carried by --out to apply).",
    }),
  };

  public async run(): Promise<DiffResult | undefined> {
    const { flags } = this;
    const { config, connectors, sources } = await this.prepare(this.positional, false, flags.only);
    const core = await this.core();
    const report = await core.runSync({
      config,
      connectors,
      sources,
      mode: 'plan',
      full: flags.full,
      only: flags.only,
      adopt: flags.adopt,
      allowMassDelete: flags['allow-mass-delete'],
      log: await this.logger(),
      ...shardOption(core, flags.shard),
    });
    try {
      const failed = report.scopes.some((s) => s.status === 'failed');
      if (failed) process.exitCode = ExitCode.failure;
      else if (flags['detailed-exitcode']) process.exitCode = hasChanges(report.totals) ? ExitCode.changes : ExitCode.ok;

      let saved: { file: string; digest: string } | null = null;
      if (flags.out !== undefined) {
        const out = flags.out;
        // The one thing diff writes to the state: the key that signs saved plans, made on first use.
        const key = core.planKeyOf(config, { create: true, ...shardOption(core, flags.shard) });
        saved = { file: out, digest: core.shortDigest(await savePlan(core, report, out, key)) };
        // Saved, but `apply` could not carry it out as it stands: say so now, not at apply time.
        this.printFailures(report, (s) => {
          const fix = s.guard === undefined ? 'fix the cause and make a new plan' : 'review the deletes, then save the plan with --allow-mass-delete';
          return `${oneLine(s.error)} (${out} cannot be applied as saved: ${fix})`;
        });
      } else {
        this.printFailures(report);
      }
      if (this.jsonEnabled()) return { plan: core.planToJson(report), summary: summaryJson(report) };
      if (flags.format === 'markdown') {
        for (const line of core.formatPlanMarkdown(report, { verbose: flags.verbose })) this.out(line);
        if (saved) this.out(`\nSaved as \`${saved.file}\`, plan digest **\`${saved.digest}\`**: \`elder-sync apply\` prints the digest it verified before writing anything.`);
        return undefined;
      }
      if (flags.format === 'json') {
        if (!flags.quiet) process.stdout.write(this.redact(JSON.stringify(core.planToJson(report), null, 2)) + '\n');
        return undefined;
      }
      await this.printPlan(report, flags.verbose);
      if (failed) await this.printSummary(report);
      if (saved) this.out(`Saved the plan to ${saved.file}, digest ${saved.digest}; "elder-sync apply ${saved.file}" verifies it and shows the same digest before writing anything.`);
      return undefined;
    } finally {
      report.close();
    }
  }
}

/**
 * Streams the plan document to `file` (a plan of any size is never held whole), mode 0600, signed
 * with the state's plan key; returns the signature's digest.
 */
async function savePlan(core: CoreModule, report: SyncReport, file: string, key: Buffer | null): Promise<string> {
  if (key === null) throw new core.ConfigError([{ path: 'state.path', message: 'saving a plan needs a state file to hold its signing key (state.path is :memory:)' }]);
  const out = createWriteStream(file, { mode: 0o600 });
  const { digest } = await core.writePlanJson(
    report,
    async (chunk) => {
      if (!out.write(chunk)) await once(out, 'drain');
    },
    { key, redact: (chunk) => core.redact(chunk) },
  );
  out.end();
  await once(out, 'finish');
  return digest ?? '';
}
