/**
 * The Directory API's error answers, in the shape Google's JSON APIs send (the shared `googleError` of
 * the Google fakes: `errors[].reason`, the canonical `status`, `details`), so a connector is tested
 * against what its client library actually parses.
 */
import { errorInfo, googleError, type GoogleResponse } from '../google/http.js';
import type { DirectoryFault } from './types.js';

export type GoogleErrorResponse = GoogleResponse;

export const unauthenticated = (): GoogleErrorResponse =>
  googleError(
    401,
    'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
    { reason: 'authError', headers: { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' } },
  );

/** A caller that is no administrator: the service account itself (no delegation) or a plain user. */
export const notAuthorized = (): GoogleErrorResponse => googleError(403, 'Not Authorized to access this resource/api', { reason: 'forbidden' });

/** The token lacks every scope that allows this method. */
export const insufficientScopes = (method: string): GoogleErrorResponse =>
  googleError(403, 'Request had insufficient authentication scopes.', {
    reason: 'insufficientPermissions',
    details: [errorInfo('ACCESS_TOKEN_SCOPE_INSUFFICIENT', 'googleapis.com', { service: 'admin.googleapis.com', method })],
  });

export const invalidRange = (value: string, max: number): GoogleErrorResponse =>
  googleError(400, `Invalid value '${value}'. Values must be within the range: [1, ${max}]`, { reason: 'invalid' });

export const invalidParameter = (message: string): GoogleErrorResponse => googleError(400, message, { reason: 'invalid' });

export const badRequest = (): GoogleErrorResponse => googleError(400, 'Bad Request', { reason: 'badRequest' });

export const notFound = (what: string): GoogleErrorResponse => googleError(404, `Resource Not Found: ${what}`, { reason: 'notFound' });

const QUOTA_MESSAGE =
  "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service 'admin.googleapis.com' for consumer 'project_number:000000000000'.";

export function faultResponse(fault: DirectoryFault): GoogleErrorResponse {
  switch (fault.kind) {
    case 'userRateLimitExceeded':
      return googleError(403, QUOTA_MESSAGE, { reason: 'userRateLimitExceeded', domain: 'usageLimits' });
    case 'quotaExceeded':
      return googleError(403, 'Quota limit for concurrent requests for this domain has been reached.', { reason: 'quotaExceeded', domain: 'usageLimits' });
    case 'rateLimitExceeded':
      return googleError(429, QUOTA_MESSAGE, {
        reason: 'rateLimitExceeded',
        ...(fault.retryAfterSeconds !== undefined ? { headers: { 'retry-after': String(fault.retryAfterSeconds) } } : {}),
      });
    case 'backendError':
      return googleError(503, 'Backend Error', { reason: 'backendError' });
  }
}
