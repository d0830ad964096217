import { describe, expect, it } from 'vitest';
import { ConfigError, ElderApiError, SourceError } from '@elder-sync/core';
import { ExitCode, exitCodeFor, UsageError } from './exit-codes.js';

describe('exitCodeFor', () => {
  it('maps configuration and usage errors to 64', () => {
    expect(exitCodeFor(new ConfigError([{ path: 'elder.url', message: 'required' }]))).toBe(ExitCode.usage);
    expect(exitCodeFor(new UsageError('x'))).toBe(64);
    // the shape of oclif's CLIParseError (FlagInvalidOptionError falls back to exitCodes.default)
    expect(exitCodeFor(Object.assign(new Error('Expected --x=y to be one of: a'), { parse: {}, oclif: { exit: 1 } }))).toBe(64);
  });

  it("uses an ElderSyncError's own exit code, else 1", () => {
    expect(exitCodeFor(new SourceError('ldap down'))).toBe(1);
    expect(exitCodeFor(new ElderApiError('boom', { status: 500, method: 'GET', path: '/', transient: true }))).toBe(1);
    expect(exitCodeFor(new Error('plain'))).toBe(1);
    expect(exitCodeFor('a string')).toBe(1);
    expect(exitCodeFor(Object.assign(new Error('exit'), { oclif: { exit: 3 } }))).toBe(3);
  });
});
