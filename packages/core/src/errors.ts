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

/** Issues a ConfigError lists; the rest are counted ("and 99950 more"), not printed. */
export const CONFIG_ISSUES_LISTED = 50;

/** Bad usage or configuration: exit 64, one line per issue, at most CONFIG_ISSUES_LISTED of them. */
export class ConfigError extends ElderSyncError {
  readonly issues: ConfigIssue[];
  /**
   * The parsed (and substituted) document whose top level failed validation, when there was one:
   * its sources' connector configs can still be checked, so every mistake is reported at once.
   */
  readonly document: Record<string, unknown> | undefined;

  /** `unlisted`: problems the caller counted but did not turn into issues (added to "and N more"). */
  constructor(issues: ConfigIssue[], options: { cause?: unknown; document?: Record<string, unknown>; unlisted?: number } = {}) {
    // A file of 100 000 broken entries must not print 6 MB: the first ones show what to fix.
    const more = issues.length + (options.unlisted ?? 0) - CONFIG_ISSUES_LISTED;
    const listed = more > 1 ? issues.slice(0, CONFIG_ISSUES_LISTED) : [...issues];
    if (more > 1) {
      listed.push({ path: '', message: `and ${more} more problems like these; fix the ones above and validate again` });
    }
    super(
      'CONFIG_INVALID',
      listed.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('\n'),
      { ...(options.cause === undefined ? {} : { cause: options.cause }), exitCode: 64 },
    );
    this.issues = listed;
    this.document = options.document;
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
