import type { ConfigIssue } from '../errors.js';
import { formatPath } from './issues.js';

/**
 * A strict JSON (RFC 8259) reader for `.json` configuration files. `JSON.parse` cannot say where a
 * key was repeated, and its error texts differ between Node versions; a YAML parser reads JSON but
 * answers JSON mistakes in YAML's words ("Missing , between flow map items"). This one reports the
 * first syntax error at its line and column in JSON's terms, and every duplicate key by its path.
 */

export type JsonDocumentResult = { ok: true; value: unknown; duplicates: ConfigIssue[] } | { ok: false; issues: ConfigIssue[] };

/** Nesting deeper than this is no configuration; it would only exhaust the stack. */
const MAX_DEPTH = 200;
const PLAIN = /[^"\\\u0000-\u001f]*/y;

class JsonSyntaxError extends Error {
  constructor(
    readonly at: number,
    message: string,
  ) {
    super(message);
  }
}

export function parseJsonDocument(text: string, name: string): JsonDocumentResult {
  const duplicates: ConfigIssue[] = [];
  let i = 0;

  const where = (index: number) => {
    let line = 1;
    let start = 0;
    for (let k = text.indexOf('\n'); k !== -1 && k < index; k = text.indexOf('\n', k + 1)) {
      line++;
      start = k + 1;
    }
    return { line, column: index - start + 1 };
  };
  const describe = (index: number): string => {
    if (index >= text.length) return 'the end of the file';
    const ch = text[index]!;
    if (ch === '\n' || ch === '\r') return 'the end of the line';
    return JSON.stringify(ch);
  };
  const fail = (message: string, at = i): never => {
    throw new JsonSyntaxError(at, message);
  };

  const skipSpace = () => {
    for (;;) {
      const ch = text[i];
      if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') i++;
      else if (ch === '/' && (text[i + 1] === '/' || text[i + 1] === '*')) fail('comments are not allowed in JSON (use a .yaml file for comments)');
      else return;
    }
  };

  const parseValue = (path: Array<string | number>, depth: number): unknown => {
    if (depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH} levels`);
    skipSpace();
    const ch = text[i];
    if (ch === '{') return parseObject(path, depth);
    if (ch === '[') return parseArray(path, depth);
    if (ch === '"') return parseString();
    if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) return parseNumber();
    for (const [word, value] of [['true', true], ['false', false], ['null', null]] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return value;
      }
    }
    if (ch === "'") fail("strings in JSON use double quotes (\"), not single quotes");
    if (ch === '}' || ch === ']' || ch === ',' || ch === undefined) fail(`expected a value, found ${describe(i)}`);
    return fail(`expected a value (a string in double quotes, a number, true, false, null, an object or an array), found ${describe(i)}`);
  };

  const parseObject = (path: Array<string | number>, depth: number): Record<string, unknown> => {
    i++; // {
    const out: Record<string, unknown> = {};
    const seen = new Map<string, number>();
    skipSpace();
    if (text[i] === '}') {
      i++;
      return out;
    }
    for (;;) {
      skipSpace();
      if (text[i] === '}') fail('a trailing comma before "}" is not allowed in JSON; remove it');
      if (text[i] !== '"') fail(`expected a property name in double quotes, found ${describe(i)}`);
      const keyAt = i;
      const key = parseString();
      skipSpace();
      if (text[i] !== ':') fail(`expected ":" after the property name ${JSON.stringify(key)}, found ${describe(i)}`);
      i++;
      const value = parseValue([...path, key], depth + 1);
      const first = seen.get(key);
      if (first !== undefined) {
        const { line, column } = where(keyAt);
        const firstAt = where(first);
        duplicates.push({
          path: `${name}:${line}:${column}`,
          message: `duplicate key ${JSON.stringify(key)} in ${path.length === 0 ? 'the top-level object' : formatPath(path)} (first at line ${firstAt.line}); keep only one`,
        });
      } else {
        seen.set(key, keyAt);
      }
      // Own property even for "__proto__", so the key is reported under its own name, never obeyed.
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      skipSpace();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '}') {
        i++;
        return out;
      }
      fail(`expected "," or "}" after the value of ${JSON.stringify(key)}, found ${describe(i)}`);
    }
  };

  const parseArray = (path: Array<string | number>, depth: number): unknown[] => {
    i++; // [
    const out: unknown[] = [];
    skipSpace();
    if (text[i] === ']') {
      i++;
      return out;
    }
    for (;;) {
      skipSpace();
      if (text[i] === ']') fail('a trailing comma before "]" is not allowed in JSON; remove it');
      out.push(parseValue([...path, out.length], depth + 1));
      skipSpace();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === ']') {
        i++;
        return out;
      }
      fail(`expected "," or "]" after an array item, found ${describe(i)}`);
    }
  };

  const parseString = (): string => {
    const start = i;
    i++; // "
    let out = '';
    for (;;) {
      // Fast path: the run of plain characters up to the next quote, backslash or control character.
      PLAIN.lastIndex = i;
      const run = PLAIN.exec(text);
      if (run !== null && run[0].length > 0) {
        out += run[0];
        i += run[0].length;
      }
      const ch = text[i];
      if (ch === undefined) return fail('a string is not closed (missing ")', start);
      if (ch === '"') {
        i++;
        return out;
      }
      if (ch === '\\') {
        const esc = text[i + 1];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (esc !== undefined && esc in simple) {
          out += simple[esc];
          i += 2;
        } else if (esc === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
        } else {
          fail(`invalid escape ${JSON.stringify(text.slice(i, i + 2))} in a string`);
        }
        continue;
      }
      if (ch < ' ') fail(ch === '\n' ? 'a string is not closed before the end of the line (missing ")' : `a control character (U+${ch.charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}) in a string must be escaped`);
      out += ch;
      i++;
    }
  };

  const parseNumber = (): number => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!match) return fail(`invalid number starting with ${describe(i)}`);
    const next = text[i + match[0].length];
    if (next !== undefined && /[0-9A-Za-z.]/.test(next)) fail(`invalid number ${JSON.stringify(text.slice(i, i + match[0].length + 1))} (JSON numbers have no leading zeros, hex or trailing dots)`);
    i += match[0].length;
    return Number(match[0]);
  };

  try {
    if (text.trim() === '') return { ok: true, value: null, duplicates };
    const value = parseValue([], 0);
    skipSpace();
    if (i < text.length) fail(`unexpected ${describe(i)} after the end of the JSON document`);
    return { ok: true, value, duplicates };
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    const { line, column } = where(error.at);
    return { ok: false, issues: [{ path: `${name}:${line}:${column}`, message: `${error.message} (JSON syntax)` }] };
  }
}
