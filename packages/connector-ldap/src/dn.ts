import { LdapError, LdapErrorCode } from './errors.js';

/**
 * A small RFC 4514 DN parser. Group membership links entries by DN, and the same DN comes back in
 * different spellings (`CN=Sales\2C EMEA` from AD, `cn=Sales\, EMEA` from a member value, `cn=sales\2c emea`
 * typed by hand), so DNs are compared in a normal form: attribute types lower-cased (common OIDs mapped
 * to names), values unescaped (hex pairs are UTF-8 bytes), case-folded, NFC-normalised, runs of spaces
 * collapsed, multi-valued RDNs sorted, then re-escaped canonically.
 *
 * Values compare case-insensitively because the naming attributes in practice (cn, ou, dc, uid, o, l)
 * all use caseIgnoreMatch; a directory that names entries by a case-sensitive attribute would see two
 * DNs that differ only by case as one (harmless for membership lookups).
 */

/** One `type=value` pair; `value` is unescaped (a `#hex` BER value is kept as written, lower-cased). */
export interface Ava {
  type: string;
  value: string;
}
/** One RDN: usually one AVA, more for multi-valued RDNs (`cn=a+uid=b`). */
export type Rdn = Ava[];

const OID_NAMES: Record<string, string> = {
  '2.5.4.3': 'cn',
  '2.5.4.6': 'c',
  '2.5.4.7': 'l',
  '2.5.4.8': 'st',
  '2.5.4.9': 'street',
  '2.5.4.10': 'o',
  '2.5.4.11': 'ou',
  '0.9.2342.19200300.100.1.1': 'uid',
  '0.9.2342.19200300.100.1.25': 'dc',
};

const TYPE_RE = /^(?:[A-Za-z][A-Za-z0-9-]*|(?:oid\.)?\d+(?:\.\d+)*)$/i;
const HEX2 = /^[0-9A-Fa-f]{2}$/;
const SPECIAL = new Set([' ', '"', '#', '+', ',', ';', '<', '=', '>', '\\']);

function fail(dn: string, why: string): never {
  throw new LdapError(LdapErrorCode.InvalidDn, `invalid DN "${dn}": ${why}`);
}

/** Parses a DN string into RDNs, leftmost (the entry's own RDN) first. `''` is the root DSE: `[]`. */
export function parseDn(dn: string): Rdn[] {
  const rdns: Rdn[] = [];
  if (dn.trim() === '') return rdns;
  const n = dn.length;
  let i = 0;
  for (;;) {
    rdns.push(readRdn(dn, i));
    if (rdnEnd >= n) return rdns;
    i = rdnEnd + 1;
    if (i >= n) fail(dn, 'trailing separator');
  }
}

/**
 * The entry's own (leftmost) RDN of a non-empty DN, and the index of the separator after it (the DN's
 * length when there is no parent). Throws like `parseDn` when that RDN is malformed.
 */
export function readOwnRdn(dn: string): { rdn: Rdn; end: number } {
  const rdn = readRdn(dn, 0);
  return { rdn, end: rdnEnd };
}

/**
 * Where the RDN last read by `readRdn` ended: the index of the `,` or `;` after it, or the DN's length.
 * A module variable rather than a returned pair, so that the per-RDN hot path allocates nothing extra.
 */
let rdnEnd = 0;

/**
 * Reads the RDN starting at `i` (its AVAs joined by `+`) and sets `rdnEnd`. Looks only at `dn` from `i`
 * on, so the RDNs after a separator parse the same whatever came before it (what lets `DnCache` reuse
 * the parse of a parent DN).
 */
function readRdn(dn: string, i: number): Rdn {
  const rdn: Rdn = [];
  const n = dn.length;
  let plainEnd: number;
  for (;;) {
    while (i < n && dn[i] === ' ') i++;
    const eq = dn.indexOf('=', i);
    if (eq < 0) fail(dn, `expected "type=value" at position ${i}`);
    let type = dn.slice(i, eq).trim();
    if (!TYPE_RE.test(type)) fail(dn, `bad attribute type "${type}"`);
    if (/^oid\./i.test(type)) type = type.slice(4);
    i = eq + 1;
    while (i < n && dn[i] === ' ') i++;

    let value: string;
    if (dn[i] === '#') {
      // BER-encoded value (hexstring): compared as written.
      const start = i++;
      while (i < n && /[0-9A-Fa-f]/.test(dn[i]!)) i++;
      value = dn.slice(start, i).toLowerCase();
      if (value.length < 3 || value.length % 2 === 0) fail(dn, `bad hex value "${value}"`);
      while (i < n && dn[i] === ' ') i++;
    } else if (dn[i] === '"') {
      // RFC 2253 quoted value (obsolete, still sent by some servers).
      i++;
      const bytes: number[] = [];
      while (i < n && dn[i] !== '"') i = readChar(dn, i, bytes);
      if (i >= n) fail(dn, 'unterminated quoted value');
      i++;
      value = Buffer.from(bytes).toString('utf8');
      while (i < n && dn[i] === ' ') i++;
    } else if ((plainEnd = plainValueEnd(dn, i)) >= 0) {
      // The common case (no escapes, ASCII): the text as written, trailing spaces dropped.
      let end = plainEnd;
      while (end > i && dn.charCodeAt(end - 1) === 0x20) end--;
      value = dn.slice(i, end);
      i = plainEnd;
    } else {
      const bytes: number[] = [];
      // Trailing spaces are insignificant unless escaped: remember where the last escaped byte ended.
      let significantEnd = 0;
      while (i < n && dn[i] !== ',' && dn[i] !== '+' && dn[i] !== ';') {
        const escaped = dn[i] === '\\';
        if (!escaped && (dn[i] === '"' || dn[i] === '<' || dn[i] === '>')) fail(dn, `unescaped "${dn[i]}" at position ${i}`);
        i = readChar(dn, i, bytes);
        if (escaped || bytes[bytes.length - 1] !== 0x20) significantEnd = bytes.length;
      }
      value = Buffer.from(bytes.slice(0, significantEnd)).toString('utf8');
    }
    rdn.push({ type, value });
    if (i >= n || dn[i] !== '+') {
      rdnEnd = i >= n ? n : i;
      return rdn;
    }
    i++;
  }
}

