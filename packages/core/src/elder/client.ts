/**
 * The Elder REST client: `ElderApi` over Elder v3.2.1's real API (`/work/shared/elder-api.md`).
 *
 * Layers, one file each: `transport.ts` (keep-alive pool, concurrency cap, per-request timeout),
 * `auth.ts` (login/refresh/static token), `retry.ts` (what is transient, how long to wait),
 * `wire.ts` (both dialects in, v3.2.1 names out), `errors.ts` (typed errors). This file runs the
 * attempt loop and maps each `ElderApi` method to its route.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { ElderApiError } from '../errors.js';
import type { JsonValue } from '../json.js';
import { silentLogger, type Logger } from '../logger.js';
import { redact } from '../secrets.js';
import { createAuthenticator, type Authenticator } from './auth.js';
import { ElderAuthError, ElderHttpError, ElderWriteUncertainError } from './errors.js';
import {
  classifyNetworkError,
  classifyStatus,
  decideAfterError,
  decideAfterStatus,
  DEFAULT_RETRY_POLICY,
  parseRetryAfter,
  retryDelay,
  type RetryPolicy,
} from './retry.js';
import { createTransport, type HttpMethod, type Transport } from './transport.js';
import type {
  ElderApi,
  ElderClientOptions,
  ElderDependency,
  EntityPatch,
  ListPage,
  NewEntity,
  NewOrganization,
  OrganizationPatch,
} from './types.js';
import {
  dependencyCreateBody,
  entityCreateBody,
  entityPatchBody,
  formatValidationErrors,
  organizationCreateBody,
  organizationPatchBody,
  parseErrorBody,
  parseJson,
  toDependency,
  toEntity,
  toOrganization,
  toPage,
  toResourceDependencies,
  WireFormatError,
} from './wire.js';

export const ELDER_CLIENT_DEFAULTS = {
  timeoutMs: 30_000,
  concurrency: 8,
  maxAttempts: DEFAULT_RETRY_POLICY.maxAttempts,
  backoffBaseMs: DEFAULT_RETRY_POLICY.backoffBaseMs,
  backoffMaxMs: DEFAULT_RETRY_POLICY.backoffMaxMs,
} as const;

/** Elder caps `per_page` at 1000 (§0.1 item 5). */
const PER_PAGE = 1000;
/** `DELETE /dependencies/bulk` takes 1–100 ids (§6.1). */
const BULK_DELETE_CHUNK = 100;
/** A guard against a server whose `pages` never ends (100 million items at 1000 a page). */
const MAX_PAGES = 100_000;
/** Passes over a listing that comes back shorter than its `total` before it is called a lie. */
const MAX_LISTING_PASSES = 15;
/** Consecutive passes that find nothing new before a short listing is called a lie. */
const STALLED_PASSES = 5;

export interface ElderClientInternals {
  log?: Logger;
  /** Tests: deterministic jitter. */
  random?: () => number;
  /** Cap of a `Retry-After` delay (default 60 s). */
  retryAfterMaxMs?: number;
  /** Largest response body read (default 32 MiB, transport.ts). */
  maxResponseBytes?: number;
}

/**
 * `auth`: `required` gets a token first (logging in if needed) and renews once on 401; `optional`
 * sends the token at hand without logging in (for `/status`); `none` for the auth routes themselves.
 */
type AuthMode = 'required' | 'optional' | 'none';

interface CallSpec {
  method: HttpMethod;
  /** Resource under `/api/v1`, query included. */
  resource: string;
  body?: JsonValue;
  /**
   * False only for creates Elder cannot de-duplicate (POST /entities, POST /organizations): once
   * such a request may have been applied it is not resent (ElderWriteUncertainError).
   */
  idempotent: boolean;
  auth: AuthMode;
  /** Non-2xx statuses returned to the caller instead of thrown (404 on get/delete, 409 on dependency create). */
  accept?: readonly number[];
}

interface CallResult {
  status: number;
  text: string;
  json: unknown;
}

