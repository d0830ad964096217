import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * AWS Signature Version 4 checked the way AWS checks it
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html): rebuild the
 * canonical request from what arrived, derive the signing key from the secret the fake issued, and
 * compare. Paths are URI-encoded a second time for every service but S3.
 */

export interface SignedRequest {
  method: string;
  /** The raw request target (`/path?query`), exactly as received. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface ParsedAuthorization {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

export type SignatureCheck =
  | { ok: true; auth: ParsedAuthorization }
  | { ok: false; code: 'MissingAuthenticationToken' | 'IncompleteSignature' | 'SignatureDoesNotMatch'; message: string; auth?: ParsedAuthorization };

const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

export function parseAuthorization(header: string | undefined): ParsedAuthorization | undefined {
  const m = header === undefined ? null : AUTH.exec(header.trim());
  if (!m) return undefined;
  return { accessKeyId: m[1]!, date: m[2]!, region: m[3]!, service: m[4]!, signedHeaders: m[5]!.split(';'), signature: m[6]! };
}

/** RFC 3986 encoding, as the SDK's `escapeUri` does it. */
export function escapeUri(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

export function canonicalQuery(search: string): string {
  if (search === '') return '';
  const pairs = search
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const i = p.indexOf('=');
      const key = decode(i < 0 ? p : p.slice(0, i));
      const value = i < 0 ? '' : decode(p.slice(i + 1));
      return [escapeUri(key), escapeUri(value)] as const;
    })
    .filter(([k]) => k.toLowerCase() !== 'x-amz-signature');
  pairs.sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

function canonicalPath(path: string, service: string): string {
  if (service === 's3') return path;
  const segments: string[] = [];
  for (const s of path.split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') segments.pop();
    else segments.push(s);
  }
  const normalized = `${path.startsWith('/') ? '/' : ''}${segments.join('/')}${segments.length > 0 && path.endsWith('/') ? '/' : ''}`;
  return escapeUri(normalized).replace(/%2F/g, '/');
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(',') : String(v);
}

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** Checks the request's SigV4 signature against `secretFor(accessKeyId)` (undefined: unknown key). */
export function verifySignature(request: SignedRequest, secretFor: (accessKeyId: string) => string | undefined): SignatureCheck {
  const header = headerValue(request.headers, 'authorization');
  if (header === undefined) return { ok: false, code: 'MissingAuthenticationToken', message: 'Request is missing Authentication Token' };
  const auth = parseAuthorization(header);
  if (auth === undefined) {
    return { ok: false, code: 'IncompleteSignature', message: `Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters (AWS4-HMAC-SHA256)` };
  }
  const amzDate = headerValue(request.headers, 'x-amz-date');
  if (amzDate === undefined || !amzDate.startsWith(auth.date)) {
    return { ok: false, code: 'IncompleteSignature', message: 'X-Amz-Date is missing or does not match the credential scope date', auth };
  }
  if (!auth.signedHeaders.includes('host')) return { ok: false, code: 'IncompleteSignature', message: "'Host' must be a signed header", auth };
  const secret = secretFor(auth.accessKeyId);
  if (secret === undefined) return { ok: true, auth }; // the caller answers InvalidClientTokenId
  const q = request.url.indexOf('?');
  const path = q < 0 ? request.url : request.url.slice(0, q);
  const search = q < 0 ? '' : request.url.slice(q + 1);
  const canonicalHeaders = auth.signedHeaders
    .map((h) => `${h}:${(headerValue(request.headers, h) ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const payloadHash = headerValue(request.headers, 'x-amz-content-sha256') ?? sha256(request.body);
  const canonicalRequest = [
    request.method.toUpperCase(),
    canonicalPath(path, auth.service),
    canonicalQuery(search),
    canonicalHeaders,
    auth.signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
  const scope = `${auth.date}/${auth.region}/${auth.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, auth.date), auth.region), auth.service), 'aws4_request');
  const expected = createHmac('sha256', key).update(stringToSign, 'utf8').digest();
  const given = Buffer.from(auth.signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return {
      ok: false,
      code: 'SignatureDoesNotMatch',
      message: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
      auth,
    };
  }
  return { ok: true, auth };
}
