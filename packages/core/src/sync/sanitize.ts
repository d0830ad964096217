import type { JsonValue } from '../json.js';
import type { Logger } from '../logger.js';
import type { SourceRecord } from '../record.js';
import { ELDER_NAME_MAX, truncateName } from './projection.js';

/**
 * Longest string value (in UTF-16 code units) written into an Elder attribute. Elder stores
 * attributes as PostgreSQL JSONB, which would take far more, but a directory attribute that large
 * (a 10 MB `jpegPhoto` or `description`) is not inventory: it slows every page of the index and
 * every PATCH. Longer values are cut here with a warning, deterministically, so the cut value hashes
 * the same on every run and costs no write.
 */
export const ATTRIBUTE_VALUE_MAX = 64 * 1024;

// PostgreSQL text and JSONB cannot hold U+0000 (a 500 from Elder); lone surrogates are not valid
// Unicode and JSONB refuses their \u escapes. A connector can produce both from raw bytes.
// eslint-disable-next-line no-control-regex
const NUL = /\u0000/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Any NUL or surrogate at all: most strings have neither, and then need no replacing. */
// eslint-disable-next-line no-control-regex
const SUSPECT = /[\u0000\uD800-\uDFFF]/;

function clean(text: string): string {
  if (!SUSPECT.test(text)) return text;
  return text.replace(NUL, '').replace(LONE_SURROGATE, '\uFFFD');
}

function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  // Never split a surrogate pair.
  let end = max - 1;
  if (end > 0 && /[\uD800-\uDBFF]/.test(text[end - 1]!)) end--;
  return text.slice(0, end) + '…';
}

/**
 * Makes a record safe to write to Elder, never failing: NUL removed, lone surrogates replaced by
 * U+FFFD, the name cut to Elder's 255 characters (an empty one replaced by the external id), the
 * organization path's names cut the same way, and attribute strings cut to ATTRIBUTE_VALUE_MAX.
 * Each change is logged once per record as a warning naming the key and the fields.
 */
export function sanitizeRecord(record: SourceRecord, key: string, log: Logger): SourceRecord {
  // Every record is checked; almost none needs a change, and checking copies nothing.
  if (isSafe(record)) return record;
  const notes: string[] = [];
  let name = clean(record.name);
  if (name !== record.name) notes.push('name: removed NUL or invalid UTF-16');
  if (name.trim() === '') {
    name = record.externalId;
    notes.push('name: empty, the external id is used instead');
  }
  const truncated = truncateName(name);
  if (truncated !== name) notes.push(`name: longer than Elder's ${ELDER_NAME_MAX} characters, truncated`);

  let pathChanged = false;
  const organizationPath = record.organizationPath?.map((segment) => {
    const safe = truncateName(clean(segment));
    if (safe !== segment) pathChanged = true;
    return safe;
  });
  if (pathChanged) notes.push(`organizationPath: names cleaned or truncated to ${ELDER_NAME_MAX} characters`);

  const changedFields = new Set<string>();
  const walk = (value: JsonValue, field: string): JsonValue => {
    if (typeof value === 'string') {
      const safe = cut(clean(value), ATTRIBUTE_VALUE_MAX);
      if (safe !== value) changedFields.add(field);
      return safe;
    }
    if (Array.isArray(value)) return value.map((v) => walk(v, field));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, JsonValue> = {};
      for (const [k, v] of Object.entries(value)) if (v !== undefined) out[clean(k)] = walk(v, field);
      return out;
    }
    return value;
  };
  const attributes: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(record.attributes)) {
    if (v === undefined) continue;
    const safeKey = clean(k);
    if (safeKey !== k) changedFields.add(safeKey);
    attributes[safeKey] = walk(v, safeKey);
  }
  if (changedFields.size > 0) {
    notes.push(`attributes ${[...changedFields].sort().join(', ')}: removed NUL or invalid UTF-16, or cut to ${ATTRIBUTE_VALUE_MAX} characters`);
  }
  const tags = record.tags?.map((t) => truncateName(clean(t)));
  if (tags && tags.some((t, i) => t !== record.tags![i])) notes.push('tags: cleaned or truncated');

  if (notes.length === 0) return record;
  log.warn(`record ${key} was made safe for Elder: ${notes.join('; ')}`, { key });
  return {
    ...record,
    name: truncated,
    attributes,
    ...(organizationPath ? { organizationPath } : {}),
    ...(tags ? { tags } : {}),
  };
}

/** True when `sanitizeRecord` would return the record as it is. */
function isSafe(record: SourceRecord): boolean {
  return (
    safeName(record.name) &&
    (record.organizationPath ?? []).every(safeName) &&
    (record.tags ?? []).every(safeName) &&
    safeValue(record.attributes)
  );
}

function safeName(text: string): boolean {
  return text.length <= ELDER_NAME_MAX && text.trim() !== '' && !SUSPECT.test(text);
}

function safeValue(value: JsonValue | undefined): boolean {
  if (typeof value === 'string') return value.length <= ATTRIBUTE_VALUE_MAX && !SUSPECT.test(value);
  if (Array.isArray(value)) return value.every(safeValue);
  if (value !== null && typeof value === 'object') {
    for (const k in value) {
      if (SUSPECT.test(k) || !safeValue(value[k])) return false;
    }
  }
  return true;
}
