import {
  ApiDisabledError,
  NotFoundError,
  parseRetryAfter,
  PermissionDeniedError,
  SourceAuthError,
  SourceError,
  ThrottledError,
  TransientSourceError,
} from '@elder-sync/connector-sdk';

/** What the caller knows about the request, so that the error can name it and the fix. */
export interface GoogleCallContext {
  /** The call, for the message: `compute.instances.aggregatedList in web-prod`. */
  what: string;
  /** Project id (not number) the call was for: named in the `gcloud services enable` fix. */
  project?: string;
  /** The API's service name (`compute.googleapis.com`), if Google's answer does not say. */
  service?: string;
  /** The IAM permission the call needs, if Google's answer does not name it. */
  permission?: string;
}

/** What a Google error says, whichever client raised it (gaxios 6 or 7, @google-cloud/storage's ApiError). */
export interface GoogleErrorFacts {
  status: number | undefined;
  /** `errors[].reason`, `ErrorInfo` reasons and the canonical `status` (`PERMISSION_DENIED`). */
  reasons: string[];
  message: string;
  /** From `ErrorInfo.metadata.service`, when the API is disabled. */
  service: string | undefined;
  /** From `ErrorInfo.metadata.permission` or the message. */
  permission: string | undefined;
  retryAfterMs: number | undefined;
  /** A network-level failure (no HTTP answer). */
  network: string | undefined;
}

/**
 * Reasons with which Google signals throttling, some with a 403
 * (https://cloud.google.com/storage/docs/json_api/v1/status-codes,
 * https://developers.google.com/workspace/admin/directory/v1/limits).
 */
const THROTTLE_REASONS = new Set([
  'rateLimitExceeded',
  'userRateLimitExceeded',
  'quotaExceeded',
  'RATE_LIMIT_EXCEEDED',
  'RESOURCE_EXHAUSTED',
]);
/** The API is not enabled in the project (https://cloud.google.com/service-usage/docs/enable-disable). */
const DISABLED_REASONS = new Set(['accessNotConfigured', 'SERVICE_DISABLED']);
/** The token endpoint refused the credentials themselves (RFC 6749 §5.2). */
const TOKEN_REFUSALS = new Set(['invalid_grant', 'invalid_client', 'unauthorized_client', 'access_denied', 'invalid_scope']);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'TimeoutError',
]);
const ERROR_INFO = 'type.googleapis.com/google.rpc.ErrorInfo';

/**
 * A Google client's error as the connector SDK's class, so the limiter can decide: throttling
 * (429, and 403 `rateLimitExceeded` / `userRateLimitExceeded` / `quotaExceeded`) → `ThrottledError`;
 * a disabled API → `ApiDisabledError` with the `gcloud services enable` fix; 403 → `PermissionDeniedError`
 * naming the permission; 5xx and network → `TransientSourceError`; 401 and refused credentials →
 * `SourceAuthError`; 404 → `NotFoundError`.
 *
 * The original error is not kept as `cause`: gaxios errors carry the request, with its bearer token
 * or signed assertion, and causes end up in logs.
 */
export function classifyGoogleError(error: unknown, context: GoogleCallContext): SourceError {
  if (error instanceof SourceError) return error;
  const facts = googleErrorFacts(error);
  const { what } = context;
  if (facts.network !== undefined) {
    return new TransientSourceError(`${what}: the Google API could not be reached (${facts.network}): ${facts.message}`);
  }
  const status = facts.status;
  const said = `${facts.message}${status === undefined ? '' : ` (HTTP ${status}${facts.reasons[0] ? ` ${facts.reasons[0]}` : ''})`}`;
  if (facts.reasons.some((r) => DISABLED_REASONS.has(r))) {
    const service = facts.service ?? context.service ?? 'the API';
    const project = context.project;
    const fix = project === undefined || facts.service === undefined && context.service === undefined
      ? undefined
      : `gcloud services enable ${service} --project ${project}`;
    // Google's own text adds only a console URL with the project number: the fix says it better.
    return new ApiDisabledError(
      `${what}: ${service} is not enabled${project === undefined ? '' : ` in project ${project}`}${fix ? `; enable it with: ${fix}` : ` (Google said: ${facts.message})`}`,
      { api: service, ...(fix === undefined ? {} : { fix }) },
    );
  }
  if (status === 429 || facts.reasons.some((r) => THROTTLE_REASONS.has(r))) {
    return new ThrottledError(`${what}: throttled by Google: ${said}`, facts.retryAfterMs === undefined ? {} : { retryAfterMs: facts.retryAfterMs });
  }
  if (facts.reasons.some((r) => TOKEN_REFUSALS.has(r))) {
    return new SourceAuthError(`${what}: Google refused the credentials: ${said}`);
  }
  if (status === undefined) return new SourceError(`${what}: ${said}`, { code: 'SOURCE_GOOGLE_API' });
  if (status >= 500 || status === 408) {
    return new TransientSourceError(`${what}: ${said}`, facts.retryAfterMs === undefined ? {} : { retryAfterMs: facts.retryAfterMs });
  }
  if (status === 401) return new SourceAuthError(`${what}: Google refused the credentials: ${said}`);
  if (status === 403) {
    const permission = facts.permission ?? context.permission;
    return new PermissionDeniedError(
      `${what}: permission denied${permission ? `: the credentials lack ${permission}` : ''}${context.project ? ` on project ${context.project}` : ''} (Google said: ${facts.message})`,
      permission === undefined ? {} : { permission },
    );
  }
  if (status === 404) return new NotFoundError(`${what}: not found: ${said}`);
  return new SourceError(`${what}: ${said}`, { code: 'SOURCE_GOOGLE_API' });
}

