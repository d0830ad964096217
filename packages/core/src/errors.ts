import { ElderSyncError } from '@elder-sync/connector-sdk';

// The base class and the source errors live in the SDK so connectors share them without the engine.
export {
  ApiDisabledError,
  ConnectorContractError,
  ElderSyncError,
  errorMessage,
  NotFoundError,
  PermissionDeniedError,
  SourceAuthError,
  SourceError,
  ThrottledError,
  TransientSourceError,
} from '@elder-sync/connector-sdk';

/** One problem in a configuration file or flag, located by path (`sources[1].config.url`). */
export interface ConfigIssue {
  path: string;
  message: string;
}

/** Bad usage or configuration: exit 64, one line per issue. */
export class ConfigError extends ElderSyncError {
  readonly issues: ConfigIssue[];
  /**
   * The parsed (and substituted) document whose top level failed validation, when there was one:
   * its sources' connector configs can still be checked, so every mistake is reported at once.
   */
  readonly document: Record<string, unknown> | undefined;

  constructor(issues: ConfigIssue[], options: { cause?: unknown; document?: Record<string, unknown> } = {}) {
    const { document, ...rest } = options;
    super(
      'CONFIG_INVALID',
      issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('\n'),
      { ...rest, exitCode: 64 },
    );
    this.issues = issues;
    this.document = document;
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
