import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { redact } from '../secrets.js';
import type { SyncMetrics } from './metrics.js';

export interface Readiness {
  ready: boolean;
  /** One line per check, e.g. `{ name: 'elder', ok: false, detail: 'HTTP 503' }`. */
  checks: Array<{ name: string; ok: boolean; detail?: string }>;
}

export interface HealthServerOptions {
  /** `host:port`; port 0 picks a free one (tests). */
  listen: string;
  metrics: SyncMetrics | null;
  readiness: () => Promise<Readiness>;
  /** The /status document. */
  status: () => unknown;
}

export interface HealthServer {
  /** `http://host:port` actually bound. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * `GET /healthz` (the process is up), `/readyz` (Elder reachable, state store usable), `/status`
 * (JSON, per source) and `/metrics` (Prometheus text). Read-only, no auth: every body goes through
 * the secret registry and holds no configuration values, so binding it beyond loopback leaks
 * nothing but source names and counts.
 */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const { host, port } = parseListen(options.listen);
  const server: Server = createServer((req, res) => {
    handle(req, res, options).catch((error: unknown) => {
      send(res, 500, 'text/plain; charset=utf-8', `internal error: ${error instanceof Error ? error.message : String(error)}\n`);
    });
  });
  // Probes hold no connection open; a scraper's keep-alive must not delay shutdown.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, options: HealthServerOptions): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
  }
  switch (path) {
    case '/healthz':
      return send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
    case '/readyz': {
      const readiness = await options.readiness();
      return send(res, readiness.ready ? 200 : 503, 'application/json', JSON.stringify(readiness) + '\n');
    }
    case '/status':
      return send(res, 200, 'application/json', JSON.stringify(options.status(), null, 2) + '\n');
    case '/metrics':
      if (!options.metrics) return send(res, 404, 'text/plain; charset=utf-8', 'metrics are disabled (daemon.metrics: false)\n');
      return send(res, 200, options.metrics.contentType, await options.metrics.text());
    default:
      return send(res, 404, 'text/plain; charset=utf-8', 'not found: try /healthz, /readyz, /status or /metrics\n');
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  const text = redact(body);
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(listen.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new RangeError(`listen "${listen}" must be host:port, e.g. 127.0.0.1:9464`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}
