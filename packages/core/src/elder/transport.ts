/**
 * One HTTP exchange with Elder over a keep-alive undici Pool, behind a p-queue that caps requests in
 * flight. Knows nothing of retries, auth or Elder's JSON: it sends bytes and returns status + text,
 * or throws the network error (classified by `retry.ts`).
 */
import PQueue from 'p-queue';
import type { Readable } from 'node:stream';
import { Pool } from 'undici';
import { DeadlineSignals } from './deadline-signals.js';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface WireRequest {
  method: HttpMethod;
  /** Full request path from the origin, query included (`/prefix/api/v1/entities?page=2`). */
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface WireResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export interface TransportOptions {
  url: string;
  concurrency: number;
  timeoutMs: number;
  /** Largest response body read (default MAX_RESPONSE_BYTES); a larger one fails the request. */
  maxResponseBytes?: number;
}

/**
 * A page of 1000 entities is a few MB even with large attributes; a body far beyond that is not an
 * answer Elder gives (a proxy's file, a runaway server) and must not be held in memory.
 */
export const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

/** Thrown when a response body exceeds `maxResponseBytes`; permanent (a retry gets the same). */
export class ResponseTooLargeError extends Error {
  readonly code = 'ELDER_RESPONSE_TOO_LARGE';
  constructor(limit: number, announced: number | null) {
    super(
      `the answer is larger than the ${Math.round(limit / 1024 / 1024)} MiB elder-sync reads per response${
        announced === null ? '' : ` (content-length ${announced} bytes)`
      }; stopped reading it`,
    );
    this.name = 'ResponseTooLargeError';
  }
}

/** Thrown (as the abort reason) when one exchange — headers and body — exceeds `timeoutMs`. */
export class RequestTimeoutError extends Error {
  readonly code = 'ELDER_REQUEST_TIMEOUT';
  constructor(timeoutMs: number) {
    super(`no complete answer within ${timeoutMs} ms`);
    this.name = 'RequestTimeoutError';
  }
}

export interface Transport {
  /** `/api/v1` + `resource`, under the base URL's path prefix (e.g. behind nginx). */
  apiPath(resource: string): string;
  send(request: WireRequest): Promise<WireResponse>;
  /** A 429 was seen: halve the requests in flight (DESIGN §5.7, "throttling lowers concurrency"). */
  throttled(): void;
  /** A success: after enough of them, give back one slot up to the configured concurrency. */
  succeeded(): void;
  readonly concurrency: number;
  /** Requests waiting for a slot (0: Elder has capacity to spare). */
  readonly waiting: number;
  /**
   * The quickest of the last exchanges with a small answer, in ms (Infinity before the first): how
   * far away Elder is. The quickest, not the mean: a busy event loop adds to every exchange it is
   * late to see.
   */
  readonly latencyFloorMs: number;
  close(): Promise<void>;
}

/** How many of the last exchanges `latencyFloorMs` looks at, and the largest answer it counts. */
const RECENT_EXCHANGES = 32;
const SMALL_BODY_BYTES = 16 * 1024;

/** Successes needed to raise the throttled concurrency by one (additive increase, multiplicative decrease). */
const RECOVER_AFTER = 20;

export function createTransport(options: TransportOptions): Transport {
  const base = new URL(options.url);
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new TypeError(`Elder URL must be http(s), got ${base.protocol}`);
  }
  // The base may carry a path prefix (a reverse proxy mounting Elder under /elder); never the query.
  const prefix = base.pathname.replace(/\/+$/, '');
  const maxConcurrency = Math.max(1, Math.floor(options.concurrency));
  const pool = new Pool(base.origin, {
    connections: maxConcurrency,
    keepAliveTimeout: 30_000,
    // Backstops; DeadlineSignals enforces the total per-request budget.
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    connect: { timeout: Math.min(options.timeoutMs, 10_000) },
  });
  const queue = new PQueue({ concurrency: maxConcurrency });
  const deadlines = new DeadlineSignals(options.timeoutMs, () => new RequestTimeoutError(options.timeoutMs));
  const recent = new Float64Array(RECENT_EXCHANGES).fill(Infinity);
  let exchanges = 0;
  let successes = 0;
  let closed = false;

  async function exchange(request: WireRequest): Promise<WireResponse> {
    const deadline = deadlines.start();
    const started = performance.now();
    try {
      const response = await pool.request({
        method: request.method,
        path: request.path,
        headers: request.headers,
        body: request.body ?? null,
        signal: deadline.signal,
      });
      const limit = options.maxResponseBytes ?? MAX_RESPONSE_BYTES;
      const length = Number(response.headers['content-length']);
      if (Number.isFinite(length) && length > limit) {
        response.body.destroy();
        throw new ResponseTooLargeError(limit, length);
      }
      // Read (and so drain: the keep-alive socket goes back to the pool) at most `limit` bytes.
      const text = await readText(response.body, limit);
      // A large body (an index page) takes long to make and read wherever Elder is: not a measure of distance.
      if (text.length <= SMALL_BODY_BYTES) recent[exchanges++ % RECENT_EXCHANGES] = performance.now() - started;
      return { status: response.statusCode, headers: response.headers, text };
    } finally {
      deadlines.finish(deadline);
    }
  }

  return {
    apiPath: (resource) => `${prefix}/api/v1${resource}`,
    send(request) {
      if (closed) return Promise.reject(Object.assign(new Error('the Elder client is closed'), { code: 'ELDER_CLIENT_CLOSED' }));
      return queue.add(() => exchange(request));
    },
    throttled() {
      successes = 0;
      queue.concurrency = Math.max(1, Math.floor(queue.concurrency / 2));
    },
    succeeded() {
      if (queue.concurrency >= maxConcurrency) return;
      if (++successes >= RECOVER_AFTER) {
        successes = 0;
        queue.concurrency = Math.min(maxConcurrency, queue.concurrency + 1);
      }
    },
    get concurrency() {
      return queue.concurrency;
    },
    get waiting() {
      return queue.size;
    },
    get latencyFloorMs() {
      return Math.min(...recent);
    },
    async close() {
      // Let queued and running requests finish (dropping them would leave their callers hanging).
      closed = true;
      await queue.onIdle();
      await pool.close();
    },
  };
}

/**
 * A response body as text, failing once it grows past `limit` bytes. Read by its events, not with
 * `for await`: the async iterator cost about as much CPU per exchange as the rest of the exchange.
 */
function readText(body: Readable, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    body.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new ResponseTooLargeError(limit, null));
        body.destroy();
        return;
      }
      chunks.push(chunk);
    });
    body.once('end', () => resolve((chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)).toString('utf8')));
    body.once('error', reject);
  });
}
