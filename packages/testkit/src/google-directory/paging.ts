import { invalidParameter, invalidRange, type GoogleErrorResponse } from './errors.js';

/**
 * Page tokens are opaque to clients and bound to the query they were issued for, as Google's are:
 * a token replayed with different filters is refused rather than silently paging something else.
 */
export function encodePageToken(queryKey: string, offset: number): string {
  return Buffer.from(JSON.stringify({ q: queryKey, o: offset })).toString('base64url');
}

export function decodePageToken(token: string | undefined, queryKey: string): number | GoogleErrorResponse {
  if (token === undefined || token === '') return 0;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { q?: unknown; o?: unknown };
    if (parsed.q === queryKey && typeof parsed.o === 'number' && Number.isInteger(parsed.o) && parsed.o >= 0) return parsed.o;
  } catch {
    // fall through
  }
  return invalidParameter('Invalid Input: pageToken');
}

/** `maxResults` within `[1, max]`, else the 400 Google answers; absent means `defaultSize`. */
export function pageSizeOf(raw: string | undefined, max: number, defaultSize: number): number | GoogleErrorResponse {
  if (raw === undefined || raw === '') return defaultSize;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > max) return invalidRange(raw, max);
  return n;
}

export function isErrorResponse(value: unknown): value is GoogleErrorResponse {
  return typeof value === 'object' && value !== null && 'body' in value && 'status' in value;
}
