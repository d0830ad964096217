import { formatPlan } from './format-plan.js';
import { countsOutsideScopes } from './format-summary.js';
import type { ScopeCounts, SyncReport } from './types.js';

/**
 * The plan as Markdown for a pull-request or merge-request comment, the way teams post Terraform
 * plans: the summary first, then one collapsible section per source holding its plan as a `diff`
 * block (so `+`/`-` lines are coloured by the forge). Streams like `formatPlan`.
 */
export function* formatPlanMarkdown(report: SyncReport, options: { verbose?: boolean } = {}): Generator<string> {
  const t = report.totals;
  const failed = report.scopes.filter((s) => s.status === 'failed');
  yield `### elder-sync plan${failed.length ? ' ⚠️' : ''}`;
  yield '';
  yield `**Plan: ${t.create} to create, ${t.update} to update, ${t.delete} to delete, ${t.unchanged} unchanged.**` +
    (t.withheld ? ` ${t.withheld} deletes withheld.` : '');
  yield '';
  yield '| source | scope | status | create | update | delete | unchanged | withheld |';
  yield '|---|---|---|--:|--:|--:|--:|--:|';
  // The headline counts the root organizations too: so does the table, or its rows would not add up.
  const outside = countsOutsideScopes(report);
  if (outside) yield `|  | root organization | ok | ${outside.create} | ${outside.update} | ${outside.delete} | ${outside.unchanged} | ${outside.withheld} |`;
  for (const s of report.scopes) {
    const c = s.counts;
    yield `| ${cell(s.source)} | ${cell(s.label)} | ${s.status === 'ok' ? 'ok' : `**failed**: ${cell(s.error ?? '')}`} | ${c.create} | ${c.update} | ${c.delete} | ${c.unchanged} | ${c.withheld} |`;
  }

  const perSource = new Map<string, ScopeCounts>();
  for (const s of report.scopes) {
    const sum = perSource.get(s.source) ?? { read: 0, create: 0, update: 0, delete: 0, unchanged: 0, withheld: 0, errors: 0 };
    for (const k of Object.keys(sum) as Array<keyof ScopeCounts>) sum[k] += s.counts[k];
    perSource.set(s.source, sum);
  }
  let open: string | null = null;
  for (const line of formatPlan(report.changes(), { verbose: options.verbose ?? false, totals: t, maxLines: Infinity })) {
    const header = /^# (.+?) · /.exec(line);
    if (header) {
      const source = header[1]!;
      if (source !== open) {
        if (open !== null) yield* closeSection();
        const c = perSource.get(source);
        yield '';
        yield `<details><summary>${html(source)}${c ? ` — ${c.create} to create, ${c.update} to update, ${c.delete} to delete` : ''}</summary>`;
        yield '';
        yield '```diff';
        open = source;
      }
      yield line;
      continue;
    }
    if (open === null || line.startsWith('Plan: ') || line.startsWith('No changes.')) continue;
    // diff syntax colours by the first column: bring "+", "-", "~" and "!" lines out of their indent.
    yield line.replace(/^ {2}([+~!-]) /, '$1 ');
  }
  if (open !== null) yield* closeSection();
  else {
    yield '';
    yield 'No changes.';
  }
}

function* closeSection(): Generator<string> {
  yield '```';
  yield '';
  yield '</details>';
}

function cell(text: string): string {
  return html(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function html(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
