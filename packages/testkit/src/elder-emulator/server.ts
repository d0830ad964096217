/**
 * The Elder emulator: a loopback `node:http` server speaking Elder v3.2.1's REST API as elder-api.md §11
 * specifies it, with fault injection, statistics and control routes for tests.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { AuthService, DEFAULT_ADMIN, DEFAULT_JWT_SECRET } from './auth.js';
import { dependencyResponse, entityResponse, organizationResponse } from './dialect.js';
import { FaultInjector, isWriteMethod, parseFaultConfig } from './faults.js';
import { HUGE_BODY_BYTES } from './types.js';
import {
  DatabaseError,
  HttpError,
  gatewayHtmlError,
  jsonResponse,
  plainInternalServerError,
  redirectResponse,
  werkzeugHtmlError,
} from './http.js';
import { toFlaskJson } from './json.js';
import { Router } from './router.js';
import { authRoutes } from './routes-auth.js';
import { dependencyRoutes } from './routes-dependencies.js';
import { entityRoutes } from './routes-entities.js';
import { organizationRoutes } from './routes-organizations.js';
import { systemRoutes } from './routes-system.js';
import { seedDependencyRow, seedEntityRow, seedOrganizationRow } from './seeds.js';
import { StatsRecorder } from './stats.js';
import { ElderStore } from './store.js';
import type { EmulatorApp, EmulatorSettings, RouteContext } from './app.js';
import type { EmulatorResponse } from './http.js';
import type { RouteMatch } from './router.js';
import type { RequestClass } from './stats.js';
import type {
  DependencySeed,
  ElderEmulatorOptions,
  EmulatorStats,
  EntitySeed,
  FaultConfig,
  OrganizationSeed,
} from './types.js';

export interface ElderEmulator {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
  /** Every stored organization, by id, as `GET /organizations/{id}` would answer. */
  organizations(): Record<string, unknown>[];
  /** Every stored entity, by id, as `GET /entities/{id}` would answer. */
  entities(): Record<string, unknown>[];
  /** Every stored dependency, by id, as `GET /dependencies/{id}` would answer. */
  dependencies(): Record<string, unknown>[];
  stats(): EmulatorStats;
  resetStats(): void;
  setFaults(faults: FaultConfig | null): void;
  faults(): FaultConfig | null;
  /** Back to a fresh install: data, ids, lockouts, stats, clock, and the faults given at start. */
  reset(): void;
  /** Store rows directly, bypassing the API, validation and stats; returns the API view of the row. */
  seedOrganization(seed: OrganizationSeed): Record<string, unknown>;
  seedEntity(seed: EntitySeed): Record<string, unknown>;
  seedDependency(seed: DependencySeed): Record<string, unknown>;
  /** A portal access token for user 1 (or `userId`), like a hand-minted `ELDER_API_KEY`. */
  mintToken(options?: { ttlSeconds?: number; userId?: number }): string;
  /** Move the emulator's clock forward (token expiry, lockouts, timestamps). */
  advanceTime(seconds: number): void;
}

export class EmulatorOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmulatorOptionsError';
  }
}

const NOT_FOUND_BODY = { error: 'Not Found', message: 'Resource not found' };
const CONTROL_PREFIX = '/__emulator/';

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new EmulatorOptionsError(`${name} must be a positive number`);
  return value;
}

function classify(path: string, method: string): RequestClass {
  if (path.startsWith('/api/v1/portal-auth/') || path.startsWith('/api/v1/auth/')) return 'auth';
  return isWriteMethod(method) ? 'write' : 'read';
}

