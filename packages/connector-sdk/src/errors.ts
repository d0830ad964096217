/**
 * Every error elder-sync raises on purpose is an ElderSyncError with a stable `code`.
 * The CLI maps errors to exit codes in one place, never by message text. These classes live in the
 * SDK so that a connector and the engine agree on them without the connector loading the engine.
 */
export class ElderSyncError extends Error {
  readonly code: string;
  /** Exit code the CLI uses when this error ends a command. */
  readonly exitCode: number;

  constructor(code: string, message: string, options: { cause?: unknown; exitCode?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = options.exitCode ?? 1;
  }
}

/** A connector package or module that does not satisfy the connector contract. */
export class ConnectorContractError extends ElderSyncError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('CONNECTOR_CONTRACT', message, options);
  }
}

interface SourceErrorOptions {
  cause?: unknown;
  code?: string;
}

/** A source (directory, cloud API) failed: unreachable, refused credentials, bad answer. */
export class SourceError extends ElderSyncError {
  constructor(message: string, options: SourceErrorOptions = {}) {
    super(options.code ?? 'SOURCE_FAILED', message, options);
  }
}

/** Credentials refused: a bad secret, a role that cannot be assumed, consent revoked. Not retried. */
export class SourceAuthError extends SourceError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, code: 'SOURCE_AUTH' });
  }
}

/**
 * The credentials work but lack a permission. `permission` names it the way the source's
 * administrator grants it (`ec2:DescribeInstances`, `SecurityAlert.Read.All`, `compute.instances.list`).
 */
export class PermissionDeniedError extends SourceError {
  readonly permission: string | undefined;

  constructor(message: string, options: { cause?: unknown; permission?: string } = {}) {
    super(message, { cause: options.cause, code: 'SOURCE_PERMISSION_DENIED' });
    this.permission = options.permission;
  }
}

/** The source asked us to slow down. `retryAfterMs` is what it named (Retry-After), if anything. */
export class ThrottledError extends SourceError {
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: { cause?: unknown; retryAfterMs?: number } = {}) {
    super(message, { cause: options.cause, code: 'SOURCE_THROTTLED' });
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** A failure worth trying again: network, 5xx, a timeout. */
export class TransientSourceError extends SourceError {
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: { cause?: unknown; retryAfterMs?: number } = {}) {
    super(message, { cause: options.cause, code: 'SOURCE_TRANSIENT' });
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** What was asked for does not exist (a deleted project, an unknown tenant). */
export class NotFoundError extends SourceError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, code: 'SOURCE_NOT_FOUND' });
  }
}

/** The API is switched off for this account or project; `fix` says how to switch it on. */
export class ApiDisabledError extends SourceError {
  readonly api: string;
  readonly fix: string | undefined;

  constructor(message: string, options: { cause?: unknown; api: string; fix?: string }) {
    super(message, { cause: options.cause, code: 'SOURCE_API_DISABLED' });
    this.api = options.api;
    this.fix = options.fix;
  }
}

/**
 * `Retry-After` as milliseconds from `now`: delta-seconds or an HTTP date (RFC 9110 §10.2.3).
 * Undefined when absent or unreadable; never negative.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/**
 * The SDK error class for an HTTP status, for connectors whose client gives a bare status.
 * Sources that signal throttling with another status (Google's 403 `rateLimitExceeded`, AWS's 400
 * `ThrottlingException`) must check their error code first and build a `ThrottledError` themselves.
 */
export function classifyHttpStatus(
  status: number,
  details: { message: string; retryAfterMs?: number; permission?: string; cause?: unknown },
): SourceError {
  const { message, cause, retryAfterMs, permission } = details;
  if (status === 429) return new ThrottledError(message, { cause, retryAfterMs });
  if (status >= 500 || status === 408) return new TransientSourceError(message, { cause, retryAfterMs });
  if (status === 401) return new SourceAuthError(message, { cause });
  if (status === 403) return new PermissionDeniedError(message, { cause, permission });
  if (status === 404) return new NotFoundError(message, { cause });
  return new SourceError(message, { cause });
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
