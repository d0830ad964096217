/**
 * Werkzeug-style routing: `<int:id>` only matches digits (so `/entities/abc` is a 404), a path that matches
 * with the wrong method is a 405, and a rule ending in `/` redirects the slash-less path with 308 while a
 * rule without one does not match a trailing slash (§1 "Trailing slash").
 */
import type { RouteContext } from './app.js';
import type { EmulatorResponse } from './http.js';

/**
 * `login_required`: Elder checks the token. `none`: Elder forgot the decorator (§0.2), so only strict mode
 * checks. `public`: never checked (health, status, login).
 */
export type AuthPolicy = 'login_required' | 'none' | 'public';

export type RouteHandler = (ctx: RouteContext) => EmulatorResponse;

export interface MethodBinding {
  auth: AuthPolicy;
  handler: RouteHandler;
}

export interface RouteDefinition {
  /** e.g. `/api/v1/entities/<int:id>` */
  pattern: string;
  methods: Partial<Record<string, MethodBinding>>;
}

interface CompiledRoute {
  definition: RouteDefinition;
  regex: RegExp;
  paramNames: string[];
  /** Stats key form, e.g. `/api/v1/entities/{id}`. */
  label: string;
}

export type RouteMatch =
  | { kind: 'found'; route: CompiledRoute; binding: MethodBinding; params: Record<string, string>; label: string }
  | { kind: 'method-not-allowed'; allowed: string[]; label: string }
  | { kind: 'redirect'; location: string; label: string }
  | { kind: 'not-found' };

function compile(definition: RouteDefinition): CompiledRoute {
  const paramNames: string[] = [];
  let source = '';
  let label = '';
  for (const segment of definition.pattern.split(/(<[^>]+>)/)) {
    const param = /^<(?:(int):)?([a-z_]+)>$/.exec(segment);
    if (param) {
      paramNames.push(param[2] as string);
      source += param[1] === 'int' ? '(\\d+)' : '([^/]+)';
      label += `{${param[2]}}`;
    } else {
      source += segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      label += segment;
    }
  }
  return { definition, regex: new RegExp(`^${source}$`), paramNames, label };
}

/** Methods Flask adds to every rule: HEAD with GET, and automatic OPTIONS. */
function allowedMethods(definition: RouteDefinition): string[] {
  const methods = new Set(Object.keys(definition.methods));
  if (methods.has('GET')) methods.add('HEAD');
  methods.add('OPTIONS');
  return [...methods].sort();
}

export class Router {
  private readonly routes: CompiledRoute[];

  constructor(definitions: RouteDefinition[]) {
    this.routes = definitions.map(compile);
  }

  match(method: string, path: string, search: string): RouteMatch {
    const candidates: { route: CompiledRoute; params: Record<string, string> }[] = [];
    for (const route of this.routes) {
      const found = route.regex.exec(path);
      if (!found) continue;
      const params: Record<string, string> = {};
      route.paramNames.forEach((name, index) => {
        params[name] = found[index + 1] as string;
      });
      candidates.push({ route, params });
    }
    if (candidates.length === 0) {
      for (const route of this.routes) {
        if (route.definition.pattern.endsWith('/') && route.regex.test(`${path}/`)) {
          return { kind: 'redirect', location: `${path}/${search}`, label: route.label };
        }
      }
      return { kind: 'not-found' };
    }
    const lookup = method === 'HEAD' ? 'GET' : method;
    for (const { route, params } of candidates) {
      const binding = route.definition.methods[lookup];
      if (binding) return { kind: 'found', route, binding, params, label: route.label };
    }
    const allowed = new Set<string>();
    for (const { route } of candidates) for (const name of allowedMethods(route.definition)) allowed.add(name);
    return { kind: 'method-not-allowed', allowed: [...allowed].sort(), label: (candidates[0] as { route: CompiledRoute }).route.label };
  }
}
