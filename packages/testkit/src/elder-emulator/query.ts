/** Query-string handling as Werkzeug and PostgreSQL do it for Elder's list endpoints. */
import { DatabaseError } from './http.js';

const PY_INT = /^\s*[+-]?\d+\s*$/;

/**
 * `request.args.get(key, default, type=int)`: the first value, converted with Python's `int()`; a value
 * that does not convert yields the default (Werkzeug swallows the ValueError), so `?page=abc` is page 1.
 */
export function intArg(query: URLSearchParams, key: string, fallback: number | null): number | null {
  const raw = query.get(key);
  if (raw === null || !PY_INT.test(raw)) return fallback;
  return Number.parseInt(raw.trim(), 10);
}

/** `if request.args.get(key):` — present and non-empty. */
export function hasArg(query: URLSearchParams, key: string): boolean {
  const raw = query.get(key);
  return raw !== null && raw !== '';
}

export interface Pagination {
  page: number;
  perPage: number;
  offset: number;
}

/** `PaginationParams.from_request()`: defaults 1/50, `min(per_page, 1000)`, no lower bound (§0.1 item 5). */
export function paginationFrom(query: URLSearchParams): Pagination {
  const page = intArg(query, 'page', 1) ?? 1;
  const perPage = Math.min(intArg(query, 'per_page', 50) ?? 50, 1000);
  return { page, perPage, offset: (page - 1) * perPage };
}

/**
 * The page window plus `pages`. What PostgreSQL and Python do with odd values is reproduced: a negative
 * LIMIT or OFFSET (page ≤ 0, per_page < 0) is a database error, and per_page=0 with rows divides by zero;
 * none of these is caught by Elder, so they become plain-text 500s (static).
 */
export function pageWindow(total: number, pagination: Pagination): { start: number; end: number; pages: number } {
  if (pagination.perPage < 0) throw new DatabaseError('LIMIT must not be negative');
  if (pagination.offset < 0) throw new DatabaseError('OFFSET must not be negative');
  if (total === 0) return { start: 0, end: 0, pages: 0 };
  if (pagination.perPage === 0) throw new DatabaseError('integer division or modulo by zero');
  const start = Math.min(pagination.offset, total);
  const end = Math.min(pagination.offset + pagination.perPage, total);
  return { start, end, pages: Math.floor((total + pagination.perPage - 1) / pagination.perPage) };
}

export function envelope(items: unknown[], total: number, pagination: Pagination, pages: number): Record<string, unknown> {
  return { items, page: pagination.page, pages, per_page: pagination.perPage, total };
}

/**
 * `column.ilike(f"%{term}%")` on PostgreSQL: case-insensitive; `%` and `_` inside the term are wildcards
 * and backslash escapes the next character (§3.3 "Hierarchy and uniqueness").
 */
export function ilikeMatcher(term: string): (value: string | null) => boolean {
  let source = '';
  const chars = [...`%${term}%`];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] as string;
    if (ch === '\\' && i + 1 < chars.length) {
      source += escapeRegExp(chars[++i] as string);
    } else if (ch === '%') source += '[\\s\\S]*';
    else if (ch === '_') source += '[\\s\\S]';
    else source += escapeRegExp(ch);
  }
  const pattern = new RegExp(`^${source}$`, 'iu');
  return (value) => value !== null && pattern.test(value);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
