import type { ElderRequestEvent, ProgressEvent, ScopeReport } from '@elder-sync/core';

/** Redraws at most this often: a 100k-record read must not cost 100k terminal writes. */
const REDRAW_MS = 100;

interface Row {
  source: string;
  scope: string;
  label: string;
  startedAt: number;
  read: number;
  planned: { create: number; update: number; delete: number } | null;
  done: { create: number; update: number; delete: number; errors: number };
  finished: { status: 'ok' | 'failed'; durationMs: number; error: string | null } | null;
}

export interface ProgressViewOptions {
  write: (text: string) => void;
  redact: (text: string) => string;
  /** Columns of the terminal: rows are cut to fit, or the redraw would wrap and drift. */
  columns?: number;
  now?: () => number;
}

/**
 * Live per-scope rows on a terminal (DESIGN §7): read, to create/update/delete, done, errors, and
 * elapsed, redrawn in place (cursor up, clear line) a few times a second; Elder's request and
 * throttling counts in a last line. The summary table follows when the run ends.
 */
export class ProgressView {
  private readonly rows = new Map<string, Row>();
  private readonly elder = { requests: 0, throttled: 0 };
  private drawn = 0;
  private dirty = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly now: () => number;

  constructor(private readonly options: ProgressViewOptions) {
    this.now = options.now ?? Date.now;
  }

  readonly onProgress = (event: ProgressEvent): void => {
    const row = this.row(event.source, event.scope, event.type === 'scope-start' ? event.label : undefined);
    if (event.type === 'read') row.read = event.read;
    else if (event.type === 'planned') row.planned = { create: event.counts.create, update: event.counts.update, delete: event.counts.delete };
    else if (event.type === 'applied') row.done = { create: event.create, update: event.update, delete: event.delete, errors: event.errors };
    // A phase change (reading → writing) is drawn at once: a phase shorter than one redraw
    // interval would otherwise never be seen. There are only two per scope.
    this.changed(event.type === 'scope-start' || event.type === 'planned');
  };

  readonly onScopeDone = (report: ScopeReport): void => {
    const row = this.row(report.source, report.scope, report.label);
    row.finished = { status: report.status, durationMs: report.durationMs, error: report.error };
    row.read = report.counts.read;
    row.done = { create: report.counts.create, update: report.counts.update, delete: report.counts.delete, errors: report.counts.errors };
    this.changed();
  };

  readonly onRequest = (event: ElderRequestEvent): void => {
    this.elder.requests++;
    if (event.throttled) this.elder.throttled++;
    this.changed();
  };

  /**
   * A log line printed above the rows: the rows are cleared, the line written, the rows redrawn
   * below it (else the next redraw would move the cursor over the log line and overwrite it).
   */
  readonly printAbove = (line: string): void => {
    const clear = this.drawn > 0 ? `\x1b[${this.drawn}A\r\x1b[J` : '';
    this.drawn = 0;
    this.options.write(clear + this.options.redact(line) + '\n');
    if (this.rows.size > 0) this.draw();
  };

  /** Draws the final state once more and stops redrawing. */
  finish(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.rows.size > 0) this.draw();
  }

  /** The current rows as text lines (also for tests). */
  lines(): string[] {
    const rows = [...this.rows.values()].sort((a, b) => a.source.localeCompare(b.source) || a.scope.localeCompare(b.scope));
    const name = (r: Row) => `${r.source} · ${r.label || r.scope}`;
    const width = Math.max(...rows.map((r) => name(r).length), 6);
    const lines = rows.map((r) => {
      const plan = r.planned ? `+${r.planned.create} ~${r.planned.update} -${r.planned.delete}` : '…';
      const done = `+${r.done.create} ~${r.done.update} -${r.done.delete}`;
      const elapsed = ((r.finished ? r.finished.durationMs : this.now() - r.startedAt) / 1000).toFixed(1);
      const state = r.finished ? (r.finished.status === 'ok' ? 'ok' : `failed: ${(r.finished.error ?? '').split('\n')[0]}`) : r.planned ? 'writing' : 'reading';
      return `${name(r).padEnd(width)}  read ${String(r.read).padStart(6)}  plan ${plan.padEnd(14)}  done ${done.padEnd(14)}  errors ${r.done.errors}  ${elapsed.padStart(6)}s  ${state}`;
    });
    lines.push(`Elder: ${this.elder.requests} requests, ${this.elder.throttled} throttled`);
    const columns = this.options.columns;
    return columns ? lines.map((l) => (l.length >= columns ? l.slice(0, Math.max(columns - 2, 1)) + '…' : l)) : lines;
  }

  private row(source: string, scope: string, label?: string): Row {
    const key = `${source}\u0000${scope}`;
    let row = this.rows.get(key);
    if (!row) {
      row = { source, scope, label: label ?? scope, startedAt: this.now(), read: 0, planned: null, done: { create: 0, update: 0, delete: 0, errors: 0 }, finished: null };
      this.rows.set(key, row);
    } else if (label !== undefined) {
      row.label = label;
    }
    return row;
  }

  private changed(now = false): void {
    this.dirty = true;
    if (this.timer) {
      if (now) this.draw();
      return;
    }
    this.draw();
    this.timer = setInterval(() => {
      if (this.dirty) this.draw();
    }, REDRAW_MS);
    this.timer.unref();
  }

  private draw(): void {
    this.dirty = false;
    const lines = this.lines();
    // Back to the first row drawn last time, then rewrite each row, clearing what was there.
    let out = this.drawn > 0 ? `\x1b[${this.drawn}A` : '';
    for (const line of lines) out += `\r\x1b[2K${line}\n`;
    this.drawn = lines.length;
    this.options.write(this.options.redact(out));
  }
}
