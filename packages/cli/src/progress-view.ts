import type { ElderRequestEvent, ProgressEvent, ScopeReport } from '@elder-sync/core';

/** Redraws at most this often: a 100k-record read must not cost 100k terminal writes. */
const REDRAW_MS = 100;

interface Row {
  source: string;
  scope: string;
  label: string;
  startedAt: number;
  read: number;
  /** Records the read is expected to yield (what the scope owns in Elder); 0 when unknown. */
  expected: number;
  planned: { create: number; update: number; delete: number } | null;
  /** When the plan completed: writes are timed from here for the estimate. */
  plannedAt: number | null;
  /** Writes done when the plan was complete (`run` starts some while reading): the rate counts the rest. */
  doneAtPlanned: number;
  done: { create: number; update: number; delete: number; errors: number };
  finished: { status: 'ok' | 'failed'; durationMs: number; error: string | null } | null;
}

/** A source's index of what it owns in Elder (step 1), built before its scopes are read. */
interface IndexRow {
  source: string;
  startedAt: number;
  indexed: number;
  state: 'indexing' | 'indexed' | 'failed';
  /** When it completed or failed: its elapsed time stops there. */
  endedAt: number | null;
}

export interface ProgressViewOptions {
  write: (text: string) => void;
  redact: (text: string) => string;
  /** Columns of the terminal: rows are cut to fit, or the redraw would wrap and drift. */
  columns?: number;
  /**
   * Lines of the terminal: at most this many less one are drawn. A redraw moves the cursor up over
   * what it drew, and cannot move it above the top of the screen.
   */
  rows?: number;
  now?: () => number;
}

/**
 * Live per-scope rows on a terminal (DESIGN §7): read, to create/update/delete, done, errors, and
 * elapsed, redrawn in place (cursor up, clear line) a few times a second; Elder's request and
 * throttling counts in a last line. The summary table follows when the run ends.
 */
export class ProgressView {
  private readonly rows = new Map<string, Row>();
  private readonly indexes = new Map<string, IndexRow>();
  /** Indexes, then scope rows, each in name order; a new row is inserted in its place. */
  private readonly ordered: Array<IndexRow | Row> = [];
  private readonly elder = { requests: 0, throttled: 0 };
  private drawn = 0;
  private dirty = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly now: () => number;

  constructor(private readonly options: ProgressViewOptions) {
    this.now = options.now ?? Date.now;
  }

  readonly onProgress = (event: ProgressEvent): void => {
    if (event.type === 'index') {
      let index = this.indexes.get(event.source);
      if (!index) {
        this.indexes.set(event.source, (index = { source: event.source, startedAt: this.now(), indexed: 0, state: 'indexing', endedAt: null }));
        this.insert(index);
      }
      index.indexed = event.indexed;
      index.state = event.state;
      const ended = event.state !== 'indexing';
      if (ended) index.endedAt = this.now();
      this.changed(ended);
      return;
    }
    const row = this.row(event.source, event.scope, event.type === 'scope-start' ? event.label : undefined);
    if (event.type === 'scope-start') row.expected = event.expected ?? 0;
    else if (event.type === 'read') row.read = event.read;
    else if (event.type === 'planned') {
      row.planned = { create: event.counts.create, update: event.counts.update, delete: event.counts.delete };
      row.plannedAt = this.now();
      row.doneAtPlanned = row.done.create + row.done.update + row.done.delete + row.done.errors;
    }
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
    if (this.ordered.length > 0) this.draw();
  };

