/**
 * Flask's DefaultJSONProvider, reproduced: keys sorted at every depth, `ensure_ascii` escaping, a trailing
 * newline, and indent 2 when the app runs with DEBUG (the `FLASK_ENV=development` default, elder-api.md §1).
 * Clients must not depend on any of this, which is exactly why the emulator keeps it: a client that parses
 * strictly or compares bodies byte-for-byte will notice.
 */

const NON_ASCII = /[\u0080-\uffff]/g;

const HAS_NON_ASCII = /[\u0080-\uffff]/;

function encodeString(value: string): string {
  const encoded = JSON.stringify(value);
  if (!HAS_NON_ASCII.test(encoded)) return encoded;
  return encoded.replace(NON_ASCII, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function encodeNumber(value: number): string {
  // Python's json emits these tokens for non-finite floats (allow_nan=True); JSON.stringify would say null.
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  return String(value);
}

function encode(value: unknown, pretty: boolean, depth: number): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
      return encodeString(value);
    case 'number':
      return encodeNumber(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'object':
      break;
    default:
      return 'null';
  }
  const inner = pretty ? '\n' + '  '.repeat(depth + 1) : '';
  const outer = pretty ? '\n' + '  '.repeat(depth) : '';
  const keySeparator = pretty ? ': ' : ':';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const parts = value.map((item) => inner + encode(item, pretty, depth + 1));
    return `[${parts.join(',')}${outer}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  // Response objects are built with their keys in order already; only client-supplied objects need sorting.
  if (!isSorted(keys)) keys.sort(compareCodePoints);
  if (keys.length === 0) return '{}';
  const parts = keys.map((key) => inner + encodeString(key) + keySeparator + encode(record[key], pretty, depth + 1));
  return `{${parts.join(',')}${outer}}`;
}

function isSorted(keys: string[]): boolean {
  for (let i = 1; i < keys.length; i++) if ((keys[i - 1] as string) > (keys[i] as string)) return false;
  return true;
}

/** Python sorts str keys by code point; JS `<` compares UTF-16 units, which differs only above U+FFFF. */
function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Serialise like Flask's `jsonify`: sorted keys, ASCII-only, newline-terminated. */
export function toFlaskJson(value: unknown, pretty: boolean): string {
  return encode(value, pretty, 0) + '\n';
}

/** Werkzeug's `http_date`, which Flask uses for every datetime (§0.1 item 10): `Wed, 22 Apr 2026 00:50:07 GMT`. */
export function httpDate(epochMs: number | null): string | null {
  if (epochMs === null) return null;
  // Formatting dominates large list pages, and rows written together share their second.
  const second = Math.floor(epochMs / 1000);
  let formatted = HTTP_DATES.get(second);
  if (formatted === undefined) {
    if (HTTP_DATES.size >= 10_000) HTTP_DATES.clear();
    formatted = new Date(second * 1000).toUTCString();
    HTTP_DATES.set(second, formatted);
  }
  return formatted;
}

const HTTP_DATES = new Map<number, string>();
