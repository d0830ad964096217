/**
 * Retry policy for Elder calls (DESIGN §5.7, elder-api.md §7.3). Pure functions, so the
 * classification and the timing can be unit-tested without a server.
 */

export interface RetryPolicy {
  /** Attempts for transient failures, the first included. */
  maxAttempts: number;
  /** Base of the exponential backoff: attempt n waits up to base·2^(n-1), with full jitter. */
  backoffBaseMs: number;
  /** Cap of one backoff delay. */
  backoffMaxMs: number;
  /** Cap of a server-requested `Retry-After` delay, so a hostile header cannot stall a run for hours. */
  retryAfterMaxMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  backoffBaseMs: 200,
  backoffMaxMs: 10_000,
  retryAfterMaxMs: 60_000,
};

export type StatusClass = 'success' | 'transient' | 'permanent';

/**
 * Classify a response by its status alone: Elder's 5xx bodies may be HTML or plain text (§7.1),
 * so the body never decides. 408/429/5xx are transient; every other non-2xx (400, 401, 403, 404,
 * 405, 409, 415, 422, 3xx, ...) is permanent. 401 is handled before this by the auth layer
 * (one refresh, then a fresh login).
 */
export function classifyStatus(status: number): StatusClass {
  if (status >= 200 && status < 300) return 'success';
  if (status === 408 || status === 429 || status >= 500) return 'transient';
  return 'permanent';
}

/** Errors raised before a single byte of the request could reach the server: safe to resend any request. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Network errors worth retrying; the request may or may not have reached Elder. */
const TRANSIENT_CODES = new Set([
  ...NOT_SENT_CODES,
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENETRESET',
  'UND_ERR_SOCKET',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'ELDER_REQUEST_TIMEOUT',
]);

export interface NetworkErrorClass {
  transient: boolean;
  /** False only when the request certainly never left this process (connection refused, DNS, connect timeout). */
  maybeSent: boolean;
  /** Short stable name for logs and messages (`ECONNRESET`, `timeout`, ...). */
  reason: string;
}

/** The `code` of an error or of any error in its `cause` chain. */
export function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    current = (current as { cause?: unknown }).cause;
  }
  return codes;
}

/** Classify an error thrown by the transport (no HTTP response). */
export function classifyNetworkError(error: unknown): NetworkErrorClass {
  const codes = errorCodes(error);
  const notSent = codes.find((c) => NOT_SENT_CODES.has(c));
  if (notSent !== undefined) return { transient: true, maybeSent: false, reason: notSent };
  const known = codes.find((c) => TRANSIENT_CODES.has(c));
  if (known !== undefined) {
    const reason = known === 'ELDER_REQUEST_TIMEOUT' || known.includes('TIMEOUT') ? 'timeout' : known;
    return { transient: true, maybeSent: true, reason };
  }
  const message = error instanceof Error ? error.message : String(error);
  if (/socket hang up|other side closed|ECONNRESET|terminated/i.test(message)) {
    return { transient: true, maybeSent: true, reason: 'ECONNRESET' };
  }
  return { transient: false, maybeSent: true, reason: codes[0] ?? 'error' };
}

/**
 * `Retry-After` as milliseconds from `now`: delta-seconds or an HTTP date (RFC 9110 §10.2.3).
 * Undefined when absent or unparsable; a date in the past gives 0.
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return undefined;
  const text = raw.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  // Only an HTTP date is accepted, not any string Date.parse happens to like ("1e3", "-5", ...).
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** Full-jitter exponential backoff (AWS architecture blog): uniform in [0, min(max, base·2^(attempt-1))]. */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const exp = Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * exp);
}

/** Delay before the next attempt: the server's `Retry-After` when given (capped), else the jittered backoff. */
export function retryDelay(
  attempt: number,
  policy: RetryPolicy,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.retryAfterMaxMs);
  return backoffDelay(attempt, policy, random);
}

/**
 * What to do after one failed attempt. `idempotent` is false only for creates that Elder cannot
 * de-duplicate (POST /entities, POST /organizations): those are resent only when the failure proves
 * nothing was applied (429, or the request never left).
 */
export type RetryDecision = 'retry' | 'fail' | 'uncertain';

export function decideAfterStatus(status: number, attempt: number, policy: RetryPolicy, idempotent: boolean): RetryDecision {
  if (classifyStatus(status) !== 'transient') return 'fail';
  // A 429 is refused before the handler runs; a 408 means the server never read the whole request.
  const applied = !(status === 429 || status === 408);
  if (!idempotent && applied) return 'uncertain';
  return attempt < policy.maxAttempts ? 'retry' : 'fail';
}

export function decideAfterError(
  error: NetworkErrorClass,
  attempt: number,
  policy: RetryPolicy,
  idempotent: boolean,
): RetryDecision {
  if (!error.transient) return 'fail';
  if (!idempotent && error.maybeSent) return 'uncertain';
  return attempt < policy.maxAttempts ? 'retry' : 'fail';
}
