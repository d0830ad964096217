/**
 * One HTTP exchange with Elder over a keep-alive undici Pool, behind a p-queue that caps requests in
 * flight. Knows nothing of retries, auth or Elder's JSON: it sends bytes and returns status + text,
 * or throws the network error (classified by `retry.ts`).
 */
import PQueue from 'p-queue';
import { Pool, type Dispatcher } from 'undici';
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
      const response = await dispatch(pool, request, deadline.signal, options.maxResponseBytes ?? MAX_RESPONSE_BYTES);
      // A large body (an index page) takes long to make and read wherever Elder is: not a measure of distance.
      if (response.text.length <= SMALL_BODY_BYTES) recent[exchanges++ % RECENT_EXCHANGES] = performance.now() - started;
      return response;
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
 * One request through undici's dispatcher, its answer read whole as text, at most `limit` bytes (a
 * larger one fails, and its socket is dropped; a read one goes back to the pool). A handler of our
 * own rather than `pool.request`, which wraps every exchange in an async resource and a body stream
 * and turns the parsed headers back into buffers to parse them again: at 64 writes in flight that
 * was about 8 % of the CLI's CPU.
 */
function dispatch(pool: Pool, request: WireRequest, signal: AbortSignal, limit: number): Promise<WireResponse> {
  return new Promise((resolve, reject) => {
    let controller: Dispatcher.DispatchController | null = null;
    let status = 0;
    let headers: WireResponse['headers'] = {};
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const abort = () => controller?.abort(signal.reason);
    const finish = (error: unknown, response?: WireResponse) => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', abort);
      if (response) resolve(response);
      else reject(error);
    };
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    signal.addEventListener('abort', abort, { once: true });
    try {
      pool.dispatch(
        { method: request.method, path: request.path, headers: request.headers, body: request.body ?? null },
        {
          onRequestStart(started) {
            controller = started;
            if (signal.aborted) started.abort(signal.reason);
          },
          onResponseStart(started, statusCode, responseHeaders) {
            // An informational answer (1xx) comes before the real one.
            if (statusCode < 200) return;
            status = statusCode;
            headers = responseHeaders;
            const length = Number(responseHeaders['content-length']);
            if (Number.isFinite(length) && length > limit) started.abort(new ResponseTooLargeError(limit, length));
          },
          onResponseData(started, chunk) {
            size += chunk.length;
            if (size > limit) started.abort(new ResponseTooLargeError(limit, null));
            else chunks.push(chunk);
          },
          onResponseEnd() {
            finish(null, { status, headers, text: (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)).toString('utf8') });
          },
          onResponseError(_controller, error) {
            finish(error);
          },
        },
      );
    } catch (error) {
      // A closed pool throws at once.
      finish(error);
    }
  });
}
