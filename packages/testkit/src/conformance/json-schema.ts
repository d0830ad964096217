import { formatSecretPath, type SecretPath } from '@elder-sync/core';

type JsonSchemaNode = Record<string, unknown>;

/**
 * Renders a config schema as JSON Schema (what editors and `config init` show) through the
 * schema's own zod: a plugin's schema may come from a different copy of zod than ours.
 */
export function renderJsonSchema(schema: unknown): JsonSchemaNode {
  const render = (schema as { toJSONSchema?: unknown }).toJSONSchema;
  if (typeof render !== 'function') {
    throw new TypeError('configSchema has no toJSONSchema(): it must be a zod 4 schema');
  }
  // The config file holds the input side of the schema (before defaults and transforms).
  return render.call(schema, { io: 'input' }) as JsonSchemaNode;
}

/** The nodes a path reaches, looking through unions, intersections and `$ref`s into `$defs`. */
function nodesAt(root: JsonSchemaNode, path: SecretPath): JsonSchemaNode[] {
  const defs = { ...(root['$defs'] as Record<string, JsonSchemaNode> | undefined), ...(root['definitions'] as Record<string, JsonSchemaNode> | undefined) };
  const expand = (node: JsonSchemaNode, depth = 0): JsonSchemaNode[] => {
    if (depth > 20) return [node];
    const out: JsonSchemaNode[] = [node];
    const ref = node['$ref'];
    if (typeof ref === 'string') {
      const target = defs[ref.replace(/^#\/(\$defs|definitions)\//, '')];
      if (target) out.push(...expand(target, depth + 1));
    }
    for (const key of ['anyOf', 'oneOf', 'allOf']) {
      const list = node[key];
      if (Array.isArray(list)) for (const n of list) if (n && typeof n === 'object') out.push(...expand(n as JsonSchemaNode, depth + 1));
    }
    return out;
  };
  let current = expand(root);
  for (const segment of path) {
    const next: JsonSchemaNode[] = [];
    for (const node of current) {
      let child: unknown;
      if (segment === null) child = node['items'] ?? node['additionalProperties'];
      else if (typeof segment === 'number') child = Array.isArray(node['prefixItems']) ? (node['prefixItems'] as unknown[])[segment] : undefined;
      else child = (node['properties'] as Record<string, unknown> | undefined)?.[segment];
      if (child && typeof child === 'object') next.push(...expand(child as JsonSchemaNode));
    }
    current = next;
  }
  return current;
}

/** Secret paths the rendered schema does not show as `writeOnly` (so an editor would echo them). */
export function secretPathsNotWriteOnly(jsonSchema: JsonSchemaNode, paths: readonly SecretPath[]): string[] {
  return paths
    .filter((path) => !nodesAt(jsonSchema, path).some((node) => node['writeOnly'] === true))
    .map((path) => formatSecretPath(path));
}
