import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  classifyNetworkError,
  classifyStatus,
  decideAfterError,
  decideAfterStatus,
  DEFAULT_RETRY_POLICY,
  parseRetryAfter,
  retryDelay,
} from './retry.js';

const policy = DEFAULT_RETRY_POLICY;

function coded(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}

describe('classifyStatus', () => {
  it('treats 2xx as success, 408/429/5xx as transient, every other status as permanent', () => {
    for (const s of [200, 201, 204]) expect(classifyStatus(s)).toBe('success');
    for (const s of [408, 429, 500, 502, 503, 504, 599]) expect(classifyStatus(s)).toBe('transient');
    for (const s of [301, 308, 400, 401, 403, 404, 405, 409, 415, 422]) expect(classifyStatus(s)).toBe('permanent');
  });
});

describe('classifyNetworkError', () => {
  it('marks connection refused, DNS and connect timeouts as never sent', () => {
    for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']) {
      expect(classifyNetworkError(coded(code))).toMatchObject({ transient: true, maybeSent: false, reason: code });
    }
  });

  it('marks resets, socket closes and timeouts as transient but possibly applied', () => {
    for (const code of ['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT', 'ELDER_REQUEST_TIMEOUT']) {
      expect(classifyNetworkError(coded(code))).toMatchObject({ transient: true, maybeSent: true });
    }
    expect(classifyNetworkError(coded('UND_ERR_BODY_TIMEOUT')).reason).toBe('timeout');
    expect(classifyNetworkError(coded('ELDER_REQUEST_TIMEOUT')).reason).toBe('timeout');
  });

  it('finds codes in the cause chain and recognises "socket hang up" by message', () => {
    expect(classifyNetworkError(new Error('fetch failed', { cause: coded('ECONNREFUSED') })).maybeSent).toBe(false);
    expect(classifyNetworkError(new Error('socket hang up'))).toMatchObject({ transient: true, maybeSent: true });
  });

  it('does not retry programming errors', () => {
    expect(classifyNetworkError(new TypeError('bad header')).transient).toBe(false);
    expect(classifyNetworkError(coded('UND_ERR_INVALID_ARG')).transient).toBe(false);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('Wed, 22 Apr 2026 00:50:00 GMT');

  it('reads delta-seconds', () => {
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('1.5', now)).toBe(1500);
    expect(parseRetryAfter(['2', '9'], now)).toBe(2000);
  });

  it('reads an HTTP date relative to now, and a past date as 0', () => {
    expect(parseRetryAfter('Wed, 22 Apr 2026 00:50:07 GMT', now)).toBe(7000);
    expect(parseRetryAfter('Wed, 22 Apr 2026 00:40:00 GMT', now)).toBe(0);
  });

  it('ignores absent or garbage values', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter('1e3', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});

describe('backoff', () => {
  it('grows exponentially from the base, capped at the max, with full jitter', () => {
    const top = () => 0.999999;
    expect(backoffDelay(1, policy, top)).toBe(199);
    expect(backoffDelay(2, policy, top)).toBe(399);
    expect(backoffDelay(4, policy, top)).toBe(1599);
    expect(backoffDelay(10, policy, top)).toBe(9999);
    expect(backoffDelay(50, policy, top)).toBe(9999);
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
    for (let i = 0; i < 100; i++) {
      const d = backoffDelay(3, policy);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(800);
    }
  });

  it('prefers Retry-After, capped at retryAfterMaxMs', () => {
    expect(retryDelay(1, policy, 5000, () => 0)).toBe(5000);
    expect(retryDelay(1, policy, 3_600_000)).toBe(policy.retryAfterMaxMs);
    expect(retryDelay(1, policy, undefined, () => 0.5)).toBe(100);
  });
});

describe('retry decisions', () => {
  it('retries transient statuses until maxAttempts, never permanent ones', () => {
    expect(decideAfterStatus(502, 1, policy, true)).toBe('retry');
    expect(decideAfterStatus(429, 4, policy, true)).toBe('retry');
    expect(decideAfterStatus(503, 5, policy, true)).toBe('fail');
    for (const s of [400, 401, 403, 404, 409, 415, 422]) expect(decideAfterStatus(s, 1, policy, true)).toBe('fail');
  });

  it('never resends a non-idempotent create that may have been applied', () => {
    expect(decideAfterStatus(500, 1, policy, false)).toBe('uncertain');
    expect(decideAfterStatus(502, 1, policy, false)).toBe('uncertain');
    expect(decideAfterStatus(429, 1, policy, false)).toBe('retry');
    expect(decideAfterStatus(400, 1, policy, false)).toBe('fail');
    expect(decideAfterError(classifyNetworkError(coded('ECONNRESET')), 1, policy, false)).toBe('uncertain');
    expect(decideAfterError(classifyNetworkError(coded('ELDER_REQUEST_TIMEOUT')), 1, policy, false)).toBe('uncertain');
    expect(decideAfterError(classifyNetworkError(coded('ECONNREFUSED')), 1, policy, false)).toBe('retry');
    expect(decideAfterError(classifyNetworkError(coded('ECONNREFUSED')), 5, policy, false)).toBe('fail');
  });

  it('retries idempotent requests after resets and timeouts', () => {
    expect(decideAfterError(classifyNetworkError(coded('ECONNRESET')), 1, policy, true)).toBe('retry');
    expect(decideAfterError(classifyNetworkError(new TypeError('x')), 1, policy, true)).toBe('fail');
  });
});
