/** HS256 JSON Web Tokens with node:crypto, checked the way PyJWT checks them (no leeway on `exp`). */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type JwtClaims = Record<string, unknown>;

export type JwtVerification =
  | { ok: true; claims: JwtClaims }
  | { ok: false; reason: 'expired' | 'invalid' };

function base64url(input: Buffer | string): string {
  return Buffer.from(input).toString('base64url');
}

function sign(signingInput: string, secret: string): Buffer {
  return createHmac('sha256', secret).update(signingInput).digest();
}

// PyJWT serialises with separators=(",", ":"); header keys come out as alg, typ.
const HEADER = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

export function signJwt(claims: JwtClaims, secret: string): string {
  const signingInput = `${HEADER}.${base64url(JSON.stringify(claims))}`;
  return `${signingInput}.${base64url(sign(signingInput, secret))}`;
}

function decodeJson(segment: string): unknown {
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Verify signature, algorithm and expiry at `nowMs`. PyJWT treats `exp <= now` as expired. */
export function verifyJwt(token: string, secret: string, nowMs: number): JwtVerification {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'invalid' };
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decodeJson(headerPart);
  if (!isRecord(header) || header['alg'] !== 'HS256') return { ok: false, reason: 'invalid' };
  const expected = sign(`${headerPart}.${payloadPart}`, secret);
  const actual = Buffer.from(signaturePart, 'base64url');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return { ok: false, reason: 'invalid' };
  const claims = decodeJson(payloadPart);
  if (!isRecord(claims)) return { ok: false, reason: 'invalid' };
  const exp = claims['exp'];
  if (exp !== undefined) {
    if (typeof exp !== 'number') return { ok: false, reason: 'invalid' };
    if (exp * 1000 <= nowMs) return { ok: false, reason: 'expired' };
  }
  return { ok: true, claims };
}
