import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { ConfigIssue } from '../errors.js';
import { formatPath } from './issues.js';

/**
 * `${ENV_VAR}`, `${ENV_VAR:-default}` and `${file:./path}` in string values, whole or embedded.
 * `$${` is a literal `${`. Defaults are plain text (no nested references).
 *
 * Values read from the environment or a file are returned as secrets (DESIGN §3): the caller
 * registers them so they are redacted everywhere. Defaults written in the file are not secrets.
 */

export type Environment = Readonly<Record<string, string | undefined>>;

export interface SubstitutionOptions {
  env: Environment;
  /** `${file:...}` paths are relative to this directory (the config file's). */
  baseDir: string;
  /** Prefix of issue paths. */
  prefix?: ReadonlyArray<string | number>;
}

export interface SubstitutionResult {
  value: unknown;
  issues: ConfigIssue[];
  /** Every value that came from the environment or a file. */
  secrets: string[];
  /** Formatted paths whose substitution failed (their value is left as written). */
  failedPaths: Set<string>;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function substitute(value: unknown, options: SubstitutionOptions): SubstitutionResult {
  const result: SubstitutionResult = { value: undefined, issues: [], secrets: [], failedPaths: new Set() };
  result.value = walk(value, [...(options.prefix ?? [])], options, result);
  return result;
}

function walk(value: unknown, path: Array<string | number>, options: SubstitutionOptions, result: SubstitutionResult): unknown {
  if (typeof value === 'string') return value.includes('${') ? substituteString(value, path, options, result) : value;
  if (Array.isArray(value)) return value.map((v, i) => walk(v, [...path, i], options, result));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) out[key] = walk(v, [...path, key], options, result);
    return out;
  }
  return value;
}

function substituteString(
  text: string,
  path: Array<string | number>,
  options: SubstitutionOptions,
  result: SubstitutionResult,
): string {
  const where = formatPath(path);
  const fail = (message: string) => {
    result.issues.push({ path: where, message });
    result.failedPaths.add(where);
  };
  let out = '';
  let i = 0;
  let failed = false;
  while (i < text.length) {
    if (text.startsWith('$${', i)) {
      out += '${';
      i += 3;
      continue;
    }
    if (!text.startsWith('${', i)) {
      out += text[i];
      i += 1;
      continue;
    }
    const end = text.indexOf('}', i + 2);
    if (end < 0) {
      fail(`unterminated "\${" (close it with "}", or write "$\${" for a literal "\${")`);
      return text;
    }
    const expression = text.slice(i + 2, end);
    i = end + 1;
    const resolved = resolveReference(expression, options);
    if ('error' in resolved) {
      fail(resolved.error);
      failed = true;
      continue;
    }
    if (resolved.secret) result.secrets.push(resolved.value);
    out += resolved.value;
  }
  return failed ? text : out;
}

function resolveReference(expression: string, options: SubstitutionOptions): { value: string; secret: boolean } | { error: string } {
  if (expression.startsWith('file:')) {
    const file = expression.slice('file:'.length).trim();
    if (file === '') return { error: '"${file:}" needs a path, e.g. ${file:./secrets/elder-password}' };
    const absolute = isAbsolute(file) ? file : resolve(options.baseDir, file);
    try {
      // Secret files (Docker/Kubernetes secrets, `echo > file`) usually end in a newline that is not part of the value.
      return { value: readFileSync(absolute, 'utf8').replace(/(\r?\n)+$/, ''), secret: true };
    } catch (error) {
      return { error: `cannot read file ${file} (${absolute}): ${fileErrorReason(error)}` };
    }
  }
  const separator = expression.indexOf(':-');
  const name = separator < 0 ? expression : expression.slice(0, separator);
  const fallback = separator < 0 ? undefined : expression.slice(separator + 2);
  if (!NAME.test(name)) {
    return {
      error: `"\${${expression}}" is not a valid reference; write \${NAME}, \${NAME:-default} or \${file:./path} ("$\${" for a literal "\${")`,
    };
  }
  const value = options.env[name];
  if (value !== undefined && !(fallback !== undefined && value === '')) return { value, secret: true };
  if (fallback !== undefined) return { value: fallback, secret: false };
  return { error: `environment variable ${name} is not set (set it, or write \${${name}:-default})` };
}

function fileErrorReason(error: unknown): string {
  switch ((error as { code?: unknown }).code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}
