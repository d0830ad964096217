/**
 * Error answers in the shape Google's JSON APIs send (the `error.errors[].reason` list of the v1
 * "global" format plus the newer `status` field), so a connector is tested against what its client
 * library actually parses.
 */

export interface GoogleErrorResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

export function googleError(
  status: number,
  reason: string,
  message: string,
  options: { domain?: string; errorMessage?: string; details?: unknown[]; headers?: Record<string, string>; withStatus?: boolean } = {},
): GoogleErrorResponse {
  const error: Record<string, unknown> = {
    code: status,
    message,
    errors: [{ message: options.errorMessage ?? message, domain: options.domain ?? 'global', reason }],
  };
  if (options.withStatus !== false && STATUS_NAMES[status]) error['status'] = STATUS_NAMES[status];
  if (options.details) error['details'] = options.details;
  return { status, body: { error }, ...(options.headers ? { headers: options.headers } : {}) };
}

export const unauthenticated = (): GoogleErrorResponse => ({
  ...googleError(
    401,
    'authError',
    'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
    { errorMessage: 'Invalid Credentials' },
  ),
  headers: { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' },
});

/** A caller that is no administrator: the service account itself (no delegation) or a plain user. */
export const notAuthorized = (): GoogleErrorResponse =>
  googleError(403, 'forbidden', 'Not Authorized to access this resource/api', { withStatus: false });

/** The token lacks every scope that allows this method. */
export const insufficientScopes = (method: string): GoogleErrorResponse =>
  googleError(403, 'insufficientPermissions', 'Request had insufficient authentication scopes.', {
    errorMessage: 'Insufficient Permission',
    details: [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT',
        domain: 'googleapis.com',
        metadata: { service: 'admin.googleapis.com', method },
      },
    ],
  });

export const invalidRange = (value: string, max: number): GoogleErrorResponse =>
  googleError(400, 'invalid', `Invalid value '${value}'. Values must be within the range: [1, ${max}]`);

export const invalidParameter = (message: string): GoogleErrorResponse => googleError(400, 'invalid', message);

export const badRequest = (): GoogleErrorResponse => googleError(400, 'badRequest', 'Bad Request', { withStatus: false });

export const notFound = (what: string): GoogleErrorResponse =>
  googleError(404, 'notFound', `Resource Not Found: ${what}`, { withStatus: false });

const QUOTA_MESSAGE =
  "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service 'admin.googleapis.com' for consumer 'project_number:000000000000'.";

export function faultResponse(fault: import('./types.js').DirectoryFault): GoogleErrorResponse {
  switch (fault.kind) {
    case 'userRateLimitExceeded':
      return googleError(403, 'userRateLimitExceeded', QUOTA_MESSAGE, { domain: 'usageLimits' });
    case 'quotaExceeded':
      return googleError(403, 'quotaExceeded', 'Quota limit for concurrent requests for this domain has been reached.', { domain: 'usageLimits' });
    case 'rateLimitExceeded':
      return googleError(429, 'rateLimitExceeded', QUOTA_MESSAGE, {
        ...(fault.retryAfterSeconds !== undefined ? { headers: { 'retry-after': String(fault.retryAfterSeconds) } } : {}),
      });
    case 'backendError':
      return googleError(503, 'backendError', 'Backend Error', { withStatus: false });
  }
}
