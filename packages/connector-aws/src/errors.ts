import {
  PermissionDeniedError,
  SourceAuthError,
  SourceError,
  ThrottledError,
  TransientSourceError,
  parseRetryAfter,
} from '@elder-sync/connector-sdk';

/** Stable codes of the errors only this connector raises; the rest are the SDK's classes. */
export const AwsErrorCode = {
  /** The region is not enabled (opted out) for the account: only its scope fails. */
  RegionDisabled: 'AWS_REGION_DISABLED',
  /** The AWS answer made no sense (a field the connector needs was missing). */
  BadAnswer: 'AWS_BAD_ANSWER',
} as const;

/** A disabled or opted-out region: that (account, region) scope fails alone, with how to fix it. */
export class RegionDisabledError extends SourceError {
  readonly region: string;
  constructor(message: string, options: { cause?: unknown; region: string }) {
    super(message, { cause: options.cause, code: AwsErrorCode.RegionDisabled });
    this.region = options.region;
  }
}

/**
 * Error codes AWS uses for "slow down" (the SDK's own THROTTLING_ERROR_CODES,
 * @smithy/service-error-classification), whatever HTTP status carries them (EC2 503, RDS 400,
 * Lambda 429, S3 503).
 */
const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottledException',
  'RequestThrottled',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'TransactionInProgressException',
  'RequestLimitExceeded',
  'BandwidthLimitExceeded',
  'LimitExceededException',
  'SlowDown',
  'PriorRequestNotComplete',
  'EC2ThrottledException',
]);

const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'AuthorizationError', 'UnauthorizedAccess', 'Forbidden']);

/** Credentials AWS does not accept at all, or a region that does not know them (opt-in regions). */
const BAD_CREDENTIALS = new Set([
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'AuthFailure',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidToken',
  'MissingAuthenticationToken',
  'IncompleteSignature',
]);

const NETWORK = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|UND_ERR_\w+)$/;

interface AwsSdkError {
  name?: string;
  code?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string> };
}

export interface CallSite {
  /** The IAM action of the call, e.g. `ec2:DescribeInstances`. */
  action: string;
  account: string;
  /** The region of the call, or `global`. */
  region: string;
  /** The account's home region (where a credentials error means bad credentials, not a disabled region). */
  homeRegion?: string;
}

/** An AWS SDK error as the connector SDK's error classes, naming the action, account and region. */
export function toSourceError(error: unknown, site: CallSite): Error {
  if (error instanceof SourceError) return error;
  if ((error as { name?: string })?.name === 'AbortError') return error as Error;
  const e = (error ?? {}) as AwsSdkError;
  const name = e.name ?? e.code ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  const where = `${site.action} in account ${site.account}${site.region === 'global' ? '' : `, region ${site.region}`}`;
  const detail = `${name}${status ? ` (HTTP ${status})` : ''}: ${firstLine(e.message ?? String(error))}`;
  if (THROTTLING.has(name)) {
    const retryAfterMs = parseRetryAfter(e.$response?.headers?.['retry-after']);
    return new ThrottledError(`${where} was throttled: ${detail}`, { cause: error, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
  }
  if (DENIED.has(name)) {
    return new PermissionDeniedError(`${where} was denied: the credentials lack ${site.action} (${detail}); grant it (see the IAM policy in the connector's README) or check the Organization's SCPs`, {
      cause: error,
      permission: site.action,
    });
  }
  if (name === 'OptInRequired' || (BAD_CREDENTIALS.has(name) && site.region !== 'global' && site.homeRegion !== undefined && site.region !== site.homeRegion)) {
    return new RegionDisabledError(
      `region ${site.region} is not enabled for account ${site.account} (${detail} from ${site.action}); enable the region for the account, or leave it out of "regions"`,
      { cause: error, region: site.region },
    );
  }
  if (BAD_CREDENTIALS.has(name)) {
    return new SourceAuthError(`${where}: AWS refused the credentials: ${detail}`, { cause: error });
  }
  const code = (error as { code?: string })?.code ?? name;
  if (e.$fault === 'server' || (status !== undefined && status >= 500) || NETWORK.test(code) || name === 'TimeoutError') {
    return new TransientSourceError(`${where} failed: ${detail}`, { cause: error });
  }
  return new SourceError(`${where} failed: ${detail}`, { cause: error });
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}
