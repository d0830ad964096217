import { plainPaint, type Paint } from './format-plan.js';
import type { ScopeCounts, ScopeReport, SyncReport } from './types.js';

export interface FormatSummaryOptions {
  color?: boolean;
  paint?: Partial<Paint>;
}

const COLUMNS = [
  'source',
  'scope',
  'status',
  'read',
  'created',
  'updated',
  'deleted',
  'unchanged',
  'withheld',
  'errors',
  'duration',
] as const;

/** Columns holding numbers are right-aligned, like every table of numbers people read. */
const NUMERIC = new Set<string>(['read', 'created', 'updated', 'deleted', 'unchanged', 'withheld', 'errors', 'duration']);

/**
 * The per-scope summary table that ends every run (DESIGN §7), then the error of each failed
 * scope on its own line. Rows keep the report's order (the runner sorts scopes).
 */
export function formatSummary(report: SyncReport, options: FormatSummaryOptions = {}): string {
  const paint: Paint = options.color === false || options.paint === undefined ? plainPaint : { ...plainPaint, ...options.paint };
  // The root organization is created first, so it is listed first.
  const outside = countsOutsideScopes(report);
  const rootRows = outside ? [row({ source: '', label: 'root organization', scope: '', status: 'ok', counts: outside, durationMs: 0 })] : [];
  const rows: string[][] = [...rootRows, ...report.scopes.map((s) => row(s))];
  const t = report.totals;
  if (rows.length > 1) {
    const failed = report.scopes.filter((s) => s.status === 'failed').length;
    rows.push([
      'total',
      `${report.scopes.length} ${report.scopes.length === 1 ? 'scope' : 'scopes'}`,
      failed === 0 ? 'ok' : `${failed} failed`,
      String(t.read),
      String(t.create),
      String(t.update),
      String(t.delete),
      String(t.unchanged),
      String(t.withheld),
      String(t.errors),
      formatDuration(report.durationMs),
    ]);
  }

  const header: string[] = [...COLUMNS];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (NUMERIC.has(header[i] ?? '') ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();

  const out: string[] = [paint.heading(line(header))];
  for (const [i, cells] of rows.entries()) {
    const scope = report.scopes[i - rootRows.length];
    const text = line(cells);
    out.push(scope?.status === 'failed' ? paint.warn(text) : text);
  }
  const failures = report.scopes.filter((s) => s.status === 'failed');
  if (failures.length > 0) {
    out.push('');
    for (const s of failures) {
      // One line per failure: a multi-line error (several config issues) is joined, not wrapped.
      const error = (s.error ?? 'unknown error').split('\n').filter((l) => l.trim() !== '').join('; ');
      out.push(paint.warn(`${s.source} · ${s.label || s.scope} failed: ${error}`));
    }
  }
  if (report.scopes.length === 0) out.push('(no scopes ran)');
  return out.join('\n');
}

/**
 * What the totals hold beyond the scopes' own counts: the organizations of a missing root, created
 * before any scope. Null when there is none, so the rows always add up to the totals.
 */
export function countsOutsideScopes(report: Pick<SyncReport, 'scopes' | 'totals'>): ScopeCounts | null {
  const rest = { ...report.totals };
  for (const s of report.scopes) for (const k of Object.keys(rest) as Array<keyof ScopeCounts>) rest[k] -= s.counts[k];
  const values = Object.values(rest);
  return values.every((n) => n >= 0) && values.some((n) => n > 0) ? rest : null;
}

function row(s: Pick<ScopeReport, 'source' | 'label' | 'scope' | 'status' | 'counts' | 'durationMs'>): string[] {
  return [
    s.source,
    s.label || s.scope,
    s.status,
    String(s.counts.read),
    String(s.counts.create),
    String(s.counts.update),
    String(s.counts.delete),
    String(s.counts.unchanged),
    String(s.counts.withheld),
    String(s.counts.errors),
    formatDuration(s.durationMs),
  ];
}

/** `850ms`, `12.3s`, `4m05s`: short and monotone in width for the usual range. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const total = Math.round(ms / 1000);
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  return `${minutes}m${String(seconds).padStart(2, '0')}s`;
}
