import { canonicalJson, type JsonValue } from '../json.js';
import { SENSITIVE } from '../secrets.js';
import type { ChangeAction, PlanChange, PlanTally, Projection, ScopeCounts, SyncReport } from './types.js';

/**
 * Colour hooks for plan and summary output. Core stays colour-free: the CLI passes chalk's
 * functions, tests and `--no-color` pass nothing and get plain text.
 */
export interface Paint {
  create(text: string): string;
  update(text: string): string;
  delete(text: string): string;
  /** Withheld deletes and failed scopes. */
  warn(text: string): string;
  /** Source/scope headers and the Plan line. */
  heading(text: string): string;
  /** Unchanged attributes in `--verbose`, secondary detail. */
  dim(text: string): string;
}

const identity = (text: string): string => text;

export const plainPaint: Paint = {
  create: identity,
  update: identity,
  delete: identity,
  warn: identity,
  heading: identity,
  dim: identity,
};

export interface FormatPlanOptions {
  /** Show every change, with every attribute of creates and updates, not only the changed ones. */
  verbose?: boolean;
  /** Use `paint`; false (or no paint) gives plain text. */
  color?: boolean;
  paint?: Partial<Paint>;
  /**
   * The run's totals (`SyncReport.totals`): the Plan line's unchanged count comes from here. The
   * change counts always come from the changes listed, so the footer agrees with the body (a run
   * stopped half-way has applied fewer than it planned; the summary table says how many).
   */
  totals?: ScopeCounts;
  /** Scopes that failed before they had a plan: then "No changes" would be a claim nobody checked. */
  failedScopes?: number;
  /**
   * Lines of changes printed before the rest is only counted (default PLAN_LINES; unlimited with
   * `verbose`). Past it, the plan ends with its changes counted per kind and organization.
   */
  maxLines?: number;
  /**
   * Every change of the plan counted (`SyncReport.tally()`): then `changes` may be only the plan's
   * first ones (`SyncReport.changes(maxLines + 1)`), and are read only up to the last listed line.
   */
  tally?: readonly PlanTally[];
}

/** Lists longer than this print their first items and a count of the rest. */
const MAX_LIST_ITEMS = 5;
/** Strings longer than this (certificates, photos) are cut, with their length. */
const MAX_STRING_CHARS = 120;
/** Change lines a default plan prints; a plan of thousands prints these, then counts (about 100 lines in all). */
export const PLAN_LINES = 50;
/** Rows of the per-kind-and-organization table of a long plan; the rest are summed in one line. */
const GROUP_ROWS = 20;

type Tally = { create: number; update: number; delete: number; withheld: number };
const emptyTally = (): Tally => ({ create: 0, update: 0, delete: 0, withheld: 0 });

/**
 * The plan, Terraform-style, one line at a time (DESIGN §5.3). Lazy: it holds one change, the
 * current group header and, for a long plan, counts per kind and organization, so a plan of a
 * million objects prints in constant memory per organization. Identical input gives identical
 * bytes: no clocks, no map iteration over unsorted keys.
 */