  /** Draws the final state once more and stops redrawing. */
  finish(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.ordered.length > 0) this.draw();
  }

  /**
   * The current rows as text lines (also for tests). When they do not all fit the terminal (an
   * Organization's accounts × regions), what is going on comes first, then what failed, then what
   * is done, and a last row counts what did not fit.
   */
  lines(): string[] {
    let shown = this.ordered;
    let more: string | null = null;
    // Less the Elder line, and the line the cursor rests on.
    const room = this.options.rows ? Math.max(this.options.rows - 2, 1) : Infinity;
    if (shown.length > room) {
      shown = [];
      const hidden = [0, 0, 0];
      for (const rank of [0, 1, 2]) {
        for (const r of this.ordered) {
          if (rankOf(r) !== rank) continue;
          if (shown.length < room - 1) shown.push(r);
          else hidden[rank]!++;
        }
      }
      const parts = ['going', 'failed', 'done'].map((what, rank) => (hidden[rank]! > 0 ? `${hidden[rank]} ${what}` : null)).filter(Boolean);
      more = `… ${hidden[0]! + hidden[1]! + hidden[2]!} more: ${parts.join(', ')}`;
    }
    const name = (r: IndexRow | Row) => ('scope' in r ? `${r.source} · ${r.label || r.scope}` : `${r.source} · Elder index`);
    const width = Math.max(...shown.map((r) => name(r).length), 6);
    const lines = shown.map((r) => {
      if (!('scope' in r)) {
        const elapsed = (((r.endedAt ?? this.now()) - r.startedAt) / 1000).toFixed(1);
        return `${name(r).padEnd(width)}  indexed ${String(r.indexed).padStart(6)} owned entities  ${elapsed.padStart(6)}s  ${r.state}`;
      }
      const plan = r.planned ? `+${r.planned.create} ~${r.planned.update} -${r.planned.delete}` : '…';
      const done = `+${r.done.create} ~${r.done.update} -${r.done.delete}`;
      const elapsed = ((r.finished ? r.finished.durationMs : this.now() - r.startedAt) / 1000).toFixed(1);
      const state = r.finished ? (r.finished.status === 'ok' ? 'ok' : `failed: ${(r.finished.error ?? '').split('\n')[0]}`) : r.planned ? 'writing' : 'reading';
      return `${name(r).padEnd(width)}  read ${String(r.read).padStart(6)}  plan ${plan.padEnd(14)}  done ${done.padEnd(14)}  errors ${r.done.errors}  ${this.howFar(r).padEnd(12)}  ${elapsed.padStart(6)}s  ${state}`;
    });
    if (more !== null) lines.push(more);
    lines.push(`Elder: ${this.elder.requests} requests, ${this.elder.throttled} throttled`);
    const columns = this.options.columns;
    return columns ? lines.map((l) => (l.length >= columns ? l.slice(0, Math.max(columns - 2, 1)) + '…' : l)) : lines;
  }

  /**
   * How far a scope is: while reading, the share of the records it is expected to yield (`~`: an
   * estimate from what it owns, never shown as done); while writing, the share of the planned
   * writes done and, once some are, the time the rest should take at the rate so far.
   */
  private howFar(r: Row): string {
    if (r.finished) return r.finished.status === 'ok' ? '100%' : '';
    if (!r.planned) return r.expected > 0 ? `~${Math.min(99, Math.floor((r.read / r.expected) * 100))}%` : '';
    const total = r.planned.create + r.planned.update + r.planned.delete;
    const done = Math.min(total, r.done.create + r.done.update + r.done.delete + r.done.errors);
    if (total === 0) return '100%';
    const percent = `${Math.floor((done / total) * 100)}%`;
    const sincePlanned = done - r.doneAtPlanned;
    if (sincePlanned <= 0 || r.plannedAt === null) return `${percent} eta …`;
    const remainingMs = ((this.now() - r.plannedAt) / sincePlanned) * (total - done);
    return `${percent} eta ${formatEta(remainingMs)}`;
  }

  private row(source: string, scope: string, label?: string): Row {
    const key = `${source}\u0000${scope}`;
    let row = this.rows.get(key);
    if (!row) {
      row = { source, scope, label: label ?? scope, startedAt: this.now(), read: 0, expected: 0, planned: null, plannedAt: null, doneAtPlanned: 0, done: { create: 0, update: 0, delete: 0, errors: 0 }, finished: null };
      this.rows.set(key, row);
      this.insert(row);
    } else if (label !== undefined) {
      row.label = label;
    }
    return row;
  }

  /**
   * Puts a new row in its place: re-sorting every row for each new one cost 6 s of the sync's
   * thread while an Organization's 5 100 scopes started.
   */
  private insert(entry: IndexRow | Row): void {
    let low = 0;
    let high = this.ordered.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (inOrder(this.ordered[middle]!, entry) <= 0) low = middle + 1;
      else high = middle;
    }
    this.ordered.splice(low, 0, entry);
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
    // Fewer lines than last time (a smaller terminal): clear what is left below.
    if (lines.length < this.drawn) out += '\x1b[J';
    this.drawn = lines.length;
    this.options.write(this.options.redact(out));
  }
}

/** Index rows first, then scope rows; by source, then scope (as the summary table orders them). */
function inOrder(a: IndexRow | Row, b: IndexRow | Row): number {
  const aScope = 'scope' in a ? a.scope : null;
  const bScope = 'scope' in b ? b.scope : null;
  if ((aScope === null) !== (bScope === null)) return aScope === null ? -1 : 1;
  return a.source.localeCompare(b.source) || (aScope ?? '').localeCompare(bScope ?? '');
}

/** 0: going (indexing, reading, writing), 1: failed, 2: done. */
function rankOf(r: IndexRow | Row): number {
  if ('scope' in r) return r.finished === null ? 0 : r.finished.status === 'failed' ? 1 : 2;
  return r.state === 'indexing' ? 0 : r.state === 'failed' ? 1 : 2;
}

/** `8s`, `2m05s`, `1h04m`: short, for an estimate. */
function formatEta(ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}
