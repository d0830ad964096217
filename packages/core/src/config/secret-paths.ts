/**
 * Where a zod schema marks secrets, found structurally: a user-installed plugin may carry its own
 * copy of zod, so neither `instanceof` nor our registry can be trusted. Any zod 4 schema exposes
 * `_zod.def` (its kind and children) and `.meta()` (its own registry's metadata), which is all
 * this needs. Unknown shapes (zod 3, hand-made) yield no paths rather than an error.
 */

/** One step of a path: an object key, a tuple position, or `null` for every array element / record value. */
export type PathSegment = string | number | null;
export type SecretPath = readonly PathSegment[];

interface ZodDefLike {
  type?: unknown;
  shape?: unknown;
  innerType?: unknown;
  element?: unknown;
  valueType?: unknown;
  items?: unknown;
  rest?: unknown;
  options?: unknown;
  left?: unknown;
  right?: unknown;
  in?: unknown;
  out?: unknown;
  getter?: unknown;
}

function defOf(schema: unknown): ZodDefLike | undefined {
  if (schema === null || typeof schema !== 'object') return undefined;
  const def = (schema as { _zod?: { def?: unknown } })._zod?.def;
  return def !== null && typeof def === 'object' ? (def as ZodDefLike) : undefined;
}

function isSecret(schema: unknown): boolean {
  const meta = (schema as { meta?: unknown }).meta;
  if (typeof meta !== 'function') return false;
  try {
    const value: unknown = meta.call(schema);
    return value !== null && typeof value === 'object' && (value as { secret?: unknown }).secret === true;
  } catch {
    return false;
  }
}

/** Wrappers whose value is the inner schema's value. */
const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional', 'success']);

/**
 * Children of a schema node, each with the path segment leading to it (`undefined`: same value).
 * Exported for the issue formatter, which walks a schema along an issue's path.
 */
export function childSchemas(schema: unknown): Array<{ segment: PathSegment | undefined; schema: unknown }> {
  const def = defOf(schema);
  if (def === undefined) return [];
  const type = def.type;
  if (typeof type !== 'string') return [];
  if (WRAPPERS.has(type)) return [{ segment: undefined, schema: def.innerType }];
  switch (type) {
    case 'object': {
      const shape = def.shape;
      if (shape === null || typeof shape !== 'object') return [];
      return Object.entries(shape as Record<string, unknown>).map(([key, child]) => ({ segment: key, schema: child }));
    }
    case 'array':
      return [{ segment: null, schema: def.element }];
    case 'set':
    case 'record':
    case 'map':
      return [{ segment: null, schema: def.valueType }];
    case 'tuple': {
      const items = Array.isArray(def.items) ? (def.items as unknown[]) : [];
      const out: Array<{ segment: PathSegment | undefined; schema: unknown }> = items.map((item, i) => ({
        segment: i,
        schema: item,
      }));
      if (def.rest) out.push({ segment: null, schema: def.rest });
      return out;
    }
    case 'union':
      return Array.isArray(def.options) ? (def.options as unknown[]).map((o) => ({ segment: undefined, schema: o })) : [];
    case 'intersection':
      return [
        { segment: undefined, schema: def.left },
        { segment: undefined, schema: def.right },
      ];
    case 'pipe':
      // The config file holds the input side; the parsed value the output side. Secrets on either count.
      return [
        { segment: undefined, schema: def.in },
        { segment: undefined, schema: def.out },
      ];
    case 'lazy': {
      if (typeof def.getter !== 'function') return [];
      try {
        return [{ segment: undefined, schema: (def.getter as () => unknown)() }];
      } catch {
        return [];
      }
    }
    default:
      return [];
  }
}

/**
 * Every path a schema marks secret (with core's `secret()`, i.e. `.meta({ secret: true })`),
 * e.g. `[['bindPassword'], ['accounts', null, 'secretAccessKey']]`. Sorted, without duplicates.
 * A recursive schema (z.lazy) is followed once: paths repeat without end below it. To find or
 * hide the secrets of an actual value, use `secretValues` / `mapSecrets`, which follow any depth.
 */
