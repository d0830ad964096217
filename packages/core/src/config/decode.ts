import type { ConfigIssue } from '../errors.js';

/**
 * A configuration file's bytes → text, strictly. Editors and shells really produce these: Windows
 * PowerShell's `>` writes UTF-16 with a byte-order mark, old editors save Latin-1 or Windows-1252,
 * and a wrong path hands us a binary. A lenient decoder would turn an `é` into U+FFFD and carry the
 * mojibake into Elder's names; here every such byte is an error with its line and column.
 */

/** At most this many invalid bytes are listed; a Latin-1 file would otherwise give one per accent. */
const INVALID_BYTES_LISTED = 10;
/** How much of the start is inspected to call a file binary or BOM-less UTF-16. */
const SNIFF_BYTES = 8192;

export type DecodeResult = { ok: true; text: string; encoding: string } | { ok: false; issues: ConfigIssue[] };

/** Magic numbers of files people point `--config` at by mistake. */
const MAGIC: Array<{ bytes: number[]; what: string }> = [
  { bytes: [0x1f, 0x8b], what: 'a gzip archive' },
  { bytes: [0x50, 0x4b, 0x03, 0x04], what: 'a zip archive' },
  { bytes: [0x7f, 0x45, 0x4c, 0x46], what: 'an executable (ELF)' },
  { bytes: [0x89, 0x50, 0x4e, 0x47], what: 'a PNG image' },
  { bytes: [0xff, 0xd8, 0xff], what: 'a JPEG image' },
  { bytes: [0x25, 0x50, 0x44, 0x46], what: 'a PDF document' },
  { bytes: [0x53, 0x51, 0x4c, 0x69, 0x74, 0x65, 0x20, 0x66], what: 'an SQLite database (the state file?)' },
];

export function decodeConfigBytes(bytes: Uint8Array, name: string): DecodeResult {
  const fail = (path: string, message: string): DecodeResult => ({ ok: false, issues: [{ path, message }] });
  const startsWith = (prefix: number[]) => prefix.every((b, i) => bytes[i] === b);

  // UTF-32 first: its little-endian BOM begins with UTF-16's.
  if (startsWith([0xff, 0xfe, 0x00, 0x00]) || startsWith([0x00, 0x00, 0xfe, 0xff])) {
    return fail(name, 'the file is UTF-32 (it starts with a UTF-32 byte-order mark); save it as UTF-8');
  }
  if (startsWith([0xff, 0xfe]) || startsWith([0xfe, 0xff])) {
    const encoding = bytes[0] === 0xff ? 'utf-16le' : 'utf-16be';
    // What Windows PowerShell's `>` and Notepad's "Unicode" write: decoded, as the BOM says.
    try {
      const text = new TextDecoder(encoding, { fatal: true, ignoreBOM: false }).decode(bytes);
      return { ok: true, text, encoding };
    } catch {
      return fail(name, `the file starts with a ${encoding.toUpperCase()} byte-order mark but is not valid ${encoding.toUpperCase()}; save it as UTF-8`);
    }
  }
  const magic = MAGIC.find((m) => startsWith(m.bytes));
  if (magic) return fail(name, `this is ${magic.what}, not a YAML or JSON configuration; give the configuration file`);

  const bom = startsWith([0xef, 0xbb, 0xbf]) ? 3 : 0;
  const head = bytes.subarray(bom, Math.min(bytes.length, SNIFF_BYTES));
  const utf16 = bomlessUtf16(head);
  if (utf16) return fail(name, `the file looks like ${utf16} without a byte-order mark (every other byte is 0); save it as UTF-8`);
  if (looksBinary(head)) {
    return fail(name, 'this is a binary file (it holds NUL and other control bytes), not a YAML or JSON configuration; give the configuration file');
  }

  const invalid = invalidUtf8(bytes, bom);
  if (invalid.length > 0) {
    const issues = invalid.slice(0, INVALID_BYTES_LISTED).map(({ offset, line, column, byte }) => {
      const char = windows1252(byte);
      const printable = char !== null && /^[\p{L}\p{P}\p{S}\p{N}]$/u.test(char);
      return {
        path: `${name}:${line}:${column}`,
        message: `byte 0x${byte.toString(16).toUpperCase().padStart(2, '0')} (at byte ${offset}) is not valid UTF-8${
          printable ? ` (the file looks like Latin-1 or Windows-1252, where it is "${char}")` : ''
        }; save it as UTF-8`,
      };
    });
    if (invalid.length > INVALID_BYTES_LISTED) {
      issues.push({ path: name, message: `and ${invalid.length - INVALID_BYTES_LISTED} more bytes that are not UTF-8; save the file as UTF-8` });
    }
    return { ok: false, issues };
  }
  const text = Buffer.from(bytes.buffer, bytes.byteOffset + bom, bytes.length - bom).toString('utf8');
  const nul = text.indexOf('\u0000');
  if (nul !== -1) {
    const { line, column } = position(text, nul);
    return fail(`${name}:${line}:${column}`, 'a NUL byte (U+0000) is in the file; no configuration value may hold one, remove it');
  }
  return { ok: true, text, encoding: 'utf-8' };
}

