import {
  PermissionDeniedError,
  SourceAuthError,
  SourceError,
  ThrottledError,
  TransientSourceError,
  NotFoundError,
  pages,
  parseRetryAfter,
  type Logger,
} from '@elder-sync/connector-sdk';
import { tokensFor, type TenantTokens } from './auth.js';
import type { CloudEndpoints } from './cloud.js';
import type { TenantConfig } from './config.js';
import { DeltaExpiredError, UnexpectedResponseError } from './errors.js';
import { redactUrl, type HttpAnswer, type HttpTransport } from './http.js';
import { limiter, limiterKey } from './limits.js';
import { RESOURCE_SPECS, type ApiFamily, type Audience, type Resource } from './resources.js';

/** Graph's `$batch` takes at most 20 requests (https://learn.microsoft.com/graph/json-batching). */
export const BATCH_LIMIT = 20;

/** A page of an OData collection. */
export interface ODataPage<T = Record<string, unknown>> {
  value: T[];
  '@odata.nextLink'?: string;
  '@odata.deltaLink'?: string;
}

export interface BatchItem {
  /** Path relative to the Graph version root, e.g. `/users/{id}?$select=id`. */
  url: string;
}

export interface BatchResult {
  status: number;
  body: unknown;
}

/**
 * Everything one tenant's read needs: its tokens, the shared transport, and every request routed
 * through the process-wide limiter under the key (tenant, app, family). Errors are translated into
 * the SDK's classes inside the limited task, so the limiter decides about retries; each message
 * names the tenant, the request and, for a 403, the application permission to grant.
 */
export class TenantSession {
  readonly tokens: TenantTokens;

  constructor(
    readonly tenant: TenantConfig,
    readonly endpoints: CloudEndpoints,
    private readonly transport: HttpTransport,
    readonly log: Logger,
    readonly signal: AbortSignal,
  ) {
    this.tokens = tokensFor(tenant, endpoints, transport);
  }

  get who(): string {
    return `tenant ${this.tenant.name} (${this.tenant.id})`;
  }

  /** Graph URL for a path below the version root (`/users/delta`). */
  graphUrl(path: string): string {
    return `${this.endpoints.graph}/v1.0${path}`;
  }

  defenderUrl(path: string): string {
    return `${this.endpoints.defender}${path}`;
  }

  /** A token for the audience, through the tenant's login key of the limiter (transient failures retried). */
  token(audience: Audience): Promise<string> {
    return limiter.run(limiterKey(this.tenant.id, this.tenant.clientId, 'login'), () => this.tokens.token(audience), { signal: this.signal });
  }

