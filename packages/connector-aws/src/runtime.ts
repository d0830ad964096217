import { KeyedLimiter, PermissionDeniedError, SourceAuthError, type Logger } from '@elder-sync/connector-sdk';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { toSourceError } from './errors.js';

/**
 * The AWS SDK, loaded only when a scope is discovered or read (never when the CLI starts), and the
 * one limiter every call goes through. Clients are made with `maxAttempts: 1`: the SDK's own retries
 * would hide throttling from the limiter, which is what must slow down (per account, region, service).
 */

export type Ec2Module = typeof import('@aws-sdk/client-ec2');
export type LambdaModule = typeof import('@aws-sdk/client-lambda');
export type RdsModule = typeof import('@aws-sdk/client-rds');
export type ElastiCacheModule = typeof import('@aws-sdk/client-elasticache');
export type SqsModule = typeof import('@aws-sdk/client-sqs');
export type S3Module = typeof import('@aws-sdk/client-s3');
export type StsModule = typeof import('@aws-sdk/client-sts');
export type OrganizationsModule = typeof import('@aws-sdk/client-organizations');
export type IamModule = typeof import('@aws-sdk/client-iam');
export type TaggingModule = typeof import('@aws-sdk/client-resource-groups-tagging-api');

/** The client modules by family; imported on first use. */
export interface ClientModules {
  ec2: Ec2Module;
  lambda: LambdaModule;
  rds: RdsModule;
  elasticache: ElastiCacheModule;
  sqs: SqsModule;
  s3: S3Module;
  sts: StsModule;
  organizations: OrganizationsModule;
  iam: IamModule;
  tagging: TaggingModule;
}
export type ClientFamily = keyof ClientModules;

const loaders: { [F in ClientFamily]: () => Promise<ClientModules[F]> } = {
  ec2: () => import('@aws-sdk/client-ec2'),
  lambda: () => import('@aws-sdk/client-lambda'),
  rds: () => import('@aws-sdk/client-rds'),
  elasticache: () => import('@aws-sdk/client-elasticache'),
  sqs: () => import('@aws-sdk/client-sqs'),
  s3: () => import('@aws-sdk/client-s3'),
  sts: () => import('@aws-sdk/client-sts'),
  organizations: () => import('@aws-sdk/client-organizations'),
  iam: () => import('@aws-sdk/client-iam'),
  tagging: () => import('@aws-sdk/client-resource-groups-tagging-api'),
};
export type ModuleOf<F extends ClientFamily> = ClientModules[F];

/** What every client is made with. */
export interface ClientConfig {
  region: string;
  maxAttempts: number;
  credentials?: AwsCredentialIdentityProvider;
  endpoint?: string;
  forcePathStyle?: boolean;
  useQueueUrlAsEndpoint?: boolean;
}

const modules = new Map<ClientFamily, Promise<unknown>>();
export function sdk<F extends ClientFamily>(family: F): Promise<ModuleOf<F>> {
  let m = modules.get(family);
  if (!m) {
    // The SDK warns on Node 20 that *future* SDK releases will need Node 22; the versions this
    // package pins support Node 20, so the warning would only be noise on every run's stderr.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    m = loaders[family]();
    modules.set(family, m);
  }
  return m as Promise<ModuleOf<F>>;
}

/** Requests in flight per (account, region, service) before any throttling (AWS's per-API buckets refill fast). */
const CONCURRENCY = 4;
/** Tries after the first for a throttled or transient call. */
const MAX_RETRIES = 8;
/** Refresh assumed-role credentials this long before they expire. */
const REFRESH_BEFORE_MS = 5 * 60_000;
const SESSION_SECONDS = 3600;

/** Clients by (family, account, region, endpoint). */
export type ClientPool = Map<string, Promise<unknown>>;

/** Closes every client of a pool (their keep-alive sockets with them). */
export async function closePool(pool: ClientPool): Promise<void> {
  const clients = await Promise.allSettled(pool.values());
  pool.clear();
  for (const c of clients) if (c.status === 'fulfilled') (c.value as { destroy?: () => void }).destroy?.();
}

