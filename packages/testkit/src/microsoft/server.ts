/**
 * A loopback HTTPS server that speaks the Microsoft identity platform's client-credentials flow,
 * Microsoft Graph v1.0 (directory delta queries, Intune, security alerts and secure scores, `$batch`)
 * and the Defender for Endpoint API, for many tenants at once. The real `@azure/msal-node` and plain
 * `fetch` talk to it: its login base goes into msal's `authority` (with `knownAuthorities`), and the
 * test CA it generates is trusted through `NODE_EXTRA_CA_CERTS` (or a connector's `caFile`).
 *
 * It is strict where clients go wrong: tokens carry an audience (a Graph token cannot call the
 * Defender API) and the consented app roles (a missing one is a 403 naming nothing, as Graph does);
 * delta tokens expire on demand (410); pages are small; every `@odata.nextLink` and delta link points
 * back at this server; and it throttles on demand with `Retry-After`, per API family, or per item
 * inside `$batch`. Every request is logged with its time, tenant, family and status.
 */
import { createPublicKey, randomBytes, verify, X509Certificate, constants } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTls } from '../slapd/tls.js';
import type { GraphObject } from './directory.js';
import { FakeTenant, PERMISSIONS, type FakeTenantOptions, type Row } from './tenant.js';

export const GRAPH_AUDIENCE = 'https://graph.microsoft.com';
export const DEFENDER_AUDIENCE = 'https://api.securitycenter.microsoft.com';

/** API families, as Microsoft throttles them (and as the log and `throttle()` name them). */
export type ApiFamily = 'login' | 'directory' | 'intune' | 'security-alerts' | 'security-score' | 'defender' | 'vulnerability-export';

export interface RequestLogEntry {
  /** `Date.now()` when the request arrived. */
  at: number;
  tenant: string | undefined;
  family: ApiFamily;
  method: string;
  /** Path and query, as sent. */
  url: string;
  status: number;
  /** For `$batch`: the sub-requests, with their status. */
  batch?: { url: string; status: number }[];
}

export interface ThrottleRecord {
  tenant: string;
  family: ApiFamily;
  /** When the 429 was sent. */
  at: number;
  /** The time its `Retry-After` named: no request of this tenant and family may arrive before it. */
  until: number;
  /** Inside a `$batch` response (the sub-request's URL), or undefined for a whole request. */
  batchItem?: string;
}

export interface MicrosoftFakeOptions {
  tenants?: FakeTenantOptions[];
  /** Items per page of every listing (default 3: paging is exercised on small data). */
  pageSize?: number;
  /** Members per `members@delta` entry before a group is split across entries (default 2). */
  membersPerEntry?: number;
  /** Access-token lifetime in seconds (default 3599). */
  tokenLifetimeSeconds?: number;
}

export interface MicrosoftFake {
  /** `https://127.0.0.1:PORT`: login, Graph (`/v1.0`) and Defender (`/api`) all answer here. */
  readonly url: string;
  /** PEM of the CA that signed the server certificate. */
  readonly caFile: string;
  readonly endpoints: { login: string; graph: string; defender: string };
  tenant(idOrDomain: string): FakeTenant;
  addTenant(options: FakeTenantOptions): FakeTenant;
  /** The next `times` requests of that tenant and family answer 429 with `Retry-After: retryAfterSeconds`. */
  throttle(tenant: string, family: ApiFamily, times: number, retryAfterSeconds: number): void;
  /** The next `times` sub-requests inside `$batch` requests of that tenant answer 429 (inside a 200). */
  throttleBatchItems(tenant: string, times: number, retryAfterSeconds: number): void;
  requests(): RequestLogEntry[];
  throttles(): ThrottleRecord[];
  clearLog(): void;
  /** Tokens issued, by tenant and audience. */
  tokensIssued(): { tenant: string; audience: string }[];
  close(): Promise<void>;
}

interface IssuedToken {
  tenant: FakeTenant;
  audience: string;
  roles: string[];
  expires: number;
}

interface Reply {
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}

class HttpReply extends Error {
  constructor(readonly reply: Reply) {
    super(`HTTP ${reply.status}`);
  }
}

