/** `/api/v1/dependencies` (`dependencies.py`, elder-api.md §6.1). Every route requires a token. */
import { dependencyResponse, incomingEdge, outgoingEdge } from './dialect.js';
import { DatabaseError, errorResponse, jsonResponse, noContent } from './http.js';
import { envelope, hasArg, intArg, pageWindow, paginationFrom } from './query.js';
import { jsonBody, validatedBody } from './request-body.js';
import { pythonTruthy } from './routes-system.js';
import { dict, int, list, str, validateModel } from './validation.js';
import type { RouteContext } from './app.js';
import type { EmulatorResponse } from './http.js';
import type { RouteDefinition } from './router.js';
import type { DependencyRow } from './types.js';
import type { ModelSpec } from './validation.js';

const VALID_RESOURCE_TYPES = ['entity', 'identity', 'project', 'milestone', 'issue', 'organization'];
/** Python's `str(list)`, as interpolated into Elder's error messages. */
const VALID_TYPES_REPR = `[${VALID_RESOURCE_TYPES.map((type) => `'${type}'`).join(', ')}]`;

const CREATE_MODEL: ModelSpec = {
  extra: 'forbid',
  fields: [
    { name: 'source_type', required: true, check: str() },
    { name: 'source_id', required: true, check: int({ ge: 1 }) },
    { name: 'target_type', required: true, check: str() },
    { name: 'target_id', required: true, check: int({ ge: 1 }) },
    { name: 'dependency_type', required: true, check: str() },
    { name: 'metadata', nullable: true, check: dict() },
  ],
};

const UPDATE_MODEL: ModelSpec = {
  extra: 'forbid',
  fields: [
    { name: 'source_type', nullable: true, check: str() },
    { name: 'source_id', nullable: true, check: int({ ge: 1 }) },
    { name: 'target_type', nullable: true, check: str() },
    { name: 'target_id', nullable: true, check: int({ ge: 1 }) },
    { name: 'dependency_type', nullable: true, check: str() },
    { name: 'metadata', nullable: true, check: dict() },
  ],
};

const BULK_DELETE_MODEL: ModelSpec = { extra: 'forbid', fields: [{ name: 'ids', required: true, check: list(int(), { minItems: 1, maxItems: 100 }) }] };

function capitalize(word: string): string {
  // Python's str.title() for a single lowercase word.
  return word.charAt(0).toUpperCase() + word.slice(1).toLowerCase();
}

function dependencyNotFound(): EmulatorResponse {
  return errorResponse(404, 'Dependency not found');
}

function listDependencies(ctx: RouteContext): EmulatorResponse {
  const pagination = paginationFrom(ctx.query);
  const q = ctx.query;
  const filters: ((row: DependencyRow) => boolean)[] = [];
  if (hasArg(q, 'source_type')) filters.push((row) => row.source_type === q.get('source_type'));
  if (hasArg(q, 'source_id')) {
    const sourceId = intArg(q, 'source_id', null);
    filters.push((row) => row.source_id === sourceId);
  }
  if (hasArg(q, 'target_type')) filters.push((row) => row.target_type === q.get('target_type'));
  if (hasArg(q, 'target_id')) {
    const targetId = intArg(q, 'target_id', null);
    filters.push((row) => row.target_id === targetId);
  }
  if (hasArg(q, 'dependency_type')) filters.push((row) => row.dependency_type === q.get('dependency_type'));
  // `ORDER BY created_at DESC`, but API-created rows have a null created_at, so in practice insertion order.
  const rows = ctx.app.store
    .dependenciesInListOrder()
    .filter((row) => filters.every((keep) => keep(row)))
    .sort((a, b) => (b.created_at ?? Number.POSITIVE_INFINITY) - (a.created_at ?? Number.POSITIVE_INFINITY) || a.id - b.id);
  const window = pageWindow(rows.length, pagination);
  const items = rows.slice(window.start, window.end).map(dependencyResponse);
  return jsonResponse(200, envelope(items, rows.length, pagination, window.pages));
}

