import { readFileSync } from 'node:fs';
import { Args } from '@oclif/core';
import { ExitCode } from '../exit-codes.js';
import { SyncCommand, summaryJson, type SummaryJson } from '../sync-command.js';

export interface ApplyResult {
  summary: SummaryJson;
}

export default class Apply extends SyncCommand<typeof Apply> {
  static override summary = 'Apply exactly a saved plan (from "diff --out"), refusing if Elder changed underneath it.';
  static override description = `Before writing anything, the plan's signature is checked with the key in the state file: a plan edited in any way since "diff --out" saved it, unsigned, or signed with another state's key is refused, and the digest that was verified is printed so it can be matched with the reviewed one. Then every object the plan touches is checked against the Elder id and content hash the plan was computed against. If any moved (edited, deleted, or created by someone else since), nothing is applied and the objects are listed: make a new plan and review it.

The plan is applied with the configuration it was made with (same Elder URL, same source names). Its scope cursors are committed once their writes are confirmed. A plan made with "diff --shard i/N" names its shard: it is verified and applied with that shard's state file, so apply needs no --shard.

Exit codes: 0 applied; 1 refused (stale plan) or every scope failed; 3 some scopes failed; 64 not a plan document or bad configuration; 130 stopped by SIGINT/SIGTERM.`;
  static override examples = [
    { description: 'Review, then apply exactly what was reviewed:', command: '<%= config.bin %> diff --out plan.json && <%= config.bin %> <%= command.id %> plan.json' },
  ];
  static override args = {
    plan: Args.string({ description: 'Plan file written by "elder-sync diff --out".', required: true }),
  };

  public async run(): Promise<ApplyResult | undefined> {
    const core = await this.core();
    const file = this.args.plan;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new core.ConfigError([{ path: file, message: `cannot read the plan: ${core.errorMessage(error)} (write one with "elder-sync diff --out ${file}")` }]);
    }
    const { config, connectors } = await this.prepare([]);
    // Before anything is written: the bytes must be the ones diff signed with this state's key (the
    // state of the shard a `diff --shard` plan names).
    const verified = core.verifyPlanText(text, file, (shard) => core.planKeyOf(config, { create: false, ...(shard ? { shard } : {}) }));
    const plan = verified.document;
    this.out(`Plan ${file}: digest ${core.shortDigest(verified.digest)} verified (unmodified since "elder-sync diff" saved it).`);
    const stop = this.interruptible();
    const report = await core
      .applyPlan({ config, connectors, plan, log: await this.logger(), signal: stop.signal, onScopeDone: this.scopeProgress() })
      .finally(stop.dispose);
    try {
      await this.printSummary(report);
      process.exitCode = stop.interrupted() ? ExitCode.interrupted : this.runExitCode(report);
      return this.jsonEnabled() ? { summary: summaryJson(report) } : undefined;
    } finally {
      report.close();
    }
  }
}
