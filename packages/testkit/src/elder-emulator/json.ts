/**
 * Flask's DefaultJSONProvider, reproduced: keys sorted at every depth, `ensure_ascii` escaping, a trailing
 * newline, and indent 2 when the app runs with DEBUG (the `FLASK_ENV=development` default, elder-api.md §1).
 * Clients must not depend on any of this, which is exactly why the emulator keeps it: a client that parses
 * strictly or compares bodies byte-for-byte will notice.
 */

const NON_ASCII = /[\u0080-\uffff]/g;

function encodeString(value: string): string {
  return JSON.stringify(value).replace(NON_ASCII, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
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
  const keys = Object.keys(record).sort(compareCodePoints);
  if (keys.length === 0) return '{}';
  const parts = keys.map((key) => inner + encodeString(key) + keySeparator + encode(record[key], pretty, depth + 1));
  return `{${parts.join(',')}${outer}}`;
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
  return epochMs === null ? null : new Date(epochMs).toUTCString();
}