function createDependency(ctx: RouteContext): EmulatorResponse {
  const { values } = validatedBody(ctx, CREATE_MODEL);
  const sourceType = values['source_type'] as string;
  const sourceId = values['source_id'] as number;
  const targetType = values['target_type'] as string;
  const targetId = values['target_id'] as number;
  const dependencyType = values['dependency_type'] as string;
  if (!VALID_RESOURCE_TYPES.includes(sourceType)) return errorResponse(400, `Invalid source_type. Must be one of: ${VALID_TYPES_REPR}`);
  if (!VALID_RESOURCE_TYPES.includes(targetType)) return errorResponse(400, `Invalid target_type. Must be one of: ${VALID_TYPES_REPR}`);
  if (sourceType === targetType && sourceId === targetId) return errorResponse(400, 'Cannot create dependency from resource to itself');
  const store = ctx.app.store;
  const source = store.resource(sourceType, sourceId);
  if (!source) return errorResponse(404, `Source ${sourceType} ${sourceId} not found`);
  if (!store.resource(targetType, targetId)) return errorResponse(404, `Target ${targetType} ${targetId} not found`);
  const tuple = { source_type: sourceType, source_id: sourceId, target_type: targetType, target_id: targetId, dependency_type: dependencyType };
  const existing = store.findDuplicateDependency(tuple);
  if (existing) return jsonResponse(409, { dependency_id: existing.id, error: 'Dependency already exists' });
  // Entities have no tenant_id column in v3.2.1, so the caller's tenant is used for them.
  const sourceTenant = 'tenant_id' in source ? source.tenant_id : null;
  const tenantId = sourceTenant || ctx.principal?.tenantId || null;
  if (!tenantId) return errorResponse(400, `Source ${sourceType} must have a tenant`);
  const row = store.insertDependency({ ...tuple, tenant_id: tenantId, metadata: values['metadata'] ?? null, created_at: null, updated_at: null, village_id: null });
  return jsonResponse(201, dependencyResponse(row));
}

function getDependency(ctx: RouteContext): EmulatorResponse {
  const row = ctx.app.store.dependency(Number(ctx.params['id']));
  return row ? jsonResponse(200, dependencyResponse(row)) : dependencyNotFound();
}

function updateDependency(ctx: RouteContext): EmulatorResponse {
  const { values } = validatedBody(ctx, UPDATE_MODEL);
  const row = ctx.app.store.dependency(Number(ctx.params['id']));
  if (!row) return dependencyNotFound();
  const sourceType = values['source_type'];
  const targetType = values['target_type'];
  if (typeof sourceType === 'string' && sourceType && !VALID_RESOURCE_TYPES.includes(sourceType)) {
    return errorResponse(400, `Invalid source_type. Must be one of: ${VALID_TYPES_REPR}`);
  }
  if (typeof targetType === 'string' && targetType && !VALID_RESOURCE_TYPES.includes(targetType)) {
    return errorResponse(400, `Invalid target_type. Must be one of: ${VALID_TYPES_REPR}`);
  }
  // No existence, self-reference or duplicate checks on update: only the create path has them.
  const changes: Partial<DependencyRow> = {};
  for (const column of ['dependency_type', 'metadata', 'source_type', 'source_id', 'target_type', 'target_id'] as const) {
    const value = values[column];
    if (value !== undefined && value !== null) (changes as Record<string, unknown>)[column] = value;
  }
  ctx.app.store.updateDependency(row, changes);
  return jsonResponse(200, dependencyResponse(row));
}

function deleteDependency(ctx: RouteContext): EmulatorResponse {
  const id = Number(ctx.params['id']);
  if (!ctx.app.store.dependency(id)) return dependencyNotFound();
  ctx.app.store.deleteDependency(id);
  return noContent();
}

/**
 * Bulk create validates inside a `try` whose `except ValueError` also catches pydantic's ValidationError,
 * and entity sources have no tenant, so most failures are a bare 400 "Failed to process request" (§6.1).
 * Nothing is committed unless every item passes.
 */
