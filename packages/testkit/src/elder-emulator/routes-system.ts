/** Health, status and the static entity-type catalogue (elder-api.md §1, §5). */
import { ENTITY_TYPES } from './entity-types.js';
import { errorResponse, jsonResponse } from './http.js';
import { jsonBody } from './request-body.js';
import type { RouteDefinition } from './router.js';

function truthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

export function systemRoutes(): RouteDefinition[] {
  return [
    {
      pattern: '/healthz',
      methods: { GET: { auth: 'public', handler: () => jsonResponse(200, { service: 'elder', status: 'healthy' }) } },
    },
    {
      pattern: '/api/v1/status',
      methods: {
        GET: {
          auth: 'public',
          handler: (ctx) =>
            jsonResponse(200, { environment: 'development', service: 'elder', status: 'operational', version: ctx.app.settings.appVersion }),
        },
      },
    },
    {
      // The one resource root with a trailing slash: `/api/v1/entity-types` answers 308 (§1).
      pattern: '/api/v1/entity-types/',
      methods: {
        GET: {
          auth: 'login_required',
          handler: () => {
            const entityTypes = [...ENTITY_TYPES].map(([type, subtypes]) => ({ subtype_count: subtypes.length, subtypes, type }));
            return jsonResponse(200, { entity_types: entityTypes, total: entityTypes.length });
          },
        },
      },
    },
    {
      pattern: '/api/v1/entity-types/validate',
      methods: {
        POST: {
          auth: 'login_required',
          handler: (ctx) => {
            const data = jsonBody(ctx);
            if (!truthy(data)) return errorResponse(400, 'Request body required');
            const record = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
            const entityType = record['entity_type'];
            const subType = record['sub_type'];
            if (!truthy(entityType)) return errorResponse(400, 'entity_type required');
            const subtypes = typeof entityType === 'string' ? ENTITY_TYPES.get(entityType) : undefined;
            const result: Record<string, unknown> = { entity_type: entityType, entity_type_valid: subtypes !== undefined };
            if (truthy(subType)) {
              result['sub_type'] = subType;
              result['sub_type_valid'] = subtypes !== undefined && typeof subType === 'string' && subtypes.includes(subType);
            }
            result['valid'] = subtypes !== undefined && (!truthy(subType) || result['sub_type_valid'] === true);
            return jsonResponse(200, result);
          },
        },
      },
    },
    {
      pattern: '/api/v1/entity-types/<entity_type>',
      methods: {
        GET: {
          auth: 'login_required',
          handler: (ctx) => {
            const type = ctx.params['entity_type'] as string;
            const subtypes = ENTITY_TYPES.get(type);
            if (!subtypes) return errorResponse(404, 'Entity type not found');
            return jsonResponse(200, { subtype_count: subtypes.length, subtypes, type });
          },
        },
      },
    },
    {
      pattern: '/api/v1/entity-types/<entity_type>/subtypes',
      methods: {
        GET: {
          auth: 'login_required',
          handler: (ctx) => {
            const type = ctx.params['entity_type'] as string;
            const subtypes = ENTITY_TYPES.get(type);
            if (!subtypes) return errorResponse(404, 'Entity type not found');
            return jsonResponse(200, { entity_type: type, subtypes, total: subtypes.length });
          },
        },
      },
    },
  ];
}

export { truthy as pythonTruthy };
