/**
 * Wire-level tests against a tiny scripted `node:http` server: each test says exactly what Elder
 * answers, so retry, auth and uncertainty paths are checked byte for byte. The emulator-based
 * tests (`client.emulator.test.ts`) cover the full API surface.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ElderApiError } from '../errors.js';
import { createLogger } from '../logger.js';
import { clearSecrets } from '../secrets.js';
import { createElderClient } from './client.js';
import { ElderAuthError, ElderHttpError, ElderWriteUncertainError } from './errors.js';
import type { ElderApi, ElderClientOptions } from './types.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Handler = (req: Seen, res: ServerResponse, n: number) => void;

interface Scripted {
  url: string;
  seen: Seen[];
  close(): Promise<void>;
}

const servers: Scripted[] = [];
const clients: ElderApi[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
  clearSecrets();
});

async function serve(handler: Handler): Promise<Scripted> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() };
      seen.push(entry);
      handler(entry, res, seen.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const scripted = {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(scripted);
  return scripted;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function text(res: ServerResponse, status: number, body: string, type = 'text/plain'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function reset(res: ServerResponse): void {
  res.socket?.destroy();
}

const ENTITY = { id: 7, name: 'e', type: 'compute', organization_id: 1, metadata: { k: 'v' }, tags: [] };
const NEW_ENTITY = { name: 'e', entityType: 'compute', organizationId: 1, attributes: { k: 'v' }, tags: [] };
const TOKEN = 'static-token-abcdef';
const PASSWORD = 'hunter2-very-secret';

function client(url: string, extra: Partial<ElderClientOptions> = {}, log?: Parameters<typeof createElderClient>[0]['log']) {
  const c = createElderClient({
    url,
    auth: { kind: 'token', token: TOKEN },
    backoffBaseMs: 1,
    backoffMaxMs: 5,
    ...extra,
    ...(log ? { log } : {}),
  });
  clients.push(c);
  return c;
}

describe('transport', () => {
  it('sends the bearer token, JSON content type and the /api/v1 prefix under a base path', async () => {
    const s = await serve((req, res) => json(res, 200, ENTITY));
    const c = client(`${s.url}/elder/`);
    await c.updateEntity(7, { tags: ['a'] });
    expect(s.seen[0]).toMatchObject({ method: 'PATCH', url: '/elder/api/v1/entities/7', body: '{"tags":["a"]}' });
    expect(s.seen[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(s.seen[0]?.headers['content-type']).toBe('application/json');
    expect(c.stats).toEqual({ reads: 0, writes: 1, retries: 0 });
  });

  it('always sends the Authorization header, even on routes Elder does not check (§0.2)', async () => {
    const s = await serve((req, res) => (req.method === 'DELETE' ? text(res, 204, '') : json(res, 200, { service: 'elder', status: 'operational', version: '3.2.1' })));
    const c = client(s.url);
    expect(await c.status()).toEqual({ service: 'elder', version: '3.2.1' });
    await c.deleteOrganization(4);
    expect(s.seen.map((r) => r.headers.authorization)).toEqual([`Bearer ${TOKEN}`, `Bearer ${TOKEN}`]);
  });

  it('times out a request that never answers and retries it', async () => {
    const s = await serve((req, res, n) => (n === 1 ? undefined : json(res, 200, ENTITY)));
    const c = client(s.url, { timeoutMs: 150 });
    expect(await c.getEntity(7)).toMatchObject({ id: 7 });
    expect(s.seen).toHaveLength(2);
    expect(c.stats.retries).toBe(1);
  });

  it('caps requests in flight at `concurrency`', async () => {
    let inFlight = 0;
    let peak = 0;
    const s = await serve((req, res) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      setTimeout(() => {
        inFlight--;
        json(res, 200, ENTITY);
      }, 20);
    });
    const c = client(s.url, { concurrency: 3 });
    await Promise.all(Array.from({ length: 12 }, () => c.getEntity(7)));
    expect(peak).toBe(3);
  });
});

describe('retries', () => {
  it('retries an HTML 502 and a plain-text 500, then succeeds', async () => {
    const s = await serve((req, res, n) => {
      if (n === 1) return text(res, 502, '<html><head><title>502 Bad Gateway</title></head></html>', 'text/html');
      if (n === 2) return text(res, 500, 'Internal Server Error');
      json(res, 200, ENTITY);
    });
    const c = client(s.url);
    expect(await c.getEntity(7)).toMatchObject({ id: 7, attributes: { k: 'v' } });
    expect(c.stats).toEqual({ reads: 3, writes: 0, retries: 2 });
  });

  it('retries a connection reset on an idempotent PATCH', async () => {
    const s = await serve((req, res, n) => (n === 1 ? reset(res) : json(res, 200, ENTITY)));
    const c = client(s.url);
    await c.updateEntity(7, { name: 'e' });
    expect(s.seen).toHaveLength(2);
    expect(c.stats).toEqual({ reads: 0, writes: 2, retries: 1 });
  });

  it('honours Retry-After on a 429', async () => {
    const s = await serve((req, res, n) =>
      n === 1
        ? json(res, 429, { error: 'Rate Limit Exceeded', message: 'Too many requests' }, { 'retry-after': '1' })
        : json(res, 200, ENTITY),
    );
    const c = client(s.url);
    const started = Date.now();
    await c.getEntity(7);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('gives up after maxAttempts with a transient ElderHttpError naming the body', async () => {
    const s = await serve((req, res) => text(res, 503, 'Service Unavailable'));
    const c = client(s.url, { maxAttempts: 3 });
    const error = await c.getEntity(7).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ElderHttpError);
    expect(error).toMatchObject({ status: 503, transient: true, code: 'ELDER_HTTP_503', attempts: 3, method: 'GET' });
    expect((error as Error).message).toContain('Service Unavailable');
    expect(s.seen).toHaveLength(3);
  });

  it('does not retry permanent errors and reports validation_errors', async () => {
    const s = await serve((req, res) =>
      json(res, 400, {
        error: 'Validation failed',
        validation_errors: [{ field: 'foo', message: 'Extra inputs are not permitted', type: 'extra_forbidden' }],
      }),
    );
    const c = client(s.url);
    const error = (await c.updateEntity(7, { name: 'x' }).catch((e: unknown) => e)) as ElderHttpError;
    expect(error).toBeInstanceOf(ElderHttpError);
    expect(error).toMatchObject({ status: 400, transient: false, path: '/api/v1/entities/7', elderMessage: 'Validation failed' });
    expect(error.message).toBe(
      'Elder PATCH /api/v1/entities/7 failed: HTTP 400 Validation failed — foo: Extra inputs are not permitted',
    );
    expect(s.seen).toHaveLength(1);
  });

  it('reports an unreachable Elder after retrying ECONNREFUSED', async () => {
    const s = await serve(() => undefined);
    const url = s.url;
    await s.close();
    servers.length = 0;
    const c = client(url, { maxAttempts: 3 });
    const error = await c.createEntity(NEW_ENTITY).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ElderApiError);
    expect(error).not.toBeInstanceOf(ElderWriteUncertainError);
    expect(error).toMatchObject({ code: 'ELDER_UNREACHABLE', transient: true });
    expect(c.stats).toEqual({ reads: 0, writes: 0, retries: 2 });
  });
});

describe('non-idempotent creates', () => {
  it('does not resend POST /entities after a 5xx: ElderWriteUncertainError', async () => {
    const s = await serve((req, res) => text(res, 500, 'Internal Server Error'));
    const c = client(s.url);
    const error = await c.createEntity(NEW_ENTITY).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ElderWriteUncertainError);
    expect(error).toMatchObject({ code: 'ELDER_WRITE_UNCERTAIN', mayHaveApplied: true, transient: true, status: 500 });
    expect(s.seen).toHaveLength(1);
  });

  it('does not resend POST /organizations after a reset', async () => {
    const s = await serve((req, res) => reset(res));
    const c = client(s.url);
    const error = await c.createOrganization({ name: 'AWS', parentId: null }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ElderWriteUncertainError);
    expect(s.seen).toHaveLength(1);
  });

  it('resends a create after a 429 (refused before it ran)', async () => {
    const s = await serve((req, res, n) => (n === 1 ? json(res, 429, { error: 'Rate Limit Exceeded' }) : json(res, 201, ENTITY)));
    const c = client(s.url);
    expect(await c.createEntity(NEW_ENTITY)).toMatchObject({ id: 7 });
    expect(JSON.parse(s.seen[1]?.body ?? '')).toEqual({
      name: 'e',
      entity_type: 'compute',
      organization_id: 1,
      attributes: { k: 'v' },
      tags: [],
    });
  });

  it('retries POST /dependencies (409 means it is already there)', async () => {
    const s = await serve((req, res, n) =>
      n === 1 ? text(res, 502, 'Bad Gateway') : json(res, 409, { error: 'Dependency already exists', dependency_id: 42 }),
    );
    const c = client(s.url);
    expect(await c.createDependency({ sourceId: 1, targetId: 2, dependencyType: 'member_of' })).toBe(42);
  });
});

describe('auth', () => {
  function loginServer(options: { expiresIn?: number; rejectFirstUse?: boolean; refuseRefresh?: boolean } = {}) {
    let issued = 0;
    const valid = new Set<string>();
    const counts = { login: 0, refresh: 0 };
    return serve((req, res) => {
      if (req.url === '/api/v1/portal-auth/login') {
        counts.login++;
        const body = JSON.parse(req.body) as { email: string; password: string };
        if (body.password !== PASSWORD) {
          return json(res, 401, { success: false, error: 'Invalid credentials', errorCode: 'INVALID_CREDENTIALS' });
        }
        const access = `access-${++issued}-xyz`;
        valid.add(access);
        // Slow, so concurrent callers really overlap with one login in flight.
        setTimeout(
          () => json(res, 200, { access_token: access, refresh_token: `refresh-${issued}-xyz`, expires_in: options.expiresIn ?? 14400, success: true }),
          30,
        );
        return;
      }
      if (req.url === '/api/v1/portal-auth/refresh') {
        counts.refresh++;
        if (options.refuseRefresh) return json(res, 401, { error: 'Invalid refresh token' });
        const access = `access-${++issued}-xyz`;
        valid.add(access);
        return json(res, 200, { access_token: access, refresh_token: `refresh-${issued}-xyz`, expires_in: options.expiresIn ?? 14400 });
      }
      const token = req.headers.authorization?.replace(/^Bearer /, '') ?? '';
      if (!valid.has(token)) return json(res, 401, { error: 'Authentication required' });
      if (options.rejectFirstUse && token === 'access-1-xyz') {
        valid.delete(token);
        return json(res, 401, { error: 'Authentication required' });
      }
      json(res, 200, ENTITY);
    }).then((s) => ({ ...s, counts }));
  }

  const login = { kind: 'login' as const, email: 'sync@example.com', password: PASSWORD };

  it('shares one login among concurrent requests', async () => {
    const s = await loginServer();
    const c = client(s.url, { auth: login });
    await Promise.all(Array.from({ length: 10 }, () => c.getEntity(7)));
    expect(s.counts.login).toBe(1);
    expect(JSON.parse(s.seen[0]?.body ?? '')).toEqual({ email: 'sync@example.com', password: PASSWORD });
  });

  it('does not count logging in as a write: a run that reads only reports zero writes', async () => {
    const s = await loginServer();
    const c = client(s.url, { auth: login });
    await c.getEntity(7);
    expect(s.counts.login).toBe(1);
    expect(c.stats).toEqual({ reads: 1, writes: 0, retries: 0 });
  });

  it('refreshes once on a 401 and resends', async () => {
    const s = await loginServer({ rejectFirstUse: true });
    const c = client(s.url, { auth: login });
    expect(await c.getEntity(7)).toMatchObject({ id: 7 });
    expect(s.counts).toEqual({ login: 1, refresh: 1 });
    expect(s.seen.map((r) => r.url)).toEqual([
      '/api/v1/portal-auth/login',
      '/api/v1/entities/7',
      '/api/v1/portal-auth/refresh',
      '/api/v1/entities/7',
    ]);
  });

  it('logs in again when the refresh is refused', async () => {
    const s = await loginServer({ rejectFirstUse: true, refuseRefresh: true });
    const c = client(s.url, { auth: login });
    expect(await c.getEntity(7)).toMatchObject({ id: 7 });
    expect(s.counts).toEqual({ login: 2, refresh: 1 });
    expect(s.seen.at(-1)?.headers.authorization).toBe('Bearer access-2-xyz');
  });

  it('refreshes before expiry (at 80 % of expires_in)', async () => {
    const s = await loginServer({ expiresIn: 1 });
    const c = client(s.url, { auth: login });
    await c.getEntity(7);
    await new Promise((r) => setTimeout(r, 850));
    await c.getEntity(7);
    expect(s.counts).toEqual({ login: 1, refresh: 1 });
    expect(s.seen.at(-1)?.headers.authorization).toBe('Bearer access-2-xyz');
  });

  it('rejects bad credentials permanently without echoing the password', async () => {
    const s = await loginServer();
    const c = client(s.url, { auth: { ...login, password: 'wrong-password-123' } });
    const error = (await c.checkAuth().catch((e: unknown) => e)) as ElderAuthError;
    expect(error).toBeInstanceOf(ElderAuthError);
    expect(error.code).toBe('ELDER_LOGIN_REJECTED');
    expect(error.message).toBe('Elder rejected the login for sync@example.com: Invalid credentials');
    expect(error.transient).toBe(false);
    expect(s.counts.login).toBe(1);
  });

  it('explains that MFA accounts cannot be automated, and that a 422 means a bad email', async () => {
    const s = await serve((req, res) =>
      JSON.parse(req.body).email === 'mfa@example.com'
        ? json(res, 200, { success: false, mfaRequired: true, user: { id: '1', email: 'mfa@example.com' } })
        : json(res, 422, { error: 'Validation failed', details: [{ field: 'email', message: 'bad', type: 'value_error' }] }),
    );
    const mfa = client(s.url, { auth: { kind: 'login', email: 'mfa@example.com', password: PASSWORD } });
    await expect(mfa.checkAuth()).rejects.toMatchObject({ code: 'ELDER_LOGIN_MFA_REQUIRED', message: expect.stringMatching(/MFA.*automation/) });
    const bad = client(s.url, { auth: { kind: 'login', email: 'not-an-email', password: PASSWORD } });
    await expect(bad.checkAuth()).rejects.toMatchObject({ code: 'ELDER_LOGIN_INVALID_EMAIL', message: expect.stringMatching(/not a valid email/) });
  });

  it('reports a rejected static token without the token', async () => {
    const s = await serve((req, res) => json(res, 401, { error: 'Authentication required' }));
    const c = client(s.url);
    const error = (await c.getEntity(7).catch((e: unknown) => e)) as ElderAuthError;
    expect(error).toMatchObject({ code: 'ELDER_TOKEN_REJECTED', status: 401 });
    expect(error.message).toBe('Elder rejected the configured token (HTTP 401 Authentication required) on GET /api/v1/entities/7');
    expect(error.message).not.toContain(TOKEN);
    expect(s.seen).toHaveLength(1);
  });

  it('logs one debug line per request with no token or password', async () => {
    const lines: string[] = [];
    const s = await loginServer({ rejectFirstUse: true });
    const c = client(s.url, { auth: login }, createLogger({ level: 'debug', write: (l) => lines.push(l) }));
    await c.getEntity(7);
    const requests = lines.filter((l) => l.includes('"elder request"'));
    expect(requests).toHaveLength(4);
    expect(JSON.parse(requests[1] ?? '')).toMatchObject({ method: 'GET', path: '/api/v1/entities/7', status: 401, attempt: 1 });
    const all = lines.join('\n');
    for (const secret of [PASSWORD, 'access-1-xyz', 'access-2-xyz', 'refresh-1-xyz', 'Bearer']) expect(all).not.toContain(secret);
  });
});

describe('methods', () => {
  it('pages until page >= pages and drops ids repeated across pages', async () => {
    const s = await serve((req, res) => {
      const page = Number(new URL(req.url, 'http://x').searchParams.get('page'));
      const items = page === 1 ? [{ ...ENTITY, id: 1 }, { ...ENTITY, id: 2 }] : [{ ...ENTITY, id: 2 }, { ...ENTITY, id: 3 }];
      json(res, 200, { items, page, pages: 2, per_page: 1000, total: 3 });
    });
    const c = client(s.url);
    const batches: number[][] = [];
    for await (const batch of c.listEntities({ organizationId: 3, entityType: 'compute' })) batches.push(batch.map((e) => e.id));
    expect(batches).toEqual([[1, 2], [3]]);
    expect(s.seen.map((r) => r.url)).toEqual([
      '/api/v1/entities?organization_id=3&entity_type=compute&page=1&per_page=1000',
      '/api/v1/entities?organization_id=3&entity_type=compute&page=2&per_page=1000',
    ]);
  });

  it('maps 404 to null on get and to done on delete; surfaces the dependency 400 on delete', async () => {
    const s = await serve((req, res) => {
      if (req.url === '/api/v1/entities/9' && req.method === 'DELETE') {
        return json(res, 400, { error: 'Cannot delete entity with 2 dependencies. Remove dependencies first.' });
      }
      json(res, 404, { error: 'Entity with id 8 not found' });
    });
    const c = client(s.url);
    expect(await c.getEntity(8)).toBeNull();
    await expect(c.deleteEntity(8)).resolves.toBeUndefined();
    await expect(c.deleteEntity(9)).rejects.toThrow('Cannot delete entity with 2 dependencies. Remove dependencies first.');
  });

  it('takes a delete answered 204 as done, and one answered 200 with a page as a failure naming it', async () => {
    const s = await serve((req, res) => {
      if (req.url === '/api/v1/entities/5') return text(res, 204, '');
      text(res, 200, '<!DOCTYPE html><html><head><title>Sign in</title></head></html>', 'text/html');
    });
    const c = client(s.url);
    await expect(c.deleteEntity(5)).resolves.toBeUndefined();
    await expect(c.deleteEntity(6)).rejects.toThrow(
      'Elder DELETE /api/v1/entities/6 answered 200, but not as Elder does (204, no body): expected JSON, got an HTML page ("Sign in")',
    );
    await expect(c.deleteOrganization(7)).rejects.toMatchObject({ status: 200, method: 'DELETE', transient: false });
  });

  it('deletes dependencies in chunks of 100', async () => {
    const s = await serve((req, res) => json(res, 200, { deleted: 1, requested: 1 }));
    const c = client(s.url);
    await c.deleteDependencies(Array.from({ length: 250 }, (_, i) => i + 1));
    expect(s.seen.map((r) => (JSON.parse(r.body) as { ids: number[] }).ids.length)).toEqual([100, 100, 50]);
    expect(s.seen.every((r) => r.method === 'DELETE' && r.url === '/api/v1/dependencies/bulk')).toBe(true);
    await c.deleteDependencies([]);
    expect(s.seen).toHaveLength(3);
  });
});
