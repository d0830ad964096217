import type { ConfigIssue } from '../errors.js';
import { redact } from '../secrets.js';
import { childSchemas, type SecretPath } from './secret-paths.js';

/**
 * zod issues → `path: message` lines a user can act on. Structural (`code` and its fields), so it
 * also reads issues from a plugin's own zod copy; an unknown code falls back to zod's message.
 */

export type IssuePath = ReadonlyArray<string | number>;

/** `sources[1].config.regions[0]`, `types["ec2 instance"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z_$][\w$-]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}

export interface IssueContext {
  /** Prefix of every issue path (`['sources', 2, 'config']` for a connector's config). */
  prefix?: IssuePath;
  /** The input that was validated, to show what was given (`got "purge"`). */
  input: unknown;
  /** The schema that was used, to suggest keys for typos. */
  schema?: unknown;
  /** Paths (relative to `input`) whose values must never be shown. */
  secretPaths?: readonly SecretPath[];
}

interface IssueLike {
  code?: unknown;
  path?: unknown;
  message?: unknown;
  expected?: unknown;
  values?: unknown;
  keys?: unknown;
  origin?: unknown;
  minimum?: unknown;
  maximum?: unknown;
  inclusive?: unknown;
  format?: unknown;
  divisor?: unknown;
  errors?: unknown;
  issues?: unknown;
}

export function configIssuesFromZod(issues: readonly unknown[], context: IssueContext): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) collect(issue as IssueLike, [], context, out);
  return out;
}

function collect(issue: IssueLike, base: Array<string | number>, context: IssueContext, out: ConfigIssue[]): void {
  const relative = Array.isArray(issue.path)
    ? (issue.path as unknown[]).map((p) => (typeof p === 'number' ? p : String(p)))
    : [];
  const path = [...base, ...relative];
  const push = (at: Array<string | number>, message: string) =>
    out.push({ path: formatPath([...(context.prefix ?? []), ...at]), message });
  const given = valueAt(context.input, path);
  const got = describeGiven(given, isSecretPath(path, context.secretPaths));

  switch (issue.code) {
    case 'invalid_type': {
      if (given.found === false || given.value === undefined) push(path, 'required');
      else push(path, `must be ${expectedName(issue.expected)}${got}`);
      return;
    }
    case 'invalid_value': {
      const values = Array.isArray(issue.values) ? (issue.values as unknown[]) : [];
      if (values.length === 1) push(path, `must be ${JSON.stringify(values[0])}${got}`);
      else push(path, `must be one of ${values.map((v) => String(v)).join(', ')}${got}`);
      return;
    }
    case 'unrecognized_keys': {
      const keys = Array.isArray(issue.keys) ? (issue.keys as unknown[]).map(String) : [];
      const known = knownKeys(context.schema, path);
      for (const key of keys) {
        const suggestion = closest(key, known);
        const hint = suggestion
          ? `; did you mean "${suggestion}"?`
          : known.length > 0
            ? `; known keys: ${known.join(', ')}`
            : '';
        push([...path, key], `unknown key${hint}`);
      }
      return;
    }
    case 'too_small':
    case 'too_big': {
      push(path, `${boundMessage(issue)}${got}`);
      return;
    }
    case 'not_multiple_of':
      push(path, `${issue.divisor === 1 ? 'must be a whole number' : `must be a multiple of ${String(issue.divisor)}`}${got}`);
      return;
    case 'invalid_format': {
      const format = String(issue.format);
      const message = typeof issue.message === 'string' ? issue.message : '';
      // zod's own wording for formats is terse ("Invalid URL"); custom messages are kept as written.
      if (format === 'url' && /^Invalid URL$/i.test(message)) push(path, `must be a URL${got}`);
      else push(path, `${lowerFirst(message || `must be a valid ${format}`)}${got}`);
      return;
    }
    case 'invalid_union': {
      const branches = Array.isArray(issue.errors) ? (issue.errors as unknown[][]) : [];
      // Report the branch that got furthest: the fewest issues, none of them about the whole value's type.
      const candidates = branches
        .filter((b) => Array.isArray(b) && b.length > 0)
        .filter((b) => !b.some((i) => (i as IssueLike).code === 'invalid_type' && emptyPath(i as IssueLike)));
      const best = candidates.sort((a, b) => a.length - b.length)[0];
      if (best !== undefined) for (const i of best) collect(i as IssueLike, path, context, out);
      else push(path, `${lowerFirst(typeof issue.message === 'string' ? issue.message : 'invalid value')}${got}`);
      return;
    }
    case 'invalid_key':
    case 'invalid_element': {
      const nested = Array.isArray(issue.issues) ? (issue.issues as IssueLike[]) : [];
      if (issue.code === 'invalid_key') {
        const key = path[path.length - 1];
        for (const i of nested) push(path, `key ${JSON.stringify(key)}: ${lowerFirst(String(i.message ?? 'invalid'))}`);
      } else {
        for (const i of nested) collect(i, path, context, out);
      }
      return;
    }
    default: {
      // Custom refinements mostly judge one value; show it then, but not a whole mapping.
      const message = lowerFirst(typeof issue.message === 'string' ? issue.message : 'invalid value');
      const primitive = given.value === null || typeof given.value !== 'object';
      const quoted = primitive && message.includes(JSON.stringify(given.value) ?? '\u0000');
      push(path, `${message}${primitive && !quoted ? got : ''}`);
    }
  }
}

