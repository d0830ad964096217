import { describe, expect, it } from 'vitest';
import {
  classifyHttpStatus,
  ElderSyncError,
  NotFoundError,
  parseRetryAfter,
  PermissionDeniedError,
  SourceAuthError,
  SourceError,
  ThrottledError,
  TransientSourceError,
} from './errors.js';

describe('source errors', () => {
  it('are SourceErrors and ElderSyncErrors with stable codes', () => {
    const e = new PermissionDeniedError('denied: ec2:DescribeInstances', { permission: 'ec2:DescribeInstances' });
    expect(e).toBeInstanceOf(SourceError);
    expect(e).toBeInstanceOf(ElderSyncError);
    expect([e.code, e.permission, e.name]).toEqual(['SOURCE_PERMISSION_DENIED', 'ec2:DescribeInstances', 'PermissionDeniedError']);
  });

  it('classifyHttpStatus maps statuses to the class the limiter and runner act on', () => {
    const of = (status: number) => classifyHttpStatus(status, { message: `HTTP ${status}`, retryAfterMs: 2000 });
    expect(of(429)).toBeInstanceOf(ThrottledError);
    expect((of(429) as ThrottledError).retryAfterMs).toBe(2000);
    expect(of(503)).toBeInstanceOf(TransientSourceError);
    expect(of(401)).toBeInstanceOf(SourceAuthError);
    expect(of(403)).toBeInstanceOf(PermissionDeniedError);
    expect(of(404)).toBeInstanceOf(NotFoundError);
    expect(of(400).code).toBe('SOURCE_FAILED');
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates; ignores junk', () => {
    const now = Date.parse('2026-12-06T12:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('Sun, 06 Dec 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sun, 06 Dec 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