  /** GET one JSON document of `resource`'s API. */
  async get<T>(resource: Resource, url: string, headers: Record<string, string> = {}): Promise<T> {
    const spec = RESOURCE_SPECS[resource];
    return this.limited(spec.family, async () => {
      const token = await this.tokens.token(spec.audience);
      const answer = await this.transport.send({
        method: 'GET',
        url,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...headers },
        signal: this.signal,
      });
      if (answer.status !== 200) throw this.failure(answer, `GET ${redactUrl(url)}`, resource);
      return answer.body as T;
    });
  }

  /** Every page of an OData collection, following `@odata.nextLink` (absolute URLs) to the end. */
  pages<T>(resource: Resource, firstUrl: string, headers: Record<string, string> = {}): AsyncGenerator<ODataPage<T>> {
    return pages<ODataPage<T>>({
      what: `${this.who}: GET ${redactUrl(firstUrl)}`,
      fetchPage: async (next) => {
        const page = await this.get<ODataPage<T>>(resource, next ?? firstUrl, headers);
        if (page === null || typeof page !== 'object' || !Array.isArray(page.value)) {
          throw new UnexpectedResponseError(`${this.who}: GET ${redactUrl(next ?? firstUrl)} answered without a value list`);
        }
        return page;
      },
      nextToken: (page) => page['@odata.nextLink'],
    });
  }

  /**
   * Graph GETs through `$batch`, up to 20 per request. A sub-request answered 429 is sent again in a
   * later batch once its own `Retry-After` has passed: the whole batch is not repeated, and the
   * limiter blocks the tenant's directory family meanwhile. Other statuses are returned per item.
   */
  async batch(resource: Resource, items: BatchItem[]): Promise<BatchResult[]> {
    const results: (BatchResult | undefined)[] = new Array(items.length);
    for (let start = 0; start < items.length; start += BATCH_LIMIT) {
      const chunk = items.slice(start, start + BATCH_LIMIT).map((item, i) => ({ index: start + i, item }));
      await this.limited(RESOURCE_SPECS[resource].family, async () => {
        const pending = chunk.filter(({ index }) => results[index] === undefined);
        const token = await this.tokens.token('graph');
        const answer = await this.transport.send({
          method: 'POST',
          url: this.graphUrl('/$batch'),
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({ requests: pending.map(({ index, item }) => ({ id: String(index), method: 'GET', url: item.url })) }),
          signal: this.signal,
        });
        if (answer.status !== 200) throw this.failure(answer, `POST $batch (${pending.length} requests)`, resource);
        const responses = (answer.body as { responses?: { id: string; status: number; headers?: Record<string, string>; body?: unknown }[] }).responses;
        if (!Array.isArray(responses)) throw new UnexpectedResponseError(`${this.who}: $batch answered without responses`);
        let retryAfterMs: number | undefined;
        for (const r of responses) {
          const index = Number(r.id);
          if (r.status === 429) {
            const named = parseRetryAfter(headerOf(r.headers, 'retry-after'));
            retryAfterMs = Math.max(retryAfterMs ?? 0, named ?? 0);
            continue;
          }
          results[index] = { status: r.status, body: r.body };
        }
        const left = chunk.filter(({ index }) => results[index] === undefined).length;
        if (left > 0) {
          // Only the throttled items are repeated: the ones answered are kept in `results`.
          this.log.info('Microsoft throttled requests inside a $batch; they are sent again after Retry-After', { tenant: this.tenant.id, throttled: left, retryAfterMs: retryAfterMs ?? null });
          throw new ThrottledError(`${this.who}: ${left} of ${pending.length} requests in a $batch were throttled`, { retryAfterMs });
        }
      });
    }
    return results as BatchResult[];
  }

  /** The error of a non-2xx batch item, with the same classification as a whole request. */
  itemFailure(result: BatchResult, what: string, resource: Resource): SourceError {
    return this.failure({ status: result.status, headers: {}, body: result.body }, what, resource);
  }

  private limited<T>(family: ApiFamily, task: () => Promise<T>): Promise<T> {
    return limiter.run(limiterKey(this.tenant.id, this.tenant.clientId, family), task, { signal: this.signal });
  }

  private failure(answer: HttpAnswer, what: string, resource: Resource): SourceError {
    const { code, message } = errorOf(answer.body);
    const detail = `${answer.status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`;
    const retryAfterMs = parseRetryAfter(answer.headers['retry-after']);
    const spec = RESOURCE_SPECS[resource];
    if (answer.status === 429) {
      this.log.info('Microsoft throttled a request; its API family waits for Retry-After', { tenant: this.tenant.id, family: spec.family, retryAfterMs: retryAfterMs ?? null });
      return new ThrottledError(`${this.who}: ${what} was throttled (${detail})`, { retryAfterMs });
    }
    if (answer.status >= 500 || answer.status === 408) return new TransientSourceError(`${this.who}: ${what} failed (${detail})`, { retryAfterMs });
    if (answer.status === 410) return new DeltaExpiredError(`${this.who}: ${what}: the delta token has expired (${detail})`);
    if (answer.status === 401) {
      return new SourceAuthError(`${this.who}: ${what} refused the app's token (${detail}); check that the app registration still exists and is consented in this tenant`);
    }
    if (answer.status === 403) {
      return new PermissionDeniedError(
        `${this.who}: ${what} was refused (${detail}): the app registration ${this.tenant.clientId} lacks the application permission ${spec.permission}; ` +
          `grant it with admin consent in this tenant, or remove "${resource}" from resources`,
        { permission: spec.permission },
      );
    }
    if (answer.status === 404) return new NotFoundError(`${this.who}: ${what} found nothing (${detail})`);
    return new SourceError(`${this.who}: ${what} failed (${detail})`, { code: 'GRAPH_REQUEST_FAILED' });
  }
}

function headerOf(headers: Record<string, string> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return v;
  return undefined;
}

/** Graph's `{ error: { code, message } }` (Defender's too); a proxy's HTML page gives nothing. */
function errorOf(body: unknown): { code?: string; message?: string } {
  const error = (body as { error?: unknown } | null)?.error;
  if (error && typeof error === 'object') {
    const e = error as { code?: unknown; message?: unknown };
    return { code: typeof e.code === 'string' ? e.code : undefined, message: typeof e.message === 'string' ? e.message.slice(0, 300) : undefined };
  }
  return {};
}