export function createElderClient(options: ElderClientOptions & ElderClientInternals): ElderApi {
  const log = options.log ?? silentLogger;
  const random = options.random ?? Math.random;
  const policy: RetryPolicy = {
    maxAttempts: Math.max(1, options.maxAttempts ?? ELDER_CLIENT_DEFAULTS.maxAttempts),
    backoffBaseMs: options.backoffBaseMs ?? ELDER_CLIENT_DEFAULTS.backoffBaseMs,
    backoffMaxMs: options.backoffMaxMs ?? ELDER_CLIENT_DEFAULTS.backoffMaxMs,
    retryAfterMaxMs: options.retryAfterMaxMs ?? DEFAULT_RETRY_POLICY.retryAfterMaxMs,
  };
  const transport: Transport = createTransport({
    url: options.url,
    concurrency: options.concurrency ?? ELDER_CLIENT_DEFAULTS.concurrency,
    timeoutMs: options.timeoutMs ?? ELDER_CLIENT_DEFAULTS.timeoutMs,
    ...(options.maxResponseBytes === undefined ? {} : { maxResponseBytes: options.maxResponseBytes }),
  });
  const stats = { reads: 0, writes: 0, retries: 0 };

  const authenticator: Authenticator = createAuthenticator(
    options.auth,
    async (resource, body) =>
      // Auth routes: retried on transient failures (logging in twice is harmless); every other
      // status goes back to auth.ts, which turns it into a precise ElderAuthError.
      call({ method: 'POST', resource, body, idempotent: true, auth: 'none', accept: ALL_PERMANENT }),
    log,
  );

  async function call(spec: CallSpec): Promise<CallResult> {
    const path = transport.apiPath(spec.resource);
    const { method } = spec;
    const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    let attempt = 0; // transient failures so far + 1; bounded by policy.maxAttempts
    let sent = 0; // every request sent, auth renewals included
    let renewed = false;

    for (;;) {
      attempt++;
      const authorization =
        spec.auth === 'required'
          ? await authenticator.header()
          : spec.auth === 'optional'
            ? authenticator.currentHeader()
            : undefined;
      const headers: Record<string, string> = { accept: 'application/json' };
      if (authorization !== undefined) headers.authorization = authorization;
      // Elder 415s (with an HTML body) anything that is not declared JSON (§1).
      if (body !== undefined) headers['content-type'] = 'application/json';

      const started = performance.now();
      let response;
      try {
        response = await transport.send({ method, path, headers, ...(body === undefined ? {} : { body }) });
      } catch (error) {
        const cls = classifyNetworkError(error);
        if (cls.maybeSent) count(spec);
        sent++;
        log.debug('elder request', { method, path, error: cls.reason, ms: elapsed(started), attempt: sent });
        const decision = decideAfterError(cls, attempt, policy, spec.idempotent);
        observe(method, path, 'error', started);
        if (decision === 'retry') {
          await backoff(attempt, undefined, method, path, cls.reason);
          continue;
        }
        if (decision === 'uncertain') {
          throw new ElderWriteUncertainError(
            message(`Elder ${method} ${path} failed after the request was sent (${cls.reason}); it may have been applied`),
            { method, path, cause: error },
          );
        }
        throw new ElderApiError(
          message(
            cls.transient
              ? `Elder ${method} ${path} failed: ${cls.reason} (${sent} attempt${sent === 1 ? '' : 's'})`
              : `Elder ${method} ${path} failed: ${error instanceof Error ? error.message : String(error)}`,
          ),
          { method, path, transient: cls.transient, cause: error },
        );
      }

      count(spec);
      sent++;
      const { status } = response;
      log.debug('elder request', { method, path, status, ms: elapsed(started), attempt: sent });
      observe(method, path, status, started);

      // One renewal per call: refresh (or log in again) and resend; this does not use a retry attempt.
      if (status === 401 && spec.auth === 'required' && !renewed) {
        renewed = true;
        if (await authenticator.renew(authorization)) {
          stats.retries++;
          attempt--;
          continue;
        }
      }

      if (classifyStatus(status) === 'success' || spec.accept?.includes(status)) {
        transport.succeeded();
        return { status, text: response.text, json: parseJson(response.text) };
      }
      if (status === 429) transport.throttled();

      const decision = decideAfterStatus(status, attempt, policy, spec.idempotent);
      if (decision === 'retry') {
        await backoff(attempt, parseRetryAfter(response.headers['retry-after']), method, path, `HTTP ${status}`);
        continue;
      }
      const detail = parseErrorBody(response.text);
      if (decision === 'uncertain') {
        throw new ElderWriteUncertainError(
          message(`Elder ${method} ${path} answered HTTP ${status}${suffix(detail.message)}; the create may have been applied`),
          { status, method, path },
        );
      }
      if (status === 401 && spec.auth === 'required') {
        throw new ElderAuthError(
          'ELDER_TOKEN_REJECTED',
          message(`Elder rejected the ${authenticator.describe()} (HTTP 401${suffix(detail.message)}) on ${method} ${path}`),
          { status, method, path },
        );
      }
      const validation = formatValidationErrors(detail.validationErrors);
      const transient = classifyStatus(status) === 'transient';
      throw new ElderHttpError(
        message(
          `Elder ${method} ${path} failed: HTTP ${status}${suffix(detail.message)}${validation ? ` — ${validation}` : ''}` +
            (transient ? ` (${sent} attempts)` : ''),
        ),
        {
          status,
          method,
          path,
          transient,
          attempts: sent,
          ...(detail.message === undefined ? {} : { elderMessage: redact(detail.message) }),
          validationErrors: detail.validationErrors,
        },
      );
    }
  }

  function observe(method: string, path: string, status: number | 'error', started: number): void {
    if (!options.observer) return;
    try {
      options.observer({ method, route: routeOf(path), status, durationMs: performance.now() - started, throttled: status === 429 });
    } catch {
      // Metrics must never break a sync.
    }
  }

  /**
   * Reads and writes of Elder's data. Logging in (a POST to the auth routes) is neither: a run that
   * changes nothing must report zero writes.
   */
  function count(spec: CallSpec): void {
    if (spec.auth === 'none') return;
    if (spec.method === 'GET') stats.reads++;
    else stats.writes++;
  }

  async function backoff(
    attempt: number,
    retryAfterMs: number | undefined,
    method: string,
    path: string,
    reason: string,
  ): Promise<void> {
    stats.retries++;
    const delay = retryDelay(attempt, policy, retryAfterMs, random);
    log.debug('elder retry', { method, path, reason, attempt, delayMs: delay });
    await sleep(delay);
  }

  /** Parse a JSON body we need, or fail with a permanent error naming the route. */
  function decode<T>(result: CallResult, method: string, resource: string, convert: (json: unknown) => T): T {
    try {
      if (result.json === undefined) throw new WireFormatError(notJson(result.text));
      return convert(result.json);
    } catch (error) {
      const path = transport.apiPath(resource);
      throw new ElderApiError(
        message(`Elder ${method} ${path} returned an unexpected body: ${error instanceof Error ? error.message : String(error)}`),
        { status: result.status, method, path, transient: false, cause: error },
      );
    }
  }

  /**
   * Elder answers a delete with 204 and no body (§4.3). A 2xx carrying a page or other text came from
   * something in front of Elder (a login portal, a proxy): nothing says the object is gone, so the
   * delete fails, and the next run tries it again, instead of being reported as done.
   */
  function confirmDeleted(result: CallResult, resource: string): void {
    if (result.status === 404 || result.json !== undefined || result.text.trim() === '') return;
    const path = transport.apiPath(resource);
    throw new ElderApiError(message(`Elder DELETE ${path} answered ${result.status}, but not as Elder does (204, no body): ${notJson(result.text)}`), {
      status: result.status,
      method: 'DELETE',
      path,
      transient: false,
    });
  }

  async function* pages<T extends { id: number }>(
    resource: string,
    query: Record<string, string | number | undefined>,
    convert: (raw: unknown) => T,
  ): AsyncGenerator<T[]> {
    // Lists have no stable order (entities by name only, §4.3; dependencies by a created_at that API
    // rows leave null, §6.1), so rows can shift between pages while paging: drop repeats.
    //
    // A listing is also checked for the ways a server (or what answers in its place) can lie, since
    // an index built from a short list would plan duplicates: a page of nothing but repeats (a page
    // that comes back forever), more items than the announced `total` allows, or fewer items than it
    // at the end (listed once more before giving up: rows shift under concurrent writes).
    const seen = new Set<number>();
    const label = listingLabel(resource, query);
    let stalled = 0;
    for (let pass = 1; ; pass++) {
      const before = seen.size;
      // A page that repeats is one whose items this pass has already listed (a later pass relists them all).
      const thisPass = new Set<number>();
      let announced: number | null = null;
      let highest = 0;
      for (let page = 1; ; page++) {
        if (page > MAX_PAGES) throw listingError(`Elder's listing of ${label} did not end after ${MAX_PAGES} pages`);
        const { result, target, envelope } = await requestPage(resource, query, page);
        if (envelope.total !== null) {
          announced = envelope.total;
          highest = Math.max(highest, envelope.total);
        }
        const fresh: T[] = [];
        let newThisPass = 0;
        for (const raw of envelope.items) {
          const item = decode(result, 'GET', target, () => convert(raw));
          if (!thisPass.has(item.id)) {
            thisPass.add(item.id);
            newThisPass++;
          }
          if (seen.has(item.id)) continue;
          seen.add(item.id);
          fresh.push(item);
        }
        if (fresh.length > 0) yield fresh;
        if (envelope.items.length === 0 || envelope.page >= envelope.pages) break;
        if (newThisPass === 0) {
          throw listingError(
            `Elder's listing of ${label} does not advance: page ${page} holds only items already listed (a page that repeats forever); stopped`,
          );
        }
        if (envelope.total !== null && seen.size > highest + PER_PAGE) {
          throw listingError(`Elder's listing of ${label} runs past the ${highest} items its total announced (${seen.size} so far); stopped`);
        }
      }
      if (announced === null || seen.size >= announced) return;
      // Rows with equal names come back in any order (§0.1 item 5), so a pass can miss some: list
      // again while that finds new ones; several passes in a row that find none mean the total is not true.
      stalled = pass > 1 && seen.size === before ? stalled + 1 : 0;
      if (stalled >= STALLED_PASSES || pass >= MAX_LISTING_PASSES) {
        throw listingError(
          `Elder's listing of ${label} ended after ${seen.size} of the ${announced} items its total announced (listed ${pass} times); an index built from it would be incomplete`,
        );
      }
      log.debug('elder listing shorter than its total; listing again', { resource: label, listed: seen.size, total: announced, pass });
    }
  }

  function listingError(text: string): ElderApiError {
    return Object.assign(new ElderApiError(message(text), { method: 'GET', path: transport.apiPath(''), transient: false }), {
      code: 'ELDER_LISTING_INCONSISTENT',
    });
  }

  /** One page of a list, with how many pages the list has (for fetching the others concurrently). */
  async function onePage<T>(
    resource: string,
    query: Record<string, string | number | undefined>,
    page: number,
    convert: (raw: unknown) => T,
  ): Promise<ListPage<T>> {
    const { result, target, envelope } = await requestPage(resource, query, page);
    const items = envelope.items.map((raw) => decode(result, 'GET', target, () => convert(raw)));
    return { items, page: envelope.page, pages: Math.min(envelope.pages, MAX_PAGES), total: envelope.total, what: listingLabel(resource, query) };
  }

  /** GET one page of a list (PER_PAGE items) and its envelope; items are left raw. */
  async function requestPage(resource: string, query: Record<string, string | number | undefined>, page: number) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    params.set('page', String(page));
    params.set('per_page', String(PER_PAGE));
    const target = `${resource}?${params.toString()}`;
    const result = await call({ method: 'GET', resource: target, idempotent: true, auth: 'required' });
    return { result, target, envelope: decode(result, 'GET', target, (json) => toPage(json, page)) };
  }

  const api: ElderApi = {
    stats,
    get waiting() {
      return transport.waiting;
    },
    get latencyFloorMs() {
      return transport.latencyFloorMs;
    },

    listOrganizationsPage(page, query = {}) {
      return onePage('/organizations', { parent_id: query.parentId, name: query.name }, page, toOrganization);
    },

    listEntitiesPage(page, query) {
      return onePage('/entities', { organization_id: query.organizationId, entity_type: query.entityType, name: query.name }, page, toEntity);
    },

    listDependenciesPage(page, query) {
      return onePage(
        '/dependencies',
        { dependency_type: query.dependencyType, source_type: query.sourceType, target_type: query.targetType },
        page,
        toDependency,
      );
    },

    async status() {
      const result = await call({ method: 'GET', resource: '/status', idempotent: true, auth: 'optional' });
      return decode(result, 'GET', '/status', (json) => {
        const raw = json as Record<string, unknown> | null;
        if (raw === null || typeof raw !== 'object' || typeof raw.service !== 'string') {
          throw new WireFormatError('expected {"service","version",…}; is this URL an Elder API?');
        }
        return { service: raw.service, version: typeof raw.version === 'string' ? raw.version : 'unknown' };
      });
    },

    async checkAuth() {
      await call({ method: 'GET', resource: '/entities?page=1&per_page=1', idempotent: true, auth: 'required' });
    },

    listOrganizations(query = {}) {
      return pages('/organizations', { parent_id: query.parentId, name: query.name }, toOrganization);
    },

    async getOrganization(id) {
      const resource = `/organizations/${int(id)}`;
      const result = await call({ method: 'GET', resource, idempotent: true, auth: 'required', accept: [404] });
      return result.status === 404 ? null : decode(result, 'GET', resource, toOrganization);
    },

    async createOrganization(org: NewOrganization) {
      const result = await call({
        method: 'POST',
        resource: '/organizations',
        body: organizationCreateBody(org),
        idempotent: false,
        auth: 'required',
      });
      return decode(result, 'POST', '/organizations', toOrganization);
    },

    async updateOrganization(id, patch: OrganizationPatch) {
      const resource = `/organizations/${int(id)}`;
      const body = organizationPatchBody(patch);
      // Elder answers 400 "No fields to update" to an empty org PATCH (§3.3): nothing to send.
      if (Object.keys(body).length === 0) {
        const current = await api.getOrganization(id);
        if (current === null) throw notFound('PATCH', resource);
        return current;
      }
      const result = await call({ method: 'PATCH', resource, body, idempotent: true, auth: 'required' });
      return decode(result, 'PATCH', resource, toOrganization);
    },

    async deleteOrganization(id) {
      // 404 = already gone. Elder cascade-deletes the org's entities (§0.1 item 9): the caller decides.
      const resource = `/organizations/${int(id)}`;
      confirmDeleted(await call({ method: 'DELETE', resource, idempotent: true, auth: 'required', accept: [404] }), resource);
    },

    listEntities(query) {
      return pages(
        '/entities',
        { organization_id: query.organizationId, entity_type: query.entityType, name: query.name },
        toEntity,
      );
    },

    async getEntity(id) {
      const resource = `/entities/${int(id)}`;
      const result = await call({ method: 'GET', resource, idempotent: true, auth: 'required', accept: [404] });
      return result.status === 404 ? null : decode(result, 'GET', resource, toEntity);
    },

    async createEntity(entity: NewEntity) {
      const result = await call({
        method: 'POST',
        resource: '/entities',
        body: entityCreateBody(entity),
        idempotent: false,
        auth: 'required',
      });
      return decode(result, 'POST', '/entities', toEntity);
    },

    async updateEntity(id, patch: EntityPatch) {
      const resource = `/entities/${int(id)}`;
      // An empty entity PATCH is valid (it only bumps updated_at, §4.3); send it as asked.
      const result = await call({
        method: 'PATCH',
        resource,
        body: entityPatchBody(patch),
        idempotent: true,
        auth: 'required',
      });
      return decode(result, 'PATCH', resource, toEntity);
    },

    async deleteEntity(id) {
      // 404 = already gone (also after a retried DELETE that was applied). 400 "Cannot delete entity
      // with N dependencies" is permanent and surfaces with Elder's message (§4.3).
      const resource = `/entities/${int(id)}`;
      confirmDeleted(await call({ method: 'DELETE', resource, idempotent: true, auth: 'required', accept: [404] }), resource);
    },

    listDependencies(query) {
      return pages(
        '/dependencies',
        { dependency_type: query.dependencyType, source_type: query.sourceType, target_type: query.targetType },
        toDependency,
      );
    },

    async entityDependencies(entityId) {
      const resource = `/dependencies/resource/entity/${int(entityId)}`;
      const result = await call({ method: 'GET', resource, idempotent: true, auth: 'required', accept: [404] });
      if (result.status === 404) return [];
      return decode(result, 'GET', resource, (json): ElderDependency[] =>
        toResourceDependencies(json, 'entity', entityId),
      );
    },

    async createDependency(dep) {
      // Idempotent thanks to Elder's duplicate check: a resend after an applied create gets 409 (§6.1).
      const result = await call({
        method: 'POST',
        resource: '/dependencies',
        body: dependencyCreateBody(dep),
        idempotent: true,
        auth: 'required',
        accept: [409],
      });
      return decode(result, 'POST', '/dependencies', (json) => {
        const raw = (json ?? {}) as Record<string, unknown>;
        const value = result.status === 409 ? raw.dependency_id : raw.id;
        if (typeof value !== 'number') {
          throw new WireFormatError(result.status === 409 ? 'a 409 without dependency_id' : 'a dependency without id');
        }
        return value;
      });
    },

    async deleteDependencies(ids) {
      const unique = [...new Set(ids.map(int))];
      for (let i = 0; i < unique.length; i += BULK_DELETE_CHUNK) {
        await call({
          method: 'DELETE',
          resource: '/dependencies/bulk',
          body: { ids: unique.slice(i, i + BULK_DELETE_CHUNK) },
          idempotent: true,
          auth: 'required',
        });
      }
    },

    async close() {
      await transport.close();
    },
  };
  return api;

  function notFound(method: string, resource: string): ElderHttpError {
    const path = transport.apiPath(resource);
    return new ElderHttpError(`Elder ${method} ${path} failed: HTTP 404 (not found)`, {
      status: 404,
      method,
      path,
      transient: false,
      attempts: 1,
    });
  }
}

