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

describe('canonicalJson', () => {
  it('orders keys, array indexes first as a plain object would, and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: [undefined, 2], c: undefined, 10: 'x', 9: 'y' })).toBe('{"9":"y","10":"x","a":[null,2],"b":1}');
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
