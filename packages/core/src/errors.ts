/**
 * Every error elder-sync raises on purpose is an ElderSyncError with a stable `code`.
 * The CLI maps errors to exit codes in one place (`exitCodeFor`), never by message text.
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

/** One problem in a configuration file or flag, located by path (`sources[1].config.url`). */
export interface ConfigIssue {
  path: string;
  message: string;
}

/** Bad usage or configuration: exit 64, one line per issue. */
export class ConfigError extends ElderSyncError {
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[], options: { cause?: unknown } = {}) {
    super(
      'CONFIG_INVALID',
      issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('\n'),
      { ...options, exitCode: 64 },
    );
    this.issues = issues;
  }
}

/** A connector package or module that does not satisfy the connector contract. */
export class ConnectorContractError extends ElderSyncError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('CONNECTOR_CONTRACT', message, options);
  }
}

/** A source (LDAP server, cloud API) failed: unreachable, refused credentials, bad answer. */
export class SourceError extends ElderSyncError {
  constructor(message: string, options: { cause?: unknown; code?: string } = {}) {
    super(options.code ?? 'SOURCE_FAILED', message, options);
  }
}

/** Elder answered with an error, or could not be reached after the retries. */
export class ElderApiError extends ElderSyncError {
  readonly status: number | undefined;
  readonly method: string;
  readonly path: string;
  /** Transient errors (network, 429, 5xx) are retried; permanent ones (400, 401, 403, 404) are not. */
  readonly transient: boolean;

  constructor(
    message: string,
    details: { status?: number; method: string; path: string; transient: boolean; cause?: unknown },
  ) {
    super(details.status === undefined ? 'ELDER_UNREACHABLE' : `ELDER_HTTP_${details.status}`, message, {
      cause: details.cause,
    });
    this.status = details.status;
    this.method = details.method;
    this.path = details.path;
    this.transient = details.transient;
  }
}

/** A run was refused before writing anything (mass delete, stale plan, ...). */
export class SafetyError extends ElderSyncError {
  constructor(code: string, message: string) {
    super(code, message);
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