/** Where a call goes and whom it is made as. */
export interface Session {
  accountId: string;
  /** `undefined`: the SDK's default credential chain (env, profile, SSO, container, instance). */
  credentials: AwsCredentialIdentityProvider | undefined;
  /** The source's `endpoints:` (service → URL); absent services use the SDK's resolution. */
  endpoints: Endpoints;
}

export type Endpoints = Partial<Record<ClientFamily, string>>;

/** The region for STS, IAM, Organizations and discovery: the SDK's own variables, else us-east-1. */
export function homeRegion(env: NodeJS.ProcessEnv = process.env): string {
  return env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
}

/** S3 path-style addressing when the endpoint is not AWS's (LocalStack, test servers, MinIO). */
function customS3Endpoint(configured: string | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  const url = configured || env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL;
  if (!url) return false;
  try {
    return !/(^|\.)amazonaws\.com(\.cn)?$/.test(new URL(url).hostname);
  } catch {
    return false;
  }
}

export class AwsRuntime {
  readonly limiter: KeyedLimiter;
  readonly homeRegion: string;
  private readonly clients: ClientPool = new Map();
  private readonly roles = new Map<string, Session>();
  private readonly callers = new Map<string, Promise<{ session: Session; arn: string }>>();
  /** Accounts that denied tag:GetResources this run: their tags are read per resource (ScopeApi.tagsOf). */
  readonly taggingDenied = new Set<string>();
  log: Logger | undefined;

  constructor(env: NodeJS.ProcessEnv = process.env) {
    this.homeRegion = homeRegion(env);
    this.limiter = new KeyedLimiter({
      concurrency: CONCURRENCY,
      maxRetries: MAX_RETRIES,
      onThrottle: (key, waitMs) => this.log?.warn('AWS throttled; slowing down', { bucket: key, waitMs }),
    });
  }

  /** Closes the shared (STS) clients. */
  close(): Promise<void> {
    return closePool(this.clients);
  }

  /** One call through the limiter, its errors translated (throttling and 5xx are retried there). */
  call<T>(session: Session, region: string, action: string, task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const service = action.split(':')[0]!;
    const key = `${session.accountId}/${region}/${service}`;
    return this.limiter.run(
      key,
      async () => {
        try {
          return await task();
        } catch (error) {
          throw toSourceError(error, { action, account: session.accountId, region, homeRegion: this.homeRegion });
        }
      },
      signal ? { signal } : {},
    );
  }

  /**
   * A client of `family` for (session, region), made once per `pool`. Scopes, checks and discovery
   * pass their own pool and close it when done: an Organization of 300 accounts × 17 regions would
   * otherwise keep tens of thousands of clients, each with its own keep-alive sockets. The shared
   * pool holds only the callers' STS clients (roles are refreshed through them).
   */
  async client<F extends ClientFamily, C>(
    family: F,
    session: Session,
    region: string,
    make: (m: ModuleOf<F>, config: ClientConfig) => C,
    pool: ClientPool = this.clients,
  ): Promise<C> {
    const endpoint = session.endpoints[family];
    const key = `${family}/${session.accountId}/${region}/${endpoint ?? ''}`;
    let c = pool.get(key);
    if (!c) {
      c = sdk(family).then((m) =>
        make(m, {
          region: region === 'global' ? this.homeRegion : region,
          maxAttempts: 1,
          ...(session.credentials ? { credentials: session.credentials } : {}),
          ...(endpoint ? { endpoint } : {}),
          ...(family === 's3' && customS3Endpoint(endpoint) ? { forcePathStyle: true } : {}),
          // Requests go to the regional endpoint (or AWS_ENDPOINT_URL), not to the queue URL's host.
          ...(family === 'sqs' ? { useQueueUrlAsEndpoint: false } : {}),
        }),
      );
      pool.set(key, c);
    }
    return c as Promise<C>;
  }