const graphError = (status: number, code: string, message: string, headers?: Record<string, string>): HttpReply =>
  new HttpReply({ status, headers, body: { error: { code, message, innerError: { date: new Date().toISOString(), 'request-id': randomBytes(8).toString('hex') } } } });

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const decode = <T>(token: string | null, what: string): T => {
  try {
    return JSON.parse(Buffer.from(String(token), 'base64url').toString('utf8')) as T;
  } catch {
    throw graphError(400, 'BadRequest', `Invalid ${what}.`);
  }
};

const DIRECTORY_COLLECTIONS = ['users', 'groups', 'devices'] as const;
type DirectoryCollection = (typeof DIRECTORY_COLLECTIONS)[number];

export async function startMicrosoftFake(options: MicrosoftFakeOptions = {}): Promise<MicrosoftFake> {
  const dir = await mkdtemp(join(tmpdir(), 'ms-fake-'));
  const tls = await makeTls(dir);
  const [key, cert] = await Promise.all([readFile(tls.keyFile), readFile(tls.certFile)]);
  const pageSize = options.pageSize ?? 3;
  const membersPerEntry = options.membersPerEntry ?? 2;
  const lifetime = options.tokenLifetimeSeconds ?? 3599;

  const tenants = new Map<string, FakeTenant>();
  const tokens = new Map<string, IssuedToken>();
  const issued: { tenant: string; audience: string }[] = [];
  const log: RequestLogEntry[] = [];
  const throttleLog: ThrottleRecord[] = [];
  const throttlePlan = new Map<string, { times: number; seconds: number }>();
  const batchThrottlePlan = new Map<string, { times: number; seconds: number }>();
  let base = '';

  const lookup = (idOrDomain: string): FakeTenant | undefined => tenants.get(idOrDomain.toLowerCase());
  const addTenant = (o: FakeTenantOptions): FakeTenant => {
    const t = new FakeTenant(o);
    tenants.set(o.id.toLowerCase(), t);
    if (o.domain) tenants.set(o.domain.toLowerCase(), t);
    return t;
  };
  for (const o of options.tenants ?? []) addTenant(o);

  // ---- login.microsoftonline.com ----
  const openIdConfiguration = (tenantPath: string): Reply => {
    const t = lookup(tenantPath);
    if (!t) return { status: 400, body: { error: 'invalid_tenant', error_description: `AADSTS90002: Tenant '${tenantPath}' not found.`, error_codes: [90002] } };
    const b = `${base}/${tenantPath}`;
    return {
      status: 200,
      body: {
        token_endpoint: `${b}/oauth2/v2.0/token`,
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        jwks_uri: `${base}/${tenantPath}/discovery/v2.0/keys`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        issuer: `${base}/${t.id}/v2.0`,
        request_uri_parameter_supported: false,
        userinfo_endpoint: `${base}/oidc/userinfo`,
        authorization_endpoint: `${b}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${b}/oauth2/v2.0/devicecode`,
        http_logout_supported: true,
        frontchannel_logout_supported: true,
        end_session_endpoint: `${b}/oauth2/v2.0/logout`,
        claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'tid'],
        kerberos_endpoint: `${b}/kerberos`,
        tenant_region_scope: 'EU',
        cloud_instance_name: 'microsoftonline.com',
        cloud_graph_host_name: 'graph.windows.net',
        msgraph_host: 'graph.microsoft.com',
        rbac_url: 'https://pas.windows.net',
      },
    };
  };

  const tokenError = (status: number, error: string, code: number, description: string): Reply => ({
    status,
    body: {
      error,
      error_description: `AADSTS${code}: ${description} Trace ID: ${randomBytes(8).toString('hex')} Timestamp: ${new Date().toISOString()}`,
      error_codes: [code],
      timestamp: new Date().toISOString(),
    },
  });

  const issueToken = (tenantPath: string, form: URLSearchParams): Reply => {
    const t = lookup(tenantPath);
    if (!t) return tokenError(400, 'invalid_request', 90002, `Tenant '${tenantPath}' not found.`);
    if (form.get('grant_type') !== 'client_credentials') return tokenError(400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
    const clientId = form.get('client_id');
    if (clientId !== t.options.clientId || t.options.appRemoved) {
      return tokenError(400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory '${t.id}'.`);
    }
    const secret = form.get('client_secret');
    const assertion = form.get('client_assertion');
    if (secret !== null) {
      if (t.options.clientSecret === undefined || secret !== t.options.clientSecret) {
        return tokenError(401, 'invalid_client', 7000215, 'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.');
      }
      if (t.options.secretExpired) {
        return tokenError(401, 'invalid_client', 7000222, `The provided client secret keys for app '${clientId}' are expired.`);
      }
    } else if (assertion !== null) {
      const problem = assertionProblem(assertion, t, `${base}/${tenantPath}/oauth2/v2.0/token`);
      if (problem) return tokenError(401, 'invalid_client', 700027, `Client assertion failed signature validation: ${problem}.`);
    } else {
      return tokenError(401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    }
    const scope = form.get('scope') ?? '';
    const audience = scope.replace(/\/\.default$/, '').replace(/\/$/, '');
    if (audience !== GRAPH_AUDIENCE && audience !== DEFENDER_AUDIENCE) {
      return tokenError(400, 'invalid_resource', 500011, `The resource principal named ${audience} was not found in the tenant.`);
    }
    const token = `fake.${randomBytes(24).toString('base64url')}`;
    tokens.set(token, { tenant: t, audience, roles: [...t.roles], expires: Date.now() + lifetime * 1000 });
    issued.push({ tenant: t.id, audience });
    return { status: 200, body: { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: token } };
  };

  // ---- resource APIs ----
  const authenticate = (req: IncomingMessage, audience: string): IssuedToken => {
    const header = req.headers.authorization ?? '';
    const token = /^Bearer (\S+)$/.exec(header)?.[1];
    const found = token ? tokens.get(token) : undefined;
    if (!found) throw graphError(401, 'InvalidAuthenticationToken', token ? 'Invalid JWT access token.' : 'Access token is empty.');
    if (found.expires < Date.now()) throw graphError(401, 'InvalidAuthenticationToken', 'Lifetime validation failed, the token is expired.');
    if (found.audience !== audience) throw graphError(401, 'InvalidAuthenticationToken', `Invalid audience: the token is for ${found.audience}.`);
    return found;
  };

  const requireRole = (token: IssuedToken, role: string, defender = false): void => {
    if (token.roles.includes(role)) return;
    if (defender) {
      throw new HttpReply({ status: 403, body: { error: { code: 'Forbidden', message: `The application does not have any of the required application roles (${role}) to access the resource.`, target: randomBytes(8).toString('hex') } } });
    }
    throw graphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
  };

  /** A page of `items` from `offset`, with a nextLink built by `next(offset)` when more remain. */
  const page = (items: unknown[], offset: number, next: (offset: number) => string, extra: Record<string, unknown> = {}) => {
    const value = items.slice(offset, offset + pageSize);
    const more = offset + pageSize < items.length;
    return { ...extra, value, ...(more ? { '@odata.nextLink': next(offset + pageSize) } : {}) };
  };

  const familyOf = (path: string): ApiFamily => {
    if (path.startsWith('/api/machines/SoftwareVulnerabilit')) return 'vulnerability-export';
    if (path.startsWith('/api/')) return 'defender';
    if (path.startsWith('/v1.0/deviceManagement')) return 'intune';
    if (path.startsWith('/v1.0/security/alerts')) return 'security-alerts';
    if (path.startsWith('/v1.0/security/secureScores')) return 'security-score';
    if (path.startsWith('/v1.0/')) return 'directory';
    return 'login';
  };

  /** One Graph request (also the body of a `$batch` item). */
  const graph = (token: IssuedToken, method: string, url: URL): Reply => {
    const t = token.tenant;
    const path = url.pathname.replace(/^\/v1\.0/, '');
    const q = url.searchParams;
    if (method !== 'GET') throw graphError(405, 'Request_BadRequest', `${method} is not supported on ${path}.`);

    const delta = /^\/(users|groups|devices)\/delta$/.exec(path);
    if (delta) return { status: 200, body: deltaPage(token, delta[1] as DirectoryCollection, q) };

    const memberOf = /^\/(users|groups)\/([^/]+)\/memberOf\/microsoft\.graph\.group$/.exec(path);
    if (memberOf) {
      requireRole(token, PERMISSIONS.groups);
      const [, collection, id] = memberOf;
      if (!t[collection as 'users' | 'groups'].get(id!)) throw graphError(404, 'Request_ResourceNotFound', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);
      const groups = t.memberships.groupsOf(id!).map((g) => ({ '@odata.type': '#microsoft.graph.group', id: g }));
      const offset = Number(q.get('$skiptoken') ?? 0);
      return { status: 200, body: page(groups, offset, (o) => `${base}/v1.0/${collection}/${id}/memberOf/microsoft.graph.group?$select=id&$skiptoken=${o}`) };
    }

    const list = /^\/(users|groups|devices)$/.exec(path);
    if (list) {
      const collection = list[1] as DirectoryCollection;
      requireRole(token, PERMISSIONS[collection]);
      const top = Math.min(Number(q.get('$top') ?? pageSize), 999);
      const offset = Number(q.get('$skiptoken') ?? 0);
      const all = t[collection].all();
      const value = all.slice(offset, offset + top);
      const more = offset + top < all.length;
      return { status: 200, body: { value, ...(more ? { '@odata.nextLink': `${base}/v1.0/${collection}?$top=${top}&$skiptoken=${offset + top}` } : {}) } };
    }

    const byDeviceId = /^\/devices\(deviceId='([^']+)'\)$/.exec(path);
    if (byDeviceId) {
      requireRole(token, PERMISSIONS.devices);
      const found = t.devices.all().find((d) => d.deviceId === byDeviceId[1]);
      if (!found) throw graphError(404, 'Request_ResourceNotFound', `Resource 'deviceId=${byDeviceId[1]}' does not exist.`);
      return { status: 200, body: found };
    }

    const single = /^\/(users|groups|devices)\/([^/]+)$/.exec(path);
    if (single) {
      const collection = single[1] as DirectoryCollection;
      requireRole(token, PERMISSIONS[collection]);
      const found = t[collection].get(single[2]!);
      if (!found) throw graphError(404, 'Request_ResourceNotFound', `Resource '${single[2]}' does not exist or one of its queried reference-property objects are not present.`);
      return { status: 200, body: found };
    }

    if (path === '/deviceManagement/managedDevices') {
      requireRole(token, PERMISSIONS.managedDevices);
      // Intune ignores $filter on most managedDevice properties and returns everything (the issue's quirk).
      const all = [...t.managedDevices.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
      const offset = Number(q.get('$skiptoken') ?? 0);
      return { status: 200, body: page(all, offset, (o) => `${base}/v1.0/deviceManagement/managedDevices?$skiptoken=${o}`) };
    }

    if (path === '/security/alerts_v2') {
      requireRole(token, PERMISSIONS.alerts);
      let all = [...t.alerts.values()];
      const filter = q.get('$filter');
      if (filter) {
        const m = /^lastUpdateDateTime ge (\S+)$/.exec(filter);
        if (!m) throw graphError(400, 'BadRequest', `Invalid filter clause: ${filter}`);
        const since = Date.parse(m[1]!);
        if (Number.isNaN(since)) throw graphError(400, 'BadRequest', `Invalid date in filter: ${m[1]}`);
        all = all.filter((a) => Date.parse(String(a.lastUpdateDateTime)) >= since);
      }
      all.sort((a, b) => String(a.lastUpdateDateTime).localeCompare(String(b.lastUpdateDateTime)) || (a.id < b.id ? -1 : 1));
      const offset = Number(q.get('$skiptoken') ?? 0);
      const keep = new URLSearchParams();
      if (filter) keep.set('$filter', filter);
      return { status: 200, body: page(all, offset, (o) => `${base}/v1.0/security/alerts_v2?${keep.toString() ? `${keep.toString()}&` : ''}$skiptoken=${o}`) };
    }

    if (path === '/security/secureScores') {
      requireRole(token, PERMISSIONS.secureScore);
      const top = Number(q.get('$top') ?? pageSize);
      const all = [...t.secureScores].sort((a, b) => String(b.createdDateTime).localeCompare(String(a.createdDateTime)));
      return { status: 200, body: { value: all.slice(0, top) } };
    }

    throw graphError(404, 'Request_UnsupportedQuery', `Unsupported request: ${path}`);
  };

  /** `/users/delta` and friends: the initial round, or what changed since a delta token. */
  const deltaPage = (token: IssuedToken, collection: DirectoryCollection, q: URLSearchParams) => {
    const t = token.tenant;
    requireRole(token, PERMISSIONS[collection]);
    type Skip = { since: number; upto: number; offset: number };
    let state: Skip;
    if (q.has('$skiptoken')) state = decode<Skip>(q.get('$skiptoken'), 'skip token');
    else if (q.has('$deltatoken')) state = { since: decode<{ v: number }>(q.get('$deltatoken'), 'delta token').v, upto: t.clock.current, offset: 0 };
    else state = { since: 0, upto: t.clock.current, offset: 0 };
    if (state.since > 0 && state.since < t.deltaExpiredBefore) {
      throw graphError(410, 'resyncRequired', 'Resync required. Replace any local cached data with the data returned by the initial delta request.');
    }
    const entries = deltaEntries(t, collection, state.since);
    const value = entries.slice(state.offset, state.offset + pageSize);
    const link = `${base}/v1.0/${collection}/delta`;
    if (state.offset + pageSize < entries.length) {
      return { '@odata.context': `${base}/v1.0/$metadata#${collection}`, value, '@odata.nextLink': `${link}?$skiptoken=${encode({ ...state, offset: state.offset + pageSize })}` };
    }
    return { '@odata.context': `${base}/v1.0/$metadata#${collection}`, value, '@odata.deltaLink': `${link}?$deltatoken=${encode({ v: state.upto })}` };
  };

  const deltaEntries = (t: FakeTenant, collection: DirectoryCollection, since: number): GraphObject[] => {
    const { changed, removed } = t[collection].changedSince(since);
    const gone = removed.map((id) => ({ id, '@removed': { reason: 'deleted' } }));
    if (collection !== 'groups') return [...changed, ...gone];
    // A group whose membership changed is reported with the changes only; a long list is split into
    // several entries for the same group (members@delta "split across pages").
    const touched = new Map(changed.map((g) => [g.id, g]));
    for (const id of t.memberships.groupsChangedSince(since)) {
      const g = t.groups.get(id);
      if (g && !touched.has(id)) touched.set(id, g);
    }
    const out: GraphObject[] = [];
    for (const g of [...touched.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) {
      const members = (since === 0 ? t.memberships.of(g.id).map((m) => ({ memberId: m.id, memberType: m.type, removed: false })) : t.memberships.changesSince(g.id, since)).map((m) => ({
        '@odata.type': `#microsoft.graph.${m.memberType}`,
        id: m.memberId,
        ...(m.removed ? { '@removed': { reason: 'deleted' } } : {}),
      }));
      if (members.length === 0) {
        out.push({ ...g });
        continue;
      }
      for (let i = 0; i < members.length; i += membersPerEntry) {
        const chunk = members.slice(i, i + membersPerEntry);
        out.push(i === 0 ? { ...g, 'members@delta': chunk } : { id: g.id, 'members@delta': chunk });
      }
    }
    return [...out, ...gone];
  };

  /** Defender for Endpoint API (`https://api.security.microsoft.com/api/...`). */
  const defender = (token: IssuedToken, url: URL): Reply => {
    const t = token.tenant;
    const q = url.searchParams;
    const offset = Number(q.get('$skiptoken') ?? 0);
    if (url.pathname === '/api/machines') {
      requireRole(token, PERMISSIONS.machines, true);
      const all = [...t.machines.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
      return { status: 200, body: page(all, offset, (o) => `${base}/api/machines?$skiptoken=${o}`, { '@odata.context': `${base}/api/$metadata#Machines` }) };
    }
    if (url.pathname === '/api/machines/SoftwareVulnerabilitiesByMachine') {
      requireRole(token, PERMISSIONS.vulnerabilities, true);
      const all = [...t.vulnerabilities.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
      return { status: 200, body: page(all, offset, (o) => `${base}/api/machines/SoftwareVulnerabilitiesByMachine?$skiptoken=${o}`) };
    }
    if (url.pathname === '/api/machines/SoftwareVulnerabilityChangesByMachine') {
      requireRole(token, PERMISSIONS.vulnerabilities, true);
      const sinceText = q.get('sinceTime');
      const since = sinceText === null ? Number.NaN : Date.parse(sinceText);
      if (Number.isNaN(since)) throw new HttpReply({ status: 400, body: { error: { code: 'InvalidRequestBody', message: 'sinceTime is required and must be a date-time.' } } });
      const all = t.vulnerabilityChanges.filter((c) => Date.parse(String(c.eventTimestamp)) > since);
      return {
        status: 200,
        body: page(all, offset, (o) => `${base}/api/machines/SoftwareVulnerabilityChangesByMachine?sinceTime=${encodeURIComponent(sinceText!)}&$skiptoken=${o}`),
      };
    }
    throw new HttpReply({ status: 404, body: { error: { code: 'ResourceNotFound', message: `${url.pathname} was not found.` } } });
  };

  const throttled = (tenant: string | undefined, family: ApiFamily): Reply | undefined => {
    if (tenant === undefined) return undefined;
    const plan = throttlePlan.get(`${tenant}/${family}`);
    if (!plan || plan.times <= 0) return undefined;
    plan.times--;
    const at = Date.now();
    throttleLog.push({ tenant, family, at, until: at + plan.seconds * 1000 });
    return {
      status: 429,
      headers: { 'Retry-After': String(plan.seconds) },
      body: family === 'defender' || family === 'vulnerability-export'
        ? { error: { code: 'TooManyRequests', message: 'API calls quota exceeded! Maximum allowed: 100 per minute.' } }
        : { error: { code: 'TooManyRequests', message: 'Too many requests.' } },
    };
  };

  const batch = (token: IssuedToken, body: unknown, entry: RequestLogEntry): Reply => {
    const requests = (body as { requests?: unknown })?.requests;
    if (!Array.isArray(requests) || requests.length === 0) throw graphError(400, 'BadRequest', 'Invalid batch payload: requests is required.');
    if (requests.length > 20) throw graphError(400, 'BadRequest', 'Invalid batch payload format: the number of requests exceeds the limit of 20.');
    const tenant = token.tenant.id;
    entry.batch = [];
    const responses = requests.map((r: { id?: unknown; method?: unknown; url?: unknown }) => {
      const id = String(r.id);
      const itemUrl = String(r.url);
      let reply: Reply;
      const plan = batchThrottlePlan.get(tenant);
      if (plan && plan.times > 0) {
        plan.times--;
        const at = Date.now();
        throttleLog.push({ tenant, family: 'directory', at, until: at + plan.seconds * 1000, batchItem: itemUrl });
        reply = { status: 429, headers: { 'Retry-After': String(plan.seconds) }, body: { error: { code: 'TooManyRequests', message: 'Too many requests.' } } };
      } else {
        try {
          reply = graph(token, String(r.method ?? 'GET'), new URL(`/v1.0${itemUrl.startsWith('/') ? '' : '/'}${itemUrl}`, base));
        } catch (error) {
          if (!(error instanceof HttpReply)) throw error;
          reply = error.reply;
        }
      }
      entry.batch!.push({ url: itemUrl, status: reply.status });
      return { id, status: reply.status, headers: { 'Content-Type': 'application/json', ...(reply.headers ?? {}) }, body: reply.body };
    });
    return { status: 200, body: { responses } };
  };

  const handle = async (req: IncomingMessage, url: URL, body: string, entry: RequestLogEntry): Promise<Reply> => {
    const path = url.pathname;
    const discovery = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(path);
    if (req.method === 'GET' && discovery) {
      entry.tenant = lookup(discovery[1]!)?.id;
      return openIdConfiguration(discovery[1]!);
    }
    const tokenPath = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(path);
    if (req.method === 'POST' && tokenPath) {
      entry.tenant = lookup(tokenPath[1]!)?.id;
      return issueToken(tokenPath[1]!, new URLSearchParams(body));
    }
    if (path.startsWith('/api/')) {
      const token = authenticate(req, DEFENDER_AUDIENCE);
      entry.tenant = token.tenant.id;
      const slow = throttled(entry.tenant, entry.family);
      if (slow) return slow;
      if (req.method !== 'GET') throw new HttpReply({ status: 405, body: { error: { code: 'MethodNotAllowed', message: req.method } } });
      return defender(token, url);
    }
    if (path.startsWith('/v1.0/')) {
      const token = authenticate(req, GRAPH_AUDIENCE);
      entry.tenant = token.tenant.id;
      const slow = throttled(entry.tenant, entry.family);
      if (slow) return slow;
      if (path === '/v1.0/$batch' && req.method === 'POST') {
        let parsed: unknown;
        try {
          parsed = JSON.parse(body);
        } catch {
          throw graphError(400, 'BadRequest', 'Unable to read JSON request payload.');
        }
        return batch(token, parsed, entry);
      }
      return graph(token, req.method ?? 'GET', url);
    }
    throw graphError(404, 'NotFound', `No route for ${req.method} ${path}`);
  };

  const server: Server = createServer({ key, cert }, (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', base);
      const entry: RequestLogEntry = { at: Date.now(), tenant: undefined, family: familyOf(url.pathname), method: req.method ?? 'GET', url: req.url ?? '/', status: 0 };
      log.push(entry);
      handle(req, url, Buffer.concat(chunks).toString('utf8'), entry)
        .catch((error: unknown) => {
          if (error instanceof HttpReply) return error.reply;
          return { status: 500, body: { error: { code: 'InternalServerError', message: String(error) } } } satisfies Reply;
        })
        .then((reply) => {
          entry.status = reply.status;
          res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', ...(reply.headers ?? {}) });
          res.end(JSON.stringify(reply.body));
        });
    });
  });
  const sockets = new Set<Socket>();
  server.on('secureConnection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  base = `https://127.0.0.1:${port}`;

  return {
    url: base,
    caFile: tls.caFile,
    endpoints: { login: base, graph: base, defender: base },
    tenant(idOrDomain) {
      const t = lookup(idOrDomain);
      if (!t) throw new Error(`the Microsoft fake has no tenant ${idOrDomain}`);
      return t;
    },
    addTenant,
    throttle(tenant, family, times, retryAfterSeconds) {
      throttlePlan.set(`${lookup(tenant)?.id ?? tenant}/${family}`, { times, seconds: retryAfterSeconds });
    },
    throttleBatchItems(tenant, times, retryAfterSeconds) {
      batchThrottlePlan.set(lookup(tenant)?.id ?? tenant, { times, seconds: retryAfterSeconds });
    },
    requests: () => [...log],
    throttles: () => [...throttleLog],
    clearLog() {
      log.length = 0;
      throttleLog.length = 0;
      issued.length = 0;
    },
    tokensIssued: () => [...issued],
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Checks a client assertion (RFC 7523) the way Entra does, as far as a test needs: signed (RS256 or
 * PS256) by the key of the tenant's registered certificate, whose thumbprint the header names, for
 * this token endpoint, issued by the client, not expired.
 */
function assertionProblem(assertion: string, t: FakeTenant, audience: string): string | undefined {
  const pem = t.options.certificatePem;
  if (!pem) return 'no certificate is registered for this application';
  const parts = assertion.split('.');
  if (parts.length !== 3) return 'not a JWT';
  let header: { alg?: string; x5t?: string; 'x5t#S256'?: string };
  let claims: { aud?: string; iss?: string; sub?: string; exp?: number };
  try {
    header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
  } catch {
    return 'not a JWT';
  }
  const x509 = new X509Certificate(pem);
  const hex = (fingerprint: string) => Buffer.from(fingerprint.replace(/:/g, ''), 'hex').toString('base64url');
  const thumbprintOk = header['x5t#S256'] === hex(x509.fingerprint256) || header.x5t === hex(x509.fingerprint);
  if (!thumbprintOk) return 'the certificate thumbprint does not match a registered certificate';
  const key = createPublicKey(pem);
  const data = Buffer.from(`${parts[0]}.${parts[1]}`);
  const signature = Buffer.from(parts[2]!, 'base64url');
  const ok =
    header.alg === 'PS256'
      ? verify('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature)
      : header.alg === 'RS256'
        ? verify('sha256', data, key, signature)
        : false;
  if (!ok) return `bad ${header.alg} signature`;
  if (claims.iss !== t.options.clientId || claims.sub !== t.options.clientId) return 'iss and sub must be the client id';
  if (claims.aud !== audience) return `aud ${claims.aud} is not ${audience}`;
  if (typeof claims.exp !== 'number' || claims.exp * 1000 < Date.now()) return 'the assertion has expired';
  return undefined;
}

export type { Row };