export function* formatPlan(changes: Iterable<PlanChange>, options: FormatPlanOptions = {}): Generator<string> {
  const paint: Paint = options.color === false || options.paint === undefined ? plainPaint : { ...plainPaint, ...options.paint };
  const verbose = options.verbose === true;
  const maxLines = options.maxLines ?? (verbose ? Infinity : PLAN_LINES);
  const seen = emptyTally();
  const listed = emptyTally();
  const groups = new Map<string, Tally>();
  const count = (change: Pick<PlanTally, 'action' | 'target' | 'kind' | 'organization'>, n: number) => {
    const bucket = bucketOf(change.action);
    seen[bucket] += n;
    const groupKey = `${change.target === 'organization' ? 'organization' : change.kind}\u0000${change.organization}`;
    const tally = groups.get(groupKey) ?? emptyTally();
    tally[bucket] += n;
    groups.set(groupKey, tally);
  };
  for (const row of options.tally ?? []) count(row, row.count);
  let group: string | null = null;
  let printed = 0;
  let cut = false;

  for (const change of changes) {
    if (!options.tally) count({ ...change, organization: organizationOf(change) }, 1);
    if (cut) {
      if (options.tally) break;
      continue;
    }
    const lines = [...formatChange(change, paint, verbose)];
    const header = `# ${change.source} · ${change.scopeLabel || change.scope}`;
    const headerLines = header !== group ? (group !== null ? 2 : 1) : 0;
    if (printed + headerLines + lines.length > maxLines && printed > 0) {
      cut = true;
      if (options.tally) break;
      continue;
    }
    if (header !== group) {
      if (group !== null) yield '';
      yield paint.heading(header);
      group = header;
    }
    printed += headerLines + lines.length;
    listed[bucketOf(change.action)]++;
    yield* lines;
  }

  const hidden: Tally = { create: seen.create - listed.create, update: seen.update - listed.update, delete: seen.delete - listed.delete, withheld: seen.withheld - listed.withheld };
  const counts = { ...seen, unchanged: options.totals?.unchanged ?? 0 };
  if (group === null) {
    const failed = options.failedScopes ?? 0;
    yield failed > 0
      ? `No changes in the scopes that were read; ${failed} ${plural(failed, 'scope', 'scopes')} failed before planning (see the errors).`
      : `No changes. ${counts.unchanged} unchanged.`;
  } else {
    yield '';
  }
  if (hidden.create + hidden.update + hidden.delete + hidden.withheld > 0) yield* formatGroups(groups, hidden, paint);
  if (counts.withheld > 0) {
    yield paint.warn(`${counts.withheld} stale ${plural(counts.withheld, 'object', 'objects')} kept: delete withheld (see "!" lines).`);
  }
  yield paint.heading(
    `Plan: ${counts.create} to create, ${counts.update} to update, ${counts.delete} to delete, ${counts.unchanged} unchanged.`,
  );
}