/**
 * Where a value starting at `i` ends (the next `,` `+` `;` or the end) when it is plain printable
 * ASCII with nothing escaped or forbidden in it; -1 when it needs the byte-wise reader.
 */
function plainValueEnd(dn: string, i: number): number {
  const n = dn.length;
  for (let k = i; k < n; k++) {
    const c = dn.charCodeAt(k);
    if (c === 0x2c || c === 0x2b || c === 0x3b) return k;
    // \\ " < > and anything outside printable ASCII go the long way.
    if (c === 0x5c || c === 0x22 || c === 0x3c || c === 0x3e || c < 0x20 || c > 0x7e) return -1;
  }
  return n;
}

/** Reads one (possibly escaped) character at `i` into UTF-8 `bytes`; returns the next index. */
function readChar(dn: string, i: number, bytes: number[]): number {
  const c = dn[i]!;
  const code = dn.charCodeAt(i);
  if (code < 0x80 && c !== '\\') {
    bytes.push(code);
    return i + 1;
  }
  if (c !== '\\') {
    const cp = dn.codePointAt(i)!;
    const s = String.fromCodePoint(cp);
    for (const b of Buffer.from(s, 'utf8')) bytes.push(b);
    return i + s.length;
  }
  const pair = dn.slice(i + 1, i + 3);
  if (HEX2.test(pair)) {
    bytes.push(parseInt(pair, 16));
    return i + 3;
  }
  const next = dn[i + 1];
  if (next !== undefined && SPECIAL.has(next)) {
    bytes.push(next.charCodeAt(0));
    return i + 2;
  }
  fail(dn, `bad escape at position ${i}`);
}

/** Escapes an attribute value for use in a DN (RFC 4514 §2.4). */
export function escapeDnValue(value: string): string {
  let out = '';
  for (let k = 0; k < value.length; k++) {
    const c = value[k]!;
    if (c === '\0') out += '\\00';
    else if ('"+,;<>\\='.includes(c)) out += `\\${c}`;
    else if ((k === 0 && (c === ' ' || c === '#')) || (k === value.length - 1 && c === ' ')) out += `\\${c}`;
    else out += c;
  }
  return out;
}

function normalType(type: string): string {
  const t = type.toLowerCase();
  return OID_NAMES[t] ?? t;
}

function normalValue(value: string): string {
  if (value.startsWith('#')) return value;
  return value.normalize('NFC').toLowerCase().replace(/\s+/g, ' ').trim();
}

/** The canonical form of one parsed RDN (AVAs sorted, joined by `+`). */
export function formatNormalizedRdn(rdn: Rdn): string {
  if (rdn.length === 1) return `${normalType(rdn[0]!.type)}=${escapeDnValue(normalValue(rdn[0]!.value))}`;
  return rdn
    .map((ava) => `${normalType(ava.type)}=${escapeDnValue(normalValue(ava.value))}`)
    .sort()
    .join('+');
}

/** The canonical form of parsed RDNs (see the module comment). */
export function formatNormalized(rdns: readonly Rdn[]): string {
  return rdns.map(formatNormalizedRdn).join(',');
}

/** Normalises a DN string for comparison; throws LdapError(LDAP_INVALID_DN) when it does not parse. */
export function normalizeDn(dn: string): string {
  return formatNormalized(parseDn(dn));
}

/** True when `dn` equals `base` or lies below it (both already parsed). */
export function isWithin(dn: readonly Rdn[], base: readonly Rdn[]): boolean {
  return isWithinNormalized(dn, base.length, formatNormalized(base));
}

/** `isWithin` against a base whose length and normal form were worked out once, not on every call. */
export function isWithinNormalized(dn: readonly Rdn[], baseLength: number, baseNormalized: string): boolean {
  if (dn.length < baseLength) return false;
  return formatNormalized(dn.slice(dn.length - baseLength)) === baseNormalized;
}

/** Attribute type of an RDN as a lower-case name (`ou`, `cn`, ...). */
export function rdnType(rdn: Rdn): string {
  return normalType(rdn[0]?.type ?? '');
}

/**
 * The organization path of the entry `dn` below `baseDn`: the values of the `ou=` RDNs between the two,
 * outermost first, not counting the entry's own RDN. Other containers (AD `CN=Users`, `l=`, `dc=`) are
 * not organizations and are skipped, so an AD user in `CN=Users,DC=corp,DC=example` hangs at the root.
 * An entry outside `baseDn` (should not happen with a subtree search) gets `[]`.
 */
export function organizationPathOf(dn: readonly Rdn[], base: readonly Rdn[]): string[] {
  return organizationPathBelow(dn, base.length, formatNormalized(base));
}

/** `organizationPathOf` against a base whose length and normal form were worked out once. */
export function organizationPathBelow(dn: readonly Rdn[], baseLength: number, baseNormalized: string): string[] {
  if (dn.length === baseLength || !isWithinNormalized(dn, baseLength, baseNormalized)) return [];
  const path: string[] = [];
  for (let k = dn.length - baseLength - 1; k >= 1; k--) {
    const rdn = dn[k]!;
    if (rdn.length === 1 && rdnType(rdn) === 'ou') path.push(rdn[0]!.value);
  }
  return path;
}
