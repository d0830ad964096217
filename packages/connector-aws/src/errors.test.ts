import { PermissionDeniedError, SourceAuthError, SourceError, ThrottledError, TransientSourceError } from '@elder-sync/connector-sdk';
import { describe, expect, it } from 'vitest';
import { RegionDisabledError, toSourceError } from './errors.js';

/** What the AWS SDK throws: a ServiceException named after the error code, with the HTTP status. */
const sdkError = (name: string, status: number, message = 'm', headers: Record<string, string> = {}) =>
  Object.assign(new Error(message), { name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, $response: { headers } });
const site = { action: 'ec2:DescribeInstances', account: '123456789012', region: 'eu-west-1', homeRegion: 'us-east-1' };

describe('AWS errors as the connector SDK classes', () => {
  it.each([
    ['Throttling', 400],
    ['ThrottlingException', 400],
    ['RequestLimitExceeded', 503],
    ['TooManyRequestsException', 429],
    ['SlowDown', 503],
  ])('%s (HTTP %i) is throttling, whatever the status', (name, status) => {
    expect(toSourceError(sdkError(name, status), site)).toBeInstanceOf(ThrottledError);
  });

  it('a Retry-After header is kept for the limiter', () => {
    const e = toSourceError(sdkError('TooManyRequestsException', 429, 'slow', { 'retry-after': '3' }), site) as ThrottledError;
    expect(e.retryAfterMs).toBe(3000);
  });

  it.each(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation'])('%s names the IAM action that was called', (name) => {
    const e = toSourceError(sdkError(name, 403, 'You are not authorized'), site) as PermissionDeniedError;
    expect(e).toBeInstanceOf(PermissionDeniedError);
    expect(e.permission).toBe('ec2:DescribeInstances');
    expect(e.message).toMatch(/^ec2:DescribeInstances in account 123456789012, region eu-west-1 was denied/);
  });

  it('refused credentials outside the home region mean the region is not enabled; in the home region, bad credentials', () => {
    expect(toSourceError(sdkError('AuthFailure', 401), site)).toBeInstanceOf(RegionDisabledError);
    expect(toSourceError(sdkError('OptInRequired', 401), { ...site, region: 'us-east-1' })).toBeInstanceOf(RegionDisabledError);
    expect(toSourceError(sdkError('InvalidClientTokenId', 403), { ...site, region: 'us-east-1' })).toBeInstanceOf(SourceAuthError);
    expect(toSourceError(sdkError('ExpiredToken', 400), { ...site, region: 'global' })).toBeInstanceOf(SourceAuthError);
  });

  it('5xx and network failures are transient; anything else is a plain source error, not retried', () => {
    expect(toSourceError(sdkError('InternalError', 500), site)).toBeInstanceOf(TransientSourceError);
    expect(toSourceError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), site)).toBeInstanceOf(TransientSourceError);
    const other = toSourceError(sdkError('InvalidParameterValue', 400), site);
    expect(other).toBeInstanceOf(SourceError);
    expect(other).not.toBeInstanceOf(TransientSourceError);
    expect((other as SourceError).code).toBe('SOURCE_FAILED');
  });
});