/** Windows-1252's 0x80–0x9F (smart quotes, dashes, €); elsewhere it is Latin-1. Null where undefined. */
const CP1252_HIGH = '€\u0000‚ƒ„…†‡ˆ‰Š‹Œ\u0000Ž\u0000\u0000‘’“”•–—˜™š›œ\u0000žŸ';

function windows1252(byte: number): string | null {
  if (byte >= 0x80 && byte <= 0x9f) {
    const char = CP1252_HIGH[byte - 0x80]!;
    return char === '\u0000' ? null : char;
  }
  return String.fromCharCode(byte);
}

/** `UTF-16LE` / `UTF-16BE` when, in ASCII-heavy text, every odd or every even byte is 0. */
function bomlessUtf16(head: Uint8Array): string | null {
  if (head.length < 4) return null;
  let evenZero = 0;
  let oddZero = 0;
  for (let i = 0; i + 1 < head.length; i += 2) {
    if (head[i] === 0) evenZero++;
    if (head[i + 1] === 0) oddZero++;
  }
  const pairs = Math.floor(head.length / 2);
  if (oddZero >= pairs * 0.9 && evenZero === 0) return 'UTF-16LE';
  if (evenZero >= pairs * 0.9 && oddZero === 0) return 'UTF-16BE';
  return null;
}

/** git's rule of thumb, made a little stricter: NUL bytes plus more than a few other control bytes. */
function looksBinary(head: Uint8Array): boolean {
  let nul = 0;
  let control = 0;
  for (const b of head) {
    if (b === 0) nul++;
    else if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x1b) control++;
  }
  return nul > 0 && nul + control > Math.max(2, head.length / 100);
}

interface InvalidByte {
  offset: number;
  line: number;
  column: number;
  byte: number;
}

/**
 * Every position where the bytes stop being UTF-8 (RFC 3629: no overlong forms, no surrogates,
 * nothing above U+10FFFF). Lines count from 1 (LF); columns count characters from 1.
 */
function invalidUtf8(bytes: Uint8Array, start: number): InvalidByte[] {
  const out: InvalidByte[] = [];
  let line = 1;
  let column = 1;
  let i = start;
  while (i < bytes.length) {
    const b = bytes[i]!;
    let length = 0;
    if (b < 0x80) length = 1;
    else if (b >= 0xc2 && b <= 0xdf) length = 2;
    else if (b >= 0xe0 && b <= 0xef) length = 3;
    else if (b >= 0xf0 && b <= 0xf4) length = 4;
    let valid = length > 0 && i + length <= bytes.length;
    for (let k = 1; valid && k < length; k++) valid = (bytes[i + k]! & 0xc0) === 0x80;
    if (valid && length === 3) {
      const b1 = bytes[i + 1]!;
      valid = !(b === 0xe0 && b1 < 0xa0) && !(b === 0xed && b1 >= 0xa0); // overlong; surrogates
    }
    if (valid && length === 4) {
      const b1 = bytes[i + 1]!;
      valid = !(b === 0xf0 && b1 < 0x90) && !(b === 0xf4 && b1 >= 0x90); // overlong; above U+10FFFF
    }
    if (!valid) {
      out.push({ offset: i, line, column, byte: b });
      // The continuation bytes of a broken sequence belong to it: one report, not one per byte.
      let k = 1;
      while (k < 4 && i + k < bytes.length && (bytes[i + k]! & 0xc0) === 0x80 && b >= 0xc0) k++;
      i += k;
      column++;
      continue;
    }
    if (b === 0x0a) {
      line++;
      column = 1;
    } else {
      column++;
    }
    i += length;
  }
  return out;
}

/** Line and column (from 1, in UTF-16 code units of the line) of `index` in `text`. */
export function position(text: string, index: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: index - lineStart + 1 };
}
