import { SourceError, type JsonObject, type Scope } from '@elder-sync/connector-sdk';
import type { AwsConfig } from './config.js';
import type { AwsRuntime, Session } from './runtime.js';

/** What discovery stores in each scope (no secrets: the external id is looked up in the config). */
export interface AwsScopeParams {
  accountId: string;
  accountLabel: string;
  /** A region, or `global`. */
  region: string;
  /** Role to assume; null = the credential chain's own account. */
  roleArn: string | null;
  /**
   * The account's sample region: test-connectivity probes every permission there (and once per
   * account what discovery needs) and only reachability in the account's other regions.
   */
  sample: boolean;
}

export function scopeParams(scope: Scope): AwsScopeParams {
  const p = (scope.params ?? {}) as Partial<AwsScopeParams>;
  if (typeof p.accountId !== 'string' || typeof p.region !== 'string') {
    throw new SourceError(`AWS scope "${scope.id}" has no account or region; scopes come from the aws connector's own discovery`, { code: 'AWS_BAD_SCOPE' });
  }
  return { accountId: p.accountId, accountLabel: p.accountLabel ?? p.accountId, region: p.region, roleArn: p.roleArn ?? null, sample: p.sample ?? true };
}

export function paramsJson(p: AwsScopeParams): JsonObject {
  return { accountId: p.accountId, accountLabel: p.accountLabel, region: p.region, roleArn: p.roleArn, sample: p.sample };
}

/** The ExternalId configured for a role, if any (a secret: never put in scopes or logs). */
export function externalIdFor(config: AwsConfig, roleArn: string): string | undefined {
  return config.accounts?.find((a) => a.roleArn === roleArn)?.externalId;
}

/** The session a scope reads with: its role's, or the caller's when it is the caller's own account. */
export async function sessionFor(runtime: AwsRuntime, config: AwsConfig, params: AwsScopeParams, signal: AbortSignal): Promise<Session> {
  const endpoints = config.endpoints ?? {};
  if (params.roleArn) return runtime.assume(params.roleArn, externalIdFor(config, params.roleArn), signal, endpoints);
  const { session } = await runtime.callerIdentity(signal, endpoints);
  if (session.accountId !== params.accountId) {
    throw new SourceError(
      `the AWS credentials now belong to account ${session.accountId}, not ${params.accountId} which this scope reads; list the account under "accounts" with a roleArn`,
      { code: 'AWS_ACCOUNT_MISMATCH' },
    );
  }
  return session;
}