export function secretPaths(schema: unknown): SecretPath[] {
  const found = new Map<string, SecretPath>();
  const onPath = new Set<unknown>(); // recursion guard for z.lazy and self-referencing shapes

  const walk = (node: unknown, path: PathSegment[]) => {
    if (node === null || typeof node !== 'object' || onPath.has(node)) return;
    if (isSecret(node)) {
      found.set(JSON.stringify(path), [...path]);
      return; // everything below a secret is secret
    }
    onPath.add(node);
    for (const child of childSchemas(node)) {
      walk(child.schema, child.segment === undefined ? path : [...path, child.segment]);
    }
    onPath.delete(node);
  };
  walk(schema, []);
  return [...found.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, path]) => path);
}

/** `accounts[*].secretAccessKey`, `headers.*`. */
export function formatSecretPath(path: SecretPath): string {
  let out = '';
  for (const segment of path) {
    if (segment === null) out += '[*]';
    else if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}

/** Every value found at `path` in `value` (wildcards fan out over arrays and objects). */
export function valuesAtPath(value: unknown, path: SecretPath): unknown[] {
  let current: unknown[] = [value];
  for (const segment of path) {
    const next: unknown[] = [];
    for (const v of current) {
      if (v === null || typeof v !== 'object') continue;
      if (segment === null) next.push(...(Array.isArray(v) ? v : Object.values(v as Record<string, unknown>)));
      else {
        const child = (v as Record<string | number, unknown>)[segment];
        if (child !== undefined) next.push(child);
      }
    }
    current = next;
  }
  return current;
}

/** Every string inside a value (the value itself if it is one). */
export function stringLeaves(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) stringLeaves(v, out);
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) stringLeaves(v, out);
  return out;
}

/**
 * A copy of `value` with every part the schema marks secret replaced by `replace(part)`, walking
 * schema and value together. Unlike `secretPaths`, this follows recursive schemas (z.lazy) as deep
 * as the value goes. Union options are all applied: a field secret in any option counts as secret,
 * erring on the side of hiding.
 */
export function mapSecrets(schema: unknown, value: unknown, replace: (secretValue: unknown) => unknown): unknown {
  const visiting = new Map<unknown, Set<unknown>>(); // schema node → values being walked (cycle guard)

  const walk = (node: unknown, v: unknown): unknown => {
    if (v === undefined || node === null || typeof node !== 'object') return v;
    if (isSecret(node)) return replace(v);
    let seen = visiting.get(node);
    if (seen?.has(v)) return v;
    if (seen === undefined) visiting.set(node, (seen = new Set()));
    if (v !== null && typeof v === 'object') seen.add(v);
    try {
      const def = defOf(node);
      const type = typeof def?.type === 'string' ? def.type : '';
      let out: unknown = v;
      for (const child of childSchemas(node)) {
        if (child.segment === undefined) {
          out = walk(child.schema, out);
        } else if (Array.isArray(out)) {
          const arr: unknown[] = out;
          out = arr.map((item, i) =>
            child.segment === null || child.segment === i ? walk(child.schema, item) : item,
          );
        } else if (out !== null && typeof out === 'object' && type !== 'array' && type !== 'tuple') {
          const obj = out as Record<string, unknown>;
          if (child.segment === null) {
            out = Object.fromEntries(Object.entries(obj).map(([k, item]) => [k, walk(child.schema, item)]));
          } else if (typeof child.segment === 'string' && child.segment in obj) {
            out = { ...obj, [child.segment]: walk(child.schema, obj[child.segment]) };
          }
        }
      }
      return out;
    } finally {
      if (v !== null && typeof v === 'object') seen.delete(v);
    }
  };
  return walk(schema, value);
}

/** Every string the schema marks secret inside `value`. */
export function secretValues(schema: unknown, value: unknown): string[] {
  const found: string[] = [];
  mapSecrets(schema, value, (secretValue) => {
    stringLeaves(secretValue, found);
    return secretValue;
  });
  return found;
}
