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
    const proto = Object.getPrototypeOf(object);
    // Each value is sorted once: checking a value for canonical form and then sorting it again for
    // the copy doubled the work at every level (2^depth for a deep value). `sorted` is made only once
    // something differs; the values before that were canonical as they are.
    let sorted: unknown[] | undefined = proto === Object.prototype || proto === null ? undefined : [];
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const v = object[key];
      const s = sortKeys(v);
      if (sorted === undefined && ((i > 0 && keys[i - 1]! >= key) || key === '__proto__' || s !== v)) sorted = keys.slice(0, i).map((k) => object[k]);
      sorted?.push(s);
    }
    if (sorted === undefined) return value;
    const out: Record<string, unknown> = {};
    const order = keys.map((_, i) => i).sort((i, j) => (keys[i]! < keys[j]! ? -1 : keys[i]! > keys[j]! ? 1 : 0));
    for (const i of order) if (sorted[i] !== undefined) out[keys[i]!] = sorted[i];
    return out;
  }
  return value;
}

/** Short, stable content hash of any JSON-able value. */
export function contentHash(value: unknown): string {
  // One-shot `hash` (no Hash object): every record of a run is hashed, twice in a no-change run.
  return hash('sha256', canonicalJson(value), 'hex').slice(0, 32);
}

export function isJsonObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
