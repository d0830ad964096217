import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, contentHash } from './json.js';

/** How stamps in Elder were hashed since the first release: contentHash must not drift from it. */
function reference(value: unknown): string {
  const sortKeys = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(v).sort()) {
        const x = (v as Record<string, unknown>)[key];
        if (x !== undefined) out[key] = sortKeys(x);
      }
      return out;
    }
    return v;
  };
  return JSON.stringify(sortKeys(value));
}

/** A small deterministic generator of awkward JSON-ish values, some objects built in key order. */
function* values(seed: number, count: number): Generator<unknown> {
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  const keys = ['', 'a', 'b', 'A', 'Zürich', 'q"', '__proto__', '10', '9', '01', '4294967295', '-1', '1.5', '😀'];
  const leaf = (): unknown => {
    const r = next();
    if (r < 0.3) return keys[Math.floor(next() * keys.length)];
    if (r < 0.45) return [0, -0, 1.5, 1e21, NaN, Infinity][Math.floor(next() * 6)];
    if (r < 0.55) return next() < 0.5;
    if (r < 0.65) return null;
    if (r < 0.7) return undefined;
    if (r < 0.75) return new Date(0);
    if (r < 0.8) return Object.create(null) as object;
    return 'text';
  };
  const build = (depth: number): unknown => {
    if (depth > 3 || next() < 0.3) return leaf();
    if (next() < 0.3) return Array.from({ length: Math.floor(next() * 4) }, () => build(depth + 1));
    const picked = Array.from({ length: Math.floor(next() * 5) }, () => keys[Math.floor(next() * keys.length)]!);
    if (next() < 0.5) picked.sort();
    const out: Record<string, unknown> = next() < 0.1 ? Object.create(null) : {};
    for (const key of picked) Object.defineProperty(out, key, { value: build(depth + 1), enumerable: true, configurable: true, writable: true });
    return out;
  };
  for (let i = 0; i < count; i++) yield build(0);
}

describe('canonicalJson', () => {
  it('is JSON.stringify of a key-sorted copy, byte for byte, also where it skips the copy', () => {
    for (const value of values(7, 5000)) expect(canonicalJson(value)).toBe(reference(value));
  });

  it('orders keys, array indexes first as a plain object would, and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: [undefined, 2], c: undefined, 10: 'x', 9: 'y' })).toBe('{"9":"y","10":"x","a":[null,2],"b":1}');
  });

  it('reads each part of a deep value a bounded number of times, not 2^depth (a source can nest attributes deeply)', () => {
    // Checking a part for canonical form and then sorting it again for the copy doubled the reads at every level.
    let reads = 0;
    let deep: unknown = { b: 1, a: 2 };
    let expected = '{"a":2,"b":1}';
    for (let i = 0; i < 16; i++) {
      const inner = deep;
      const level = {};
      Object.defineProperty(level, 'x', { enumerable: true, get: () => (reads++, inner) });
      Object.defineProperty(level, 'y', { enumerable: true, value: 0 });
      deep = level;
      expected = `{"x":${expected},"y":0}`;
    }
    expect(canonicalJson(deep)).toBe(expected);
    expect(reads).toBeLessThanOrEqual(2 * 16);
  });

  it('escapes keys that need it', () => {
    expect(canonicalJson({ 'q"\n': 1 })).toBe('{"q\\"\\n":1}');
  });
});

describe('contentHash', () => {
  it('is the first 32 hex digits of the SHA-256 of the canonical JSON (unchanged since stamps were first written)', () => {
    const value = { name: 'x', attributes: { b: 2, a: 1 } };
    expect(contentHash(value)).toBe(createHash('sha256').update(reference(value)).digest('hex').slice(0, 32));
  });
});
