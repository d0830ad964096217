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
    const keys = Object.keys(value);
    const object = value as Record<string, unknown>;
    if (isCanonical(object, keys)) return value;
    const out: Record<string, unknown> = {};
    for (const key of keys.sort()) {
      const v = object[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/**
 * Whether JSON.stringify gives the same bytes for `object` as for its sorted copy: a plain object
 * (no toJSON), keys in ascending order (so array-index keys, listed first, are too), no own
 * `__proto__` key (the copy drops it), every value canonical as it is.
 */
function isCanonical(object: Record<string, unknown>, keys: string[]): boolean {
  const proto = Object.getPrototypeOf(object);
  if (proto !== Object.prototype && proto !== null) return false;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if ((i > 0 && keys[i - 1]! >= key) || key === '__proto__') return false;
    const v = object[key];
    if (v !== null && typeof v === 'object' && sortKeys(v) !== v) return false;
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