  /** The credential chain's own identity (sts:GetCallerIdentity), asked once. */
  callerIdentity(signal?: AbortSignal, endpoints: Endpoints = {}): Promise<{ session: Session; arn: string }> {
    const cacheKey = JSON.stringify(endpoints);
    let caller = this.callers.get(cacheKey);
    if (!caller) {
      caller = (async () => {
        const pending: Session = { accountId: 'caller', credentials: undefined, endpoints };
        const sts = await this.client('sts', pending, this.homeRegion, (m, c) => new m.STSClient(c));
        const { GetCallerIdentityCommand } = await sdk('sts');
        const out = await this.call(pending, this.homeRegion, 'sts:GetCallerIdentity', () => sts.send(new GetCallerIdentityCommand({})), signal);
        if (!out.Account) throw toSourceError(new Error('GetCallerIdentity returned no account'), { action: 'sts:GetCallerIdentity', account: 'caller', region: this.homeRegion });
        // Later clients of the caller are keyed by its real account id.
        return { session: { accountId: out.Account, credentials: undefined, endpoints }, arn: out.Arn ?? '' };
      })();
      caller.catch(() => this.callers.delete(cacheKey));
      this.callers.set(cacheKey, caller);
    }
    return caller;
  }

  /**
   * A session in the role's account. The first AssumeRole happens here (so a role that cannot be
   * assumed fails discovery of its account); later credentials refresh before they expire.
   */
  async assume(roleArn: string, externalId: string | undefined, signal?: AbortSignal, endpoints: Endpoints = {}): Promise<Session> {
    const cacheKey = `${roleArn}\n${externalId ?? ''}\n${JSON.stringify(endpoints)}`;
    const known = this.roles.get(cacheKey);
    if (known) return known;
    const { session: caller } = await this.callerIdentity(signal, endpoints);
    const sts = await this.client('sts', caller, this.homeRegion, (m, c) => new m.STSClient(c));
    const { AssumeRoleCommand } = await sdk('sts');
    const accountId = /::(\d{12}):/.exec(roleArn)?.[1] ?? roleArn;
    const fetchCredentials = async (): Promise<AwsCredentialIdentity> => {
      const out = await this.call(
        caller,
        this.homeRegion,
        'sts:AssumeRole',
        () =>
          sts.send(
            new AssumeRoleCommand({
              RoleArn: roleArn,
              RoleSessionName: 'elder-sync',
              DurationSeconds: SESSION_SECONDS,
              ...(externalId ? { ExternalId: externalId } : {}),
            }),
          ),
        signal,
      ).catch((error: unknown) => {
        // Denied or refused: the role's trust policy does not let the caller in (or the ExternalId is wrong).
        if (error instanceof PermissionDeniedError || error instanceof SourceAuthError) {
          const aws = error.cause as { name?: string; message?: string } | undefined;
          const why = aws?.message ? `${aws.name ?? 'Error'}: ${aws.message.split('\n')[0]}` : error.message;
          throw new SourceAuthError(
            `role ${roleArn} cannot be assumed by ${caller.accountId} (${why}); check that the role exists in account ${accountId} and that its trust policy lets the caller assume it${externalId ? ' with the configured externalId' : ''}`,
            { cause: error },
          );
        }
        throw error;
      });
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey) {
        throw toSourceError(new Error('AssumeRole returned no credentials'), { action: 'sts:AssumeRole', account: accountId, region: this.homeRegion });
      }
      return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
    };
    let current = await fetchCredentials();
    let refreshing: Promise<AwsCredentialIdentity> | undefined;
    const provider: AwsCredentialIdentityProvider = async () => {
      const expires = current.expiration?.getTime() ?? Infinity;
      if (expires - Date.now() > REFRESH_BEFORE_MS) return current;
      refreshing ??= fetchCredentials().finally(() => {
        refreshing = undefined;
      });
      current = await refreshing;
      return current;
    };
    const session: Session = { accountId, credentials: provider, endpoints };
    this.roles.set(cacheKey, session);
    return session;
  }
}

let shared: AwsRuntime | undefined;
/** One runtime per process: the limiter's buckets must be shared by every scope of a run. */
export function awsRuntime(log?: Logger): AwsRuntime {
  shared ??= new AwsRuntime();
  if (log) shared.log = log;
  return shared;
}

/** Tests only: close the shared clients and forget sessions and limiter state (e.g. after changing the environment). */
export function resetAwsRuntime(): void {
  if (shared) void shared.close();
  shared = undefined;
}
