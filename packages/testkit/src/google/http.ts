import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One answer of a Google loopback server. */
export interface GoogleResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface GoogleRequest {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  body: string;
}

export type GoogleHandler = (request: GoogleRequest) => GoogleResponse | Promise<GoogleResponse>;

export function json(status: number, body: unknown, headers?: Record<string, string>): GoogleResponse {
  return headers === undefined ? { status, body } : { status, body, headers };
}

const CANONICAL: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

/**
 * Google's JSON error body (https://cloud.google.com/apis/design/errors#http_mapping): `code`,
 * `message`, the legacy `errors[]` with a `reason`, the canonical `status`, and `details` (ErrorInfo).
 */
export function googleError(
  status: number,
  message: string,
  options: { reason?: string; domain?: string; details?: unknown[]; headers?: Record<string, string>; legacy?: boolean } = {},
): GoogleResponse {
  const error: Record<string, unknown> = { code: status, message };
  if (options.legacy !== false) {
    error.errors = [{ message, domain: options.domain ?? 'global', reason: options.reason ?? 'backendError' }];
  }
  const canonical = CANONICAL[status];
  if (canonical !== undefined) error.status = canonical;
  if (options.details !== undefined) error.details = options.details;
  return json(status, { error }, options.headers);
}

/** `google.rpc.ErrorInfo`, the machine-readable part of a Google error. */
export function errorInfo(reason: string, domain: string, metadata: Record<string, string>): Record<string, unknown> {
  return { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain, metadata };
}

export interface RunningGoogleServer {
  url: string;
  close(): Promise<void>;
}

/** A loopback HTTP server on a free port that answers every request through `handler`. */
export async function serveGoogle(handler: GoogleHandler): Promise<RunningGoogleServer> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request: GoogleRequest = {
        method: req.method ?? 'GET',
        url: new URL(req.url ?? '/', 'http://127.0.0.1'),
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      Promise.resolve()
        .then(() => handler(request))
        .catch((error: unknown) => googleError(500, `loopback server failure: ${error instanceof Error ? error.message : String(error)}`))
        .then((response) => {
          res.writeHead(response.status, { 'content-type': 'application/json; charset=UTF-8', ...response.headers });
          res.end(response.body === undefined ? '' : JSON.stringify(response.body));
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
