import { PermissionDeniedError, type ReadContext, type ReadItem } from '@elder-sync/connector-sdk';
import type { AwsConfig, AwsService } from './config.js';
import { AWS_KINDS, GLOBAL_SERVICES, KIND_ORDER } from './kinds.js';
import { awsRuntime } from './runtime.js';
import { ScopeApi } from './scope-api.js';
import { scopeParams, sessionFor } from './sessions.js';

/**
 * One scope: `<account>/<region>` reads the regional kinds, `<account>/global` the S3 buckets. Kinds
 * are read one after the other, page by page, in AWS's own (stable) order. A kind whose calls are
 * denied (an SCP, a narrower policy) is reported incomplete, naming the IAM action, so nothing of it
 * is deleted, and the other kinds still sync; any other failure (disabled region, refused role,
 * throttling beyond the retries) fails the scope.
 */
export async function* readScope(ctx: ReadContext<AwsConfig>): AsyncGenerator<ReadItem> {
  const { config, log, signal } = ctx;
  const params = scopeParams(ctx.scope);
  const runtime = awsRuntime(log);
  const session = await sessionFor(runtime, config, params, signal);
  const services = new Set<AwsService>(config.services);
  const api = new ScopeApi(runtime, session, params.accountId, params.accountLabel, params.region, services, signal, log);
  const global = params.region === 'global';
  try {
    for (const kind of KIND_ORDER) {
      const { service, read } = AWS_KINDS[kind];
      if (!services.has(service) || GLOBAL_SERVICES.has(service) !== global) continue;
      try {
        for await (const record of read(api)) yield { type: 'record', record };
      } catch (error) {
        if (!(error instanceof PermissionDeniedError)) throw error;
        log.warn('AWS kind not read: permission denied', { kind, permission: error.permission, account: params.accountId, region: params.region });
        yield { type: 'incomplete', kind, reason: error.message };
      }
    }
  } finally {
    await api.close();
  }
}