/**
 * `/api/v1/entities/42?page=2` → `/api/v1/entities/{id}`: metric labels must stay a small set
 * (Prometheus keeps one series per label combination).
 */
export function routeOf(path: string): string {
  return (path.split('?')[0] ?? path).replace(/\/\d+(?=\/|$)/g, '/{id}');
}

/** Every status the retry policy treats as permanent, for callers that interpret them (auth routes). */
const ALL_PERMANENT: readonly number[] = Array.from({ length: 500 }, (_, i) => i + 100).filter(
  (s) => classifyStatus(s) === 'permanent',
);

function int(id: number): number {
  if (!Number.isSafeInteger(id) || id < 1) throw new TypeError(`Elder ids are positive integers, got ${id}`);
  return id;
}

/** Why a 2xx body is not the JSON Elder sends: an HTML page (a web UI, a login portal, a proxy) or other text. */
function notJson(text: string): string {
  const trimmed = text.trimStart();
  if (trimmed === '') return 'expected a JSON body, got an empty one';
  if (/^<(!doctype|html|head|body|\?xml)/i.test(trimmed)) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(trimmed)?.[1]?.replace(/\s+/g, ' ').trim();
    return `expected JSON, got an HTML page${title ? ` ("${title.slice(0, 80)}")` : ''}: is elder.url the Elder API, not its web UI, a login portal or a proxy's page?`;
  }
  return `expected JSON, got text starting ${JSON.stringify(trimmed.slice(0, 40))}`;
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}

function suffix(text: string | undefined): string {
  return text === undefined ? '' : ` ${text}`;
}

/** Every message passes the secret registry: tokens and passwords never reach an error or a log. */
function message(text: string): string {
  return redact(text);
}

/** A listing as errors and the listing guard name it: `/entities (organization_id=3, entity_type=user)`. */
function listingLabel(resource: string, query: Record<string, string | number | undefined>): string {
  const filters = Object.entries(query).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
  return `${resource}${filters.length ? ` (${filters.join(', ')})` : ''}`;
}