/** The tail of a long plan: what was not listed, and every change counted per kind and organization. */
function* formatGroups(groups: Map<string, Tally>, hidden: Tally, paint: Paint): Generator<string> {
  const n = hidden.create + hidden.update + hidden.delete + hidden.withheld;
  yield paint.dim(
    `… and ${n} more ${plural(n, 'change', 'changes')} not listed (${describeTally(hidden)}): --verbose lists every change, --out plan.json saves the whole plan.`,
  );
  yield '';
  const sum = (t: Tally) => t.create + t.update + t.delete + t.withheld;
  const rows = [...groups.entries()]
    .map(([key, tally]) => {
      const [kind, organization] = key.split('\u0000') as [string, string];
      return { kind, organization, tally };
    })
    .sort((a, b) => sum(b.tally) - sum(a.tally) || a.kind.localeCompare(b.kind) || a.organization.localeCompare(b.organization));
  const shown = rows.slice(0, GROUP_ROWS);
  const cells = shown.map((r) => [r.kind, r.organization || '(root)', ...countCells(r.tally)]);
  const rest = rows.slice(GROUP_ROWS);
  if (rest.length > 0) {
    const t = emptyTally();
    for (const r of rest) for (const k of Object.keys(t) as Array<keyof Tally>) t[k] += r.tally[k];
    cells.push([`… ${rest.length} more`, '', ...countCells(t)]);
  }
  const header = ['kind', 'organization', 'create', 'update', 'delete', 'withheld'];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((v, i) => (i < 2 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ').trimEnd();
  yield paint.heading('Changes by kind and organization:');
  yield `  ${line(header)}`;
  for (const c of cells) yield `  ${line(c)}`;
  yield '';
}

function countCells(t: Tally): string[] {
  return [String(t.create), String(t.update), String(t.delete), String(t.withheld)];
}

function describeTally(t: Tally): string {
  const parts = [`${t.create} to create`, `${t.update} to update`, `${t.delete} to delete`];
  if (t.withheld > 0) parts.push(`${t.withheld} withheld`);
  return parts.join(', ');
}

function bucketOf(action: ChangeAction): keyof Tally {
  switch (action) {
    case 'create':
      return 'create';
    case 'update':
    case 'mark':
    case 'adopt':
      return 'update';
    case 'delete':
      return 'delete';
    case 'withheld':
      return 'withheld';
  }
}

/** The organization a change happens in (an organization's own parent path). */
function organizationOf(change: PlanChange & { organization?: string }): string {
  // A stored change carries it, so counting parses nothing.
  return change.organization ?? (change.after ?? change.before)?.organization ?? '';
}

function* formatChange(change: PlanChange, paint: Paint, verbose: boolean): Generator<string> {
  const colour = colourFor(change.action, paint);
  const label = `${change.target === 'organization' ? 'organization' : change.kind} ${JSON.stringify(displayName(change))}`;
  const id = change.elderId !== null && change.action !== 'create' ? ` (#${change.elderId})` : '';
  const sensitive = new Set(change.sensitive ?? []);

  switch (change.action) {
    case 'create': {
      yield colour(`  + ${label}${suffix(change.reason)}`);
      if (verbose && change.after) {
        for (const [field, value] of fields(change.after)) {
          yield colour(`      + ${field}: ${render(field, value, sensitive)}`);
        }
      }
      return;
    }
    case 'update':
    case 'mark':
    case 'adopt': {
      const what = change.action === 'mark' ? ' marked stale' : change.action === 'adopt' ? ' adopted' : '';
      yield colour(`  ~ ${label}${id}${what}${suffix(change.reason)}`);
      yield* formatUpdate(change.before, change.after, sensitive, paint, verbose);
      return;
    }
    case 'delete':
      yield colour(`  - ${label}${id}${suffix(change.reason)}`);
      return;
    case 'withheld':
      yield colour(`  ! ${label}${id} delete withheld: ${change.reason ?? 'no reason given'}`);
      return;
  }
}

function* formatUpdate(
  before: Projection | null,
  after: Projection | null,
  sensitive: Set<string>,
  paint: Paint,
  verbose: boolean,
): Generator<string> {
  const old = new Map(before ? fields(before) : []);
  const now = new Map(after ? fields(after) : []);
  const names = [...new Set([...old.keys(), ...now.keys()])].sort(compareFields);
  for (const field of names) {
    const a = old.get(field);
    const b = now.get(field);
    if (a === undefined && b !== undefined) {
      yield paint.create(`      + ${field}: ${render(field, b, sensitive)}`);
    } else if (b === undefined && a !== undefined) {
      yield paint.delete(`      - ${field}: ${render(field, a, sensitive)}`);
    } else if (a !== undefined && b !== undefined && canonicalJson(a) !== canonicalJson(b)) {
      yield paint.update(`      ~ ${field}: ${renderChange(field, a, b, sensitive)}`);
    } else if (verbose && b !== undefined) {
      yield paint.dim(`        ${field}: ${render(field, b, sensitive)}`);
    }
  }
}

/** The projection flattened to `field -> value`, attributes as `attributes.<name>`; absent/null fields omitted. */
function fields(p: Projection): Array<[string, JsonValue]> {
  const out: Array<[string, JsonValue]> = [
    ['name', p.name],
    ['type', p.type],
  ];
  if (p.subType !== null) out.push(['sub_type', p.subType]);
  out.push(['organization', p.organization]);
  for (const key of Object.keys(p.attributes).sort()) {
    const value = p.attributes[key];
    if (value !== undefined && value !== null) out.push([`attributes.${key}`, value]);
  }
  if (p.tags.length > 0) out.push(['tags', p.tags]);
  if (p.relations.length > 0) out.push(['relations', p.relations]);
  if (p.parent) out.push(['parent', p.parent]);
  if (p.staleSince !== null) out.push(['stale_since', p.staleSince]);
  return out;
}

// Fixed fields first in their natural order, then attributes alphabetically, then the rest.
const FIELD_ORDER = ['name', 'type', 'sub_type', 'organization'];
function compareFields(a: string, b: string): number {
  const rank = (f: string) => {
    const i = FIELD_ORDER.indexOf(f);
    if (i !== -1) return i;
    return f.startsWith('attributes.') ? FIELD_ORDER.length : FIELD_ORDER.length + 1;
  };
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

function isSensitive(field: string, sensitive: Set<string>): boolean {
  if (sensitive.size === 0) return false;
  return sensitive.has(field) || (field.startsWith('attributes.') && sensitive.has(field.slice('attributes.'.length)));
}

function render(field: string, value: JsonValue, sensitive: Set<string>): string {
  return isSensitive(field, sensitive) ? SENSITIVE : renderValue(value);
}

function renderChange(field: string, a: JsonValue, b: JsonValue, sensitive: Set<string>): string {
  if (isSensitive(field, sensitive)) return `${SENSITIVE} -> ${SENSITIVE}`;
  // Lists change by a few elements; printing both whole lists would hide which ones.
  if (Array.isArray(a) && Array.isArray(b)) {
    const was = new Set(a.map((v) => renderValue(v)));
    const is = new Set(b.map((v) => renderValue(v)));
    const added = [...is].filter((v) => !was.has(v));
    const removed = [...was].filter((v) => !is.has(v));
    if (added.length === 0 && removed.length === 0) return `${renderValue(a)} -> ${renderValue(b)} (reordered)`;
    const parts: string[] = [];
    if (added.length > 0) parts.push(`added ${collapse(added)}`);
    if (removed.length > 0) parts.push(`removed ${collapse(removed)}`);
    return `${parts.join(', ')} (${a.length} -> ${b.length} items)`;
  }
  return `${renderValue(a)} -> ${renderValue(b)}`;
}

/** Compact JSON, long strings cut, long lists collapsed with a count. */
export function renderValue(value: JsonValue): string {
  if (typeof value === 'string') {
    if (value.length <= MAX_STRING_CHARS) return JSON.stringify(value);
    return `${JSON.stringify(value.slice(0, MAX_STRING_CHARS))}… (${value.length} chars)`;
  }
  if (Array.isArray(value)) return collapse(value.map((v) => renderValue(v)));
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    const parts = keys.map((k) => `${JSON.stringify(k)}:${renderValue(value[k] as JsonValue)}`);
    if (parts.length > MAX_LIST_ITEMS) {
      return `{${parts.slice(0, MAX_LIST_ITEMS).join(',')},… ${parts.length - MAX_LIST_ITEMS} more}`;
    }
    return `{${parts.join(',')}}`;
  }
  return JSON.stringify(value);
}

function collapse(rendered: string[]): string {
  if (rendered.length <= MAX_LIST_ITEMS) return `[${rendered.join(',')}]`;
  return `[${rendered.slice(0, MAX_LIST_ITEMS).join(',')},… ${rendered.length - MAX_LIST_ITEMS} more]`;
}

/** Organizations print their full path (`Corp / People`): the leaf name alone is ambiguous. */
function displayName(change: PlanChange): string {
  if (change.target !== 'organization') return change.name;
  const p = change.after ?? change.before;
  if (!p || !p.organization) return change.name;
  const prefix = `${p.organization} / `;
  return change.name.startsWith(prefix) ? change.name : prefix + change.name;
}

function colourFor(action: ChangeAction, paint: Paint): (text: string) => string {
  switch (action) {
    case 'create':
      return paint.create;
    case 'update':
    case 'mark':
    case 'adopt':
      return paint.update;
    case 'delete':
      return paint.delete;
    case 'withheld':
      return paint.warn;
  }
}

function suffix(reason: string | null): string {
  return reason ? ` (${reason})` : '';
}

function plural(n: number, one: string, many: string): string {
  return n === 1 ? one : many;
}

export function maskSensitive(change: PlanChange): PlanChange {
  const names = change.sensitive ?? [];
  if (names.length === 0) return change;
  const mask = (p: Projection | null): Projection | null => {
    if (p === null) return null;
    const attributes = { ...p.attributes };
    for (const name of names) {
      const key = name.startsWith('attributes.') ? name.slice('attributes.'.length) : name;
      if (key in attributes) attributes[key] = SENSITIVE;
    }
    return { ...p, attributes };
  };
  return { ...change, before: mask(change.before), after: mask(change.after) };
}