function bulkCreateDependencies(ctx: RouteContext): EmulatorResponse {
  const data = jsonBody(ctx);
  if (!pythonTruthy(data)) return errorResponse(400, 'Request body must be JSON');
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return errorResponse(500, 'Failed to process request');
  const itemsModel: ModelSpec = {
    extra: 'forbid',
    fields: [{ name: 'dependencies', required: true, check: list((item, loc, issues) => validateItem(item, loc, issues), { minItems: 1, maxItems: 100 }) }],
  };
  const validated = validateModel({ dependencies: (data as Record<string, unknown>)['dependencies'] ?? [] }, itemsModel);
  if (!validated.ok) return errorResponse(400, 'Failed to process request');
  const items = validated.values['dependencies'] as Record<string, unknown>[];
  const store = ctx.app.store;
  const planned: Omit<DependencyRow, 'id'>[] = [];
  try {
    for (const item of items) {
      const source = store.resource(item['source_type'] as string, item['source_id'] as number);
      const tenantId = source && 'tenant_id' in source ? source.tenant_id : null;
      if (!source || !tenantId) return errorResponse(400, 'Failed to process request');
      planned.push({
        tenant_id: tenantId,
        source_type: item['source_type'] as string,
        source_id: item['source_id'] as number,
        target_type: item['target_type'] as string,
        target_id: item['target_id'] as number,
        dependency_type: item['dependency_type'] as string,
        metadata: item['metadata'] ?? null,
        created_at: null,
        updated_at: null,
        village_id: null,
      });
    }
    const created = planned.map((fields) => store.insertDependency(fields));
    return jsonResponse(201, created.map(dependencyResponse));
  } catch (error) {
    if (error instanceof DatabaseError) return errorResponse(500, 'Failed to process request');
    throw error;
  }
}

function validateItem(item: unknown, loc: string, issues: { field: string; message: string; type: string }[]): unknown {
  const result = validateModel(item, CREATE_MODEL);
  if (result.ok) return result.values;
  for (const problem of result.issues) issues.push({ ...problem, field: problem.field ? `${loc}.${problem.field}` : loc });
  return undefined;
}

function bulkDeleteDependencies(ctx: RouteContext): EmulatorResponse {
  const { values } = validatedBody(ctx, BULK_DELETE_MODEL);
  const ids = values['ids'] as number[];
  let deleted = 0;
  for (const id of new Set(ids)) if (ctx.app.store.deleteDependency(id)) deleted++;
  return jsonResponse(200, { deleted, requested: ids.length });
}

function resourceDependencies(ctx: RouteContext): EmulatorResponse {
  const resourceType = ctx.params['resource_type'] as string;
  const resourceId = Number(ctx.params['resource_id']);
  if (!VALID_RESOURCE_TYPES.includes(resourceType)) return errorResponse(400, `Invalid resource_type. Must be one of: ${VALID_TYPES_REPR}`);
  const resource = ctx.app.store.resource(resourceType, resourceId);
  if (!resource) return errorResponse(404, `${capitalize(resourceType)} not found`);
  const direction = ctx.query.get('direction') ?? 'all';
  const result: Record<string, unknown> = { resource_id: resourceId, resource_name: resource.name ?? String(resourceId), resource_type: resourceType };
  if (direction === 'outgoing' || direction === 'all') result['depends_on'] = ctx.app.store.dependenciesFrom(resourceType, resourceId).map(outgoingEdge);
  if (direction === 'incoming' || direction === 'all') result['depended_by'] = ctx.app.store.dependenciesTo(resourceType, resourceId).map(incomingEdge);
  return jsonResponse(200, result);
}

export function dependencyRoutes(): RouteDefinition[] {
  return [
    {
      pattern: '/api/v1/dependencies',
      methods: { GET: { auth: 'login_required', handler: listDependencies }, POST: { auth: 'login_required', handler: createDependency } },
    },
    {
      pattern: '/api/v1/dependencies/bulk',
      methods: { POST: { auth: 'login_required', handler: bulkCreateDependencies }, DELETE: { auth: 'login_required', handler: bulkDeleteDependencies } },
    },
    {
      pattern: '/api/v1/dependencies/resource/<resource_type>/<int:resource_id>',
      methods: { GET: { auth: 'login_required', handler: resourceDependencies } },
    },
    {
      pattern: '/api/v1/dependencies/<int:id>',
      methods: {
        GET: { auth: 'login_required', handler: getDependency },
        PATCH: { auth: 'login_required', handler: updateDependency },
        PUT: { auth: 'login_required', handler: updateDependency },
        DELETE: { auth: 'login_required', handler: deleteDependency },
      },
    },
  ];
}