function decodePath(rawPath: string): string {
  try {
    return decodeURIComponent(rawPath);
  } catch {
    return rawPath;
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function isEnvelope(json: unknown): json is Record<string, unknown> {
  return json !== null && typeof json === 'object' && Array.isArray((json as { items?: unknown }).items) && 'pages' in json;
}

export async function startElderEmulator(options: ElderEmulatorOptions = {}): Promise<ElderEmulator> {
  const host = options.host ?? '127.0.0.1';
  const requestedPort = options.port ?? 0;
  if (!Number.isInteger(requestedPort) || requestedPort < 0 || requestedPort > 65535) throw new EmulatorOptionsError('port must be an integer 0..65535');
  const latencyMs = options.latencyMs ?? 0;
  if (typeof latencyMs !== 'number' || latencyMs < 0) throw new EmulatorOptionsError('latencyMs must be a non-negative number');
  const initialFaults = parseFaultConfig(options.faults ?? null);

  let clockOffsetMs = 0;
  const clock = { now: () => Date.now() + clockOffsetMs };
  const settings: EmulatorSettings = {
    dialect: options.dialect ?? 'v3.2.1',
    strictAuth: options.strictAuth ?? false,
    shuffleTies: options.shuffleTies ?? false,
    prettyJson: options.prettyJson ?? true,
    appVersion: options.appVersion ?? '3.2.1',
  };
  if (settings.dialect !== 'v3.2.1' && settings.dialect !== 'legacy') throw new EmulatorOptionsError("dialect must be 'v3.2.1' or 'legacy'");
  const users = options.users ?? [DEFAULT_ADMIN];
  if (users.length === 0) throw new EmulatorOptionsError('users must not be empty');
  const auth = new AuthService(
    {
      secret: options.jwtSecret ?? DEFAULT_JWT_SECRET,
      accessTtlSeconds: positive(options.tokenTtlSeconds, 14400, 'tokenTtlSeconds'),
      refreshTtlSeconds: positive(options.refreshTtlSeconds, 30 * 24 * 3600, 'refreshTtlSeconds'),
      staticTokens: options.staticTokens ?? [],
      now: clock.now,
    },
    users,
  );
  const app: EmulatorApp = { store: new ElderStore(), auth, settings, clock, random: Math.random };
  const router = new Router([...systemRoutes(), ...authRoutes(), ...organizationRoutes(), ...entityRoutes(), ...dependencyRoutes()]);
  const faults = new FaultInjector(initialFaults);
  const stats = new StatsRecorder();

  let closed = false;
  const pendingDelays = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  const delay = (ms: number): Promise<void> =>
    ms <= 0 || closed
      ? Promise.resolve()
      : new Promise((resolve) => {
          const entry = {
            timer: setTimeout(() => {
              pendingDelays.delete(entry);
              resolve();
            }, ms),
            resolve,
          };
          pendingDelays.add(entry);
        });

  function send(req: IncomingMessage, res: ServerResponse, response: EmulatorResponse, pretty: boolean): void {
    if (res.destroyed || res.writableEnded) return;
    const body = response.json !== undefined ? toFlaskJson(response.json, pretty) : (response.text ?? '');
    const headers: Record<string, string | number> = {
      server: 'uvicorn',
      'content-type': response.contentType ?? (response.json !== undefined ? 'application/json' : 'text/html; charset=utf-8'),
      ...response.headers,
    };
    if (response.status === 204) {
      res.writeHead(204, headers);
      res.end();
      return;
    }
    const payload = Buffer.from(body, 'utf8');
    headers['content-length'] = payload.length;
    res.writeHead(response.status, headers);
    res.end(req.method === 'HEAD' ? undefined : payload);
  }

  function execute(match: RouteMatch, ctx: RouteContext): EmulatorResponse {
    switch (match.kind) {
      case 'not-found':
        return jsonResponse(404, NOT_FOUND_BODY);
      case 'redirect':
        return redirectResponse(`${ctx.origin}${match.location}`);
      case 'method-not-allowed': {
        const allow = { Allow: match.allowed.join(', ') };
        if (ctx.method === 'OPTIONS') return { status: 200, text: '', headers: allow };
        return werkzeugHtmlError(405, 'The method is not allowed for the requested URL.', allow);
      }
      case 'found':
        break;
    }
    const { binding } = match;
    if (binding.auth === 'login_required' || (binding.auth === 'none' && settings.strictAuth)) {
      ctx.principal = auth.authenticate(ctx.headers.authorization);
      if (!ctx.principal) return jsonResponse(401, { error: 'Authentication required' });
    }
    try {
      return binding.handler(ctx);
    } catch (error) {
      if (error instanceof HttpError) return error.response;
      // Elder's handlers let most database errors escape; with DEBUG=True uvicorn answers in plain text (§7.1).
      if (error instanceof DatabaseError) return plainInternalServerError();
      process.stderr.write(`elder-emulator: internal error on ${ctx.method} ${ctx.path}: ${(error as Error).stack ?? String(error)}\n`);
      return plainInternalServerError();
    }
  }

  function controlRoute(method: string, path: string, body: Buffer): EmulatorResponse {
    const parse = (): unknown => (body.length === 0 ? null : JSON.parse(body.toString('utf8')));
    try {
      const route = `${method} ${path}`;
      switch (route) {
        case 'GET /__emulator/stats':
          return jsonResponse(200, stats.snapshot());
        case 'POST /__emulator/stats/reset':
          stats.reset();
          return jsonResponse(200, { ok: true });
        case 'GET /__emulator/faults':
          return jsonResponse(200, { faults: faults.current });
        case 'POST /__emulator/faults':
          faults.set(parseFaultConfig(parse()));
          return jsonResponse(200, { faults: faults.current });
        case 'POST /__emulator/reset':
          emulator.reset();
          return jsonResponse(200, { ok: true });
        case 'POST /__emulator/time': {
          const input = parse() as { advanceSeconds?: unknown } | null;
          const seconds = input?.advanceSeconds;
          if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return jsonResponse(400, { error: 'advanceSeconds must be a number' });
          emulator.advanceTime(seconds);
          return jsonResponse(200, { now: new Date(clock.now()).toISOString() });
        }
        case 'POST /__emulator/token': {
          const input = (parse() ?? {}) as { ttlSeconds?: number; userId?: number };
          return jsonResponse(200, { token: emulator.mintToken(input) });
        }
        case 'POST /__emulator/seed': {
          const input = (parse() ?? {}) as { organizations?: OrganizationSeed[]; entities?: EntitySeed[]; dependencies?: DependencySeed[] };
          return jsonResponse(200, {
            organizations: (input.organizations ?? []).map((seed) => emulator.seedOrganization(seed)),
            entities: (input.entities ?? []).map((seed) => emulator.seedEntity(seed)),
            dependencies: (input.dependencies ?? []).map((seed) => emulator.seedDependency(seed)),
          });
        }
        case 'GET /__emulator/data':
          return jsonResponse(200, { dependencies: emulator.dependencies(), entities: emulator.entities(), organizations: emulator.organizations() });
        default:
          return jsonResponse(404, { error: `Unknown emulator control route ${route}` });
      }
    } catch (error) {
      return jsonResponse(400, { error: error instanceof Error ? error.message : String(error) });
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    const path = decodePath(url.pathname);
    const body = await readBody(req);
    if (path.startsWith(CONTROL_PREFIX)) {
      send(req, res, controlRoute(method, path, body), false);
      return;
    }
    const match = router.match(method, path, url.search);
    const label = match.kind === 'not-found' ? '(unmatched)' : match.label;
    stats.request(`${method} ${label}`, classify(path, method));
    const ctx: RouteContext = {
      app,
      method,
      path,
      query: url.searchParams,
      params: match.kind === 'found' ? match.params : {},
      headers: req.headers,
      body,
      origin: `http://${req.headers.host ?? `${host}:${actualPort}`}`,
      principal: null,
    };
    const decision = faults.decide(method, path);
    let response: EmulatorResponse;
    if (decision) {
      stats.fault(decision.kind);
      switch (decision.kind) {
        case 'reset':
          req.socket.destroy();
          return;
        case '5xx-json':
          response = jsonResponse(500, { error: 'Internal Server Error', message: 'An error occurred' });
          break;
        case '5xx-html':
          response = gatewayHtmlError(decision.htmlStatus);
          break;
        case '5xx-text':
          response = plainInternalServerError();
          break;
        case '429': {
          const retryAfter = faults.retryAfterSeconds;
          response = jsonResponse(429, { error: 'Rate Limit Exceeded', message: 'Too many requests' }, retryAfter === undefined ? undefined : { 'Retry-After': String(retryAfter) });
          break;
        }
        case 'apply-then-fail':
          // The write happens; the client only learns "500". A blind retry duplicates it.
          execute(match, ctx);
          response = plainInternalServerError();
          break;
        case 'slow':
          // Applied at once, answered late: a client that times out cannot know the write happened.
          response = execute(match, ctx);
          await delay(faults.slowMs);
          break;
        case 'html-200':
          response = { status: 200, contentType: 'text/html; charset=utf-8', text: '<!DOCTYPE html>\n<html><head><title>Sign in · Elder</title></head><body><form action="/login"></form></body></html>\n' };
          break;
        case 'repeat-page': {
          // Every page is page 1 again, and there is always one more.
          const requested = Number(url.searchParams.get('page') ?? '1') || 1;
          const first = new URLSearchParams(url.searchParams);
          first.set('page', '1');
          response = execute(match, { ...ctx, query: first });
          if (isEnvelope(response.json)) response = { ...response, json: { ...response.json, page: requested, pages: requested + 1 } };
          break;
        }
        case 'total-mismatch':
          response = execute(match, ctx);
          if (isEnvelope(response.json)) response = { ...response, json: { ...response.json, total: Number(response.json['total']) + 1000 } };
          break;
        case 'huge-body':
          await streamBody(res, HUGE_BODY_BYTES, 0);
          return;
        case 'slow-loris':
          await streamBody(res, 1024 * 1024, 100);
          return;
      }
    } else {
      response = execute(match, ctx);
    }
    await delay(latencyMs);
    if (closed) return;
    stats.status(response.status);
    send(req, res, response, settings.prettyJson);
  }

  /**
   * A 200 JSON answer of `bytes` bytes (`{"items": [` and spaces, never closed), written in 64 KiB
   * chunks, or one byte every `byteEveryMs`; it stops when the client goes away or the emulator closes.
   */
  async function streamBody(res: ServerResponse, bytes: number, byteEveryMs: number): Promise<void> {
    res.writeHead(200, { server: 'uvicorn', 'content-type': 'application/json', 'content-length': bytes });
    let sent = 0;
    const open = () => !closed && !res.destroyed && !res.writableEnded;
    const head = Buffer.from('{"items": [');
    while (sent < bytes && open()) {
      const size = byteEveryMs > 0 ? 1 : Math.min(64 * 1024, bytes - sent);
      const chunk = sent < head.length ? head.subarray(sent, sent + size) : Buffer.alloc(size, 0x20);
      const ok = res.write(chunk);
      sent += chunk.length;
      if (byteEveryMs > 0) await delay(byteEveryMs);
      else if (!ok) await new Promise<void>((resolve) => { res.once('drain', resolve); res.once('close', resolve); });
    }
    if (open()) res.end();
  }

  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      process.stderr.write(`elder-emulator: ${(error as Error).stack ?? String(error)}\n`);
      if (!res.headersSent) send(req, res, plainInternalServerError(), false);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_error, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(requestedPort, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address !== null ? address.port : requestedPort;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  const emulator: ElderEmulator = {
    url: `http://${urlHost}:${actualPort}`,
    host,
    port: actualPort,
    close: () =>
      new Promise<void>((resolve, reject) => {
        if (closed) {
          resolve();
          return;
        }
        closed = true;
        for (const entry of pendingDelays) {
          clearTimeout(entry.timer);
          entry.resolve();
        }
        pendingDelays.clear();
        server.close((error) => (error ? reject(error) : resolve()));
        for (const socket of sockets) socket.destroy();
      }),
    organizations: () => [...app.store.organizations.values()].map((row) => organizationResponse(row, settings.dialect)),
    entities: () => [...app.store.entities.values()].map((row) => entityResponse(row, settings.dialect)),
    dependencies: () => [...app.store.dependencies.values()].map(dependencyResponse),
    stats: () => stats.snapshot(),
    resetStats: () => stats.reset(),
    setFaults: (config) => faults.set(parseFaultConfig(config)),
    faults: () => faults.current,
    reset: () => {
      app.store = new ElderStore();
      clockOffsetMs = 0;
      auth.reset();
      stats.reset();
      faults.set(initialFaults);
    },
    seedOrganization: (seed) => organizationResponse(seedOrganizationRow(app.store, seed), settings.dialect),
    seedEntity: (seed) => entityResponse(seedEntityRow(app.store, seed, clock.now()), settings.dialect),
    seedDependency: (seed) => dependencyResponse(seedDependencyRow(app.store, seed)),
    mintToken: (tokenOptions) => auth.mintToken(tokenOptions),
    advanceTime: (seconds) => {
      clockOffsetMs += seconds * 1000;
    },
  };
  return emulator;
}

