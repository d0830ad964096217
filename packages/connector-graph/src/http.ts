import { readFile } from 'node:fs/promises';
import { rootCertificates } from 'node:tls';
import { TransientSourceError, SourceError } from '@elder-sync/connector-sdk';

/** One request's answer: status, headers (lower-case names) and the parsed JSON body (or the text). */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

/** No answer within this is a transient failure (retried by the limiter). */
export const REQUEST_TIMEOUT_MS = 60_000;

type Fetch = (url: string, init: Record<string, unknown>) => Promise<{ status: number; headers: Headers; text(): Promise<string> }>;

/**
 * Plain HTTPS with undici's fetch (imported when the first tenant is read, never at module load).
 * With `caFile`, the connection trusts the system CAs plus that file (a TLS-inspecting proxy, a test
 * server); without it, Node's defaults, which include `NODE_EXTRA_CA_CERTS`. Login (msal), Graph and
 * the Defender API all go through one transport, so one setting covers every host.
 */
export class HttpTransport {
  private constructor(
    private readonly fetchImpl: Fetch,
    private readonly dispatcher: unknown,
  ) {}

  static async create(caFile?: string): Promise<HttpTransport> {
    const undici = await import('undici');
    let dispatcher: unknown;
    if (caFile !== undefined) {
      let pem: string;
      try {
        pem = await readFile(caFile, 'utf8');
      } catch (error) {
        throw new SourceError(`caFile ${caFile} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { code: 'GRAPH_CONFIG', cause: error });
      }
      dispatcher = new undici.Agent({ connect: { ca: [...rootCertificates, pem] } });
    }
    return new HttpTransport(undici.fetch as unknown as Fetch, dispatcher);
  }

  async send(request: HttpRequest): Promise<HttpAnswer> {
    const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    let response;
    try {
      response = await this.fetchImpl(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal,
        ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}),
      });
    } catch (error) {
      if (request.signal?.aborted) throw request.signal.reason;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const reason = timeout.aborted ? `no answer within ${REQUEST_TIMEOUT_MS / 1000} s` : (cause?.code ?? cause?.message ?? (error as Error).message);
      throw new TransientSourceError(`${request.method} ${redactUrl(request.url)} failed: ${reason}`, { cause: error });
    }
    const text = await response.text();
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      headers[name.toLowerCase()] = value;
    });
    let body: unknown = text;
    if (text !== '' && /json/i.test(headers['content-type'] ?? 'application/json')) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text; // an HTML error page from a proxy; classified by status
      }
    }
    return { status: response.status, headers, body };
  }
}

/** A URL for messages: delta and skip tokens are long and opaque, so they are shortened. */
export function redactUrl(url: string): string {
  return url.replace(/(\$(?:delta|skip)token=)[^&]{12,}/gi, (_, k: string) => `${k}…`);
}
