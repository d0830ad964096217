import { hash } from 'node:crypto';

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** JSON with object keys sorted at every level, so equal values always serialise to equal bytes. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

/**
 * The value with object keys sorted, for JSON.stringify. A part already in canonical form (a plain
 * object whose keys are in order, with canonical values) is returned as it is, not copied: every
 * record of a run is hashed, and projections are built in key order for this.
 */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const sorted = sortKeys(value[i]);
      if (out === undefined && sorted !== value[i]) out = value.slice(0, i);
      out?.push(sorted);
    }
    return out ?? value;
  }
  if (value !== null && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    const keys = Object.keys(object);
    // Each value is sorted once, whether or not the object turns out canonical: checking a value and
    // then sorting it again for the copy doubled the work at every level (2^depth for a deep value).
    const values = keys.map((key) => sortKeys(object[key]));
    if (isCanonical(object, keys, values)) return value;
    const out: Record<string, unknown> = {};
    const order = keys.map((_, i) => i).sort((i, j) => (keys[i]! < keys[j]! ? -1 : keys[i]! > keys[j]! ? 1 : 0));
    for (const i of order) if (values[i] !== undefined) out[keys[i]!] = values[i];
    return out;
  }
  return value;
}

/**
 * Whether JSON.stringify gives the same bytes for `object` as for its sorted copy: a plain object
 * (no toJSON), keys in ascending order (so array-index keys, listed first, are too), no own
 * `__proto__` key (the copy drops it), every value canonical as it is (`sorted`, each value sorted).
 */
function isCanonical(object: Record<string, unknown>, keys: string[], sorted: unknown[]): boolean {
  const proto = Object.getPrototypeOf(object);
  if (proto !== Object.prototype && proto !== null) return false;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if ((i > 0 && keys[i - 1]! >= key) || key === '__proto__' || sorted[i] !== object[key]) return false;
  }
  return true;
}

/** Short, stable content hash of any JSON-able value. */
export function contentHash(value: unknown): string {
  // One-shot `hash` (no Hash object): every record of a run is hashed, twice in a no-change run.
  return hash('sha256', canonicalJson(value), 'hex').slice(0, 32);
}

export function isJsonObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