/** Reads status, reasons, message and hints out of the error shapes Google's Node clients raise. */
export function googleErrorFacts(error: unknown): GoogleErrorFacts {
  const e = (error ?? {}) as Record<string, unknown>;
  const response = (e.response ?? {}) as Record<string, unknown>;
  const status = firstNumber(e.status, response.status, response.statusCode, typeof e.code === 'number' ? e.code : undefined);
  const body = bodyOf(response.data) ?? bodyOf(response.body) ?? {};
  const apiError = (typeof body.error === 'object' && body.error !== null ? body.error : {}) as Record<string, unknown>;
  const reasons: string[] = [];
  const errorsList = Array.isArray(apiError.errors) ? apiError.errors : Array.isArray(e.errors) ? e.errors : [];
  for (const item of errorsList) if (typeof item?.reason === 'string') reasons.push(item.reason);
  let service: string | undefined;
  let permission: string | undefined;
  for (const detail of Array.isArray(apiError.details) ? apiError.details : []) {
    if (detail?.['@type'] !== ERROR_INFO) continue;
    if (typeof detail.reason === 'string') reasons.push(detail.reason);
    const metadata = (detail.metadata ?? {}) as Record<string, unknown>;
    if (typeof metadata.service === 'string') service = metadata.service;
    if (typeof metadata.permission === 'string') permission = metadata.permission;
  }
  if (typeof apiError.status === 'string') reasons.push(apiError.status);
  // OAuth token endpoint errors: { "error": "invalid_grant", "error_description": "..." }
  if (typeof body.error === 'string') reasons.push(body.error);
  const message =
    (typeof apiError.message === 'string' && apiError.message) ||
    (typeof body.error === 'string' && `${body.error}${typeof body.error_description === 'string' ? `: ${body.error_description}` : ''}`) ||
    (typeof e.message === 'string' && e.message) ||
    String(error);
  permission ??= permissionIn(message);
  const code = typeof e.code === 'string' ? e.code : typeof (e.cause as { code?: unknown })?.code === 'string' ? String((e.cause as { code: string }).code) : undefined;
  const network = status === undefined && code !== undefined && NETWORK_CODES.has(code) ? code : undefined;
  return {
    status,
    reasons,
    message: firstLine(message),
    service,
    permission,
    retryAfterMs: parseRetryAfter(headerOf(response.headers, 'retry-after')),
    network,
  };
}

/** Google names the permission in prose: `Required 'compute.instances.list' permission for ...`, `Permission 'storage.buckets.list' denied`, `does not have storage.buckets.list access`. */
function permissionIn(message: string): string | undefined {
  const m =
    /Required '([a-z][\w-]*(?:\.[\w-]+){2,})' permission/.exec(message) ??
    /Permission '([a-z][\w-]*(?:\.[\w-]+){2,})' denied/.exec(message) ??
    /does not have ([a-z][\w-]*(?:\.[\w-]+){2,}) access/.exec(message);
  return m?.[1];
}

function bodyOf(value: unknown): Record<string, unknown> | undefined {
  if (typeof value === 'string') {
    try {
      const parsed = JSON.parse(value) as unknown;
      return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}

function headerOf(headers: unknown, name: string): string | undefined {
  if (headers === null || typeof headers !== 'object') return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const value = (headers as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : Array.isArray(value) ? String(value[0]) : undefined;
}

function firstNumber(...values: unknown[]): number | undefined {
  for (const v of values) if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v;
  return undefined;
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 500 ? `${line.slice(0, 497)}...` : line;
}
