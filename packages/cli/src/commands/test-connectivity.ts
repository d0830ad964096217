import { Args } from '@oclif/core';
import type { ConnectivityReport } from '@elder-sync/core';
import { ExitCode } from '../exit-codes.js';
import { SyncCommand } from '../sync-command.js';
import { formatTable } from '../table.js';

export default class TestConnectivity extends SyncCommand<typeof TestConnectivity> {
  static override summary = 'Check that Elder and each source scope are reachable, authenticated and permitted.';
  static override description = `Logs in to Elder and checks it may list and create; asks every scope of the selected sources to check its own access, and lists the missing permissions. Writes nothing anywhere.

Exit codes: 0 every check passed; 1 some check failed; 64 bad usage or configuration.`;
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> corp-ldap --json'];
  static override strict = false;
  static override args = {
    source: Args.string({ description: 'Source name or connector id (repeatable).' }),
  };

  public async run(): Promise<ConnectivityReport> {
    const { config, connectors, sources } = await this.prepare(this.positional);
    const core = await this.core();
    const report = await core.testConnectivity({ config, connectors, sources, log: await this.logger() });
    const rows: string[][] = [];
    for (const check of report.elder) rows.push(row('elder', check));
    for (const scope of report.sources) {
      for (const check of scope.checks) rows.push(row(`${scope.source} · ${scope.label || scope.scope}`, check));
    }
    this.out(formatTable(['', 'target', 'check', 'detail', 'missing'], rows));
    this.out('');
    this.out(report.ok ? 'All checks passed.' : `${rows.filter((r) => r[0] === '✗').length} of ${rows.length} checks failed.`);
    process.exitCode = report.ok ? ExitCode.ok : ExitCode.failure;
    return report;
  }
}

function row(target: string, check: { name: string; ok: boolean; detail?: string; missing?: string[] }): string[] {
  // A table cell is one line: several issues in one detail are joined.
  const detail = (check.detail ?? '').split('\n').filter((l) => l.trim() !== '').join('; ');
  return [check.ok ? '✓' : '✗', target, check.name, detail, (check.missing ?? []).join(', ')];
}
