import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';
import type { z } from 'zod';

/**
 * Reads `tenantsFile` (YAML or JSON with a top-level `tenants:` list, or a bare list) so that 40
 * customers stay readable. `${ENV}`, `${ENV:-default}` and `${file:./path}` (relative to the tenants
 * file) are substituted as in the main config; secrets are then marked by the schema like inline ones.
 * Synchronous and local: `config validate` checks the file without touching the network.
 */
export function loadTenantsFile<T>(path: string, schema: z.ZodType<T>): { tenants: T[]; issues: string[] } {
  const file = isAbsolute(path) ? path : resolve(process.cwd(), path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return { tenants: [], issues: [`cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'}); give a path relative to the working directory or an absolute one`] };
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    return { tenants: [], issues: [`${file} is not valid YAML or JSON: ${(error as Error).message.split('\n')[0]}`] };
  }
  const list = Array.isArray(doc) ? doc : (doc as { tenants?: unknown } | null)?.tenants;
  if (!Array.isArray(list)) return { tenants: [], issues: [`${file} must hold a list of tenants, or tenants: [...]`] };
  const issues: string[] = [];
  const tenants: T[] = [];
  list.forEach((raw, i) => {
    const substituted = substitute(raw, dirname(file), (problem) => issues.push(`${file} tenants[${i}]: ${problem}`));
    const parsed = schema.safeParse(substituted);
    if (parsed.success) tenants.push(parsed.data);
    else for (const issue of parsed.error.issues) issues.push(`${file} tenants[${i}]${issue.path.map((p) => `.${String(p)}`).join('')}: ${issue.message}`);
  });
  return { tenants, issues };
}

function substitute(value: unknown, baseDir: string, problem: (message: string) => void): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([^}]*)\}/g, (_, expression: string) => {
      const e = expression.trim();
      if (e.startsWith('file:')) {
        const p = e.slice(5).trim();
        try {
          return readFileSync(isAbsolute(p) ? p : resolve(baseDir, p), 'utf8').replace(/\r?\n$/, '');
        } catch {
          problem(`\${file:${p}} cannot be read`);
          return '';
        }
      }
      const [name, fallback] = e.split(':-', 2) as [string, string | undefined];
      const env = process.env[name];
      if (env !== undefined && env !== '') return env;
      if (fallback !== undefined) return fallback;
      problem(`\${${name}} is not set in the environment`);
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, baseDir, problem));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, baseDir, problem)]));
  }
  return value;
}