function emptyPath(issue: IssueLike): boolean {
  return !Array.isArray(issue.path) || issue.path.length === 0;
}

function lowerFirst(text: string): string {
  // Keep acronyms ("URL ...") as they are.
  return /^[A-Z][a-z]/.test(text) ? text[0]!.toLowerCase() + text.slice(1) : text;
}

function expectedName(expected: unknown): string {
  switch (expected) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'int':
      return 'a whole number';
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'a list';
    case 'object':
    case 'record':
      return 'a mapping (key: value)';
    default:
      return String(expected);
  }
}

function boundMessage(issue: IssueLike): string {
  const small = issue.code === 'too_small';
  const bound = Number(small ? issue.minimum : issue.maximum);
  const inclusive = issue.inclusive !== false;
  switch (issue.origin) {
    case 'string':
      if (small && bound === 1) return 'must not be empty';
      return `must be ${small ? 'at least' : 'at most'} ${bound} characters long`;
    case 'array':
    case 'set':
      if (small && bound === 1) return 'must not be empty';
      return `must have ${small ? 'at least' : 'at most'} ${bound} item${bound === 1 ? '' : 's'}`;
    default:
      if (inclusive) return `must be ${small ? 'at least' : 'at most'} ${bound}`;
      return `must be ${small ? 'greater' : 'less'} than ${bound}`;
  }
}

function valueAt(input: unknown, path: readonly (string | number)[]): { found: boolean; value: unknown } {
  let current = input;
  for (const segment of path) {
    if (current === null || typeof current !== 'object' || !(segment in (current as object))) {
      return { found: false, value: undefined };
    }
    current = (current as Record<string | number, unknown>)[segment];
  }
  return { found: true, value: current };
}

function describeGiven(given: { found: boolean; value: unknown }, secret: boolean): string {
  if (!given.found || given.value === undefined) return '';
  if (secret) return ' (got a sensitive value)';
  const value = given.value;
  let text: string;
  if (Array.isArray(value)) text = 'a list';
  else if (value !== null && typeof value === 'object') text = 'a mapping';
  else {
    text = JSON.stringify(value) ?? String(value);
    if (text.length > 60) text = `${text.slice(0, 57)}..."`;
  }
  return ` (got ${redact(text)})`;
}

function isSecretPath(path: readonly (string | number)[], secretPaths: readonly SecretPath[] | undefined): boolean {
  if (!secretPaths) return false;
  return secretPaths.some(
    (secretPath) =>
      secretPath.length <= path.length && secretPath.every((segment, i) => segment === null || segment === path[i]),
  );
}

/** Keys the schema accepts at `path` (through wrappers, unions, arrays and records). */
function knownKeys(schema: unknown, path: readonly (string | number)[]): string[] {
  let nodes: unknown[] = schema === undefined ? [] : [schema];
  for (const segment of path) {
    nodes = expand(nodes).flatMap((node) =>
      childSchemas(node)
        .filter((c) => c.segment !== undefined && (c.segment === null || c.segment === segment))
        .map((c) => c.schema),
    );
  }
  const keys = new Set<string>();
  for (const node of expand(nodes)) {
    if ((node as { _zod?: { def?: { type?: unknown } } })._zod?.def?.type !== 'object') continue;
    for (const child of childSchemas(node)) if (typeof child.segment === 'string') keys.add(child.segment);
  }
  return [...keys].sort();
}

/** The nodes plus everything reachable through wrappers (segment-less children). */
function expand(nodes: unknown[]): unknown[] {
  const out: unknown[] = [];
  const seen = new Set<unknown>();
  const visit = (node: unknown) => {
    if (seen.has(node) || node === null || typeof node !== 'object') return;
    seen.add(node);
    out.push(node);
    for (const child of childSchemas(node)) if (child.segment === undefined) visit(child.schema);
  };
  nodes.forEach(visit);
  return out;
}

/** The known key a typo most likely meant (edit distance ≤ 2, or a case-only difference). */
export function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = candidate.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.min(2, Math.floor(key.length / 2)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}
