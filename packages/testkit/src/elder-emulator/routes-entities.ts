/** `/api/v1/entities` (`entities.py`, elder-api.md §4). Database errors here are uncaught: plain-text 500s. */
import { entityResponse, incomingEdge, outgoingEdge } from './dialect.js';
import { errorResponse, jsonResponse, noContent, plainInternalServerError } from './http.js';
import { envelope, hasArg, ilikeMatcher, intArg, pageWindow, paginationFrom } from './query.js';
import { jsonBody, validatedBody } from './request-body.js';
import { shuffledPage } from './ties.js';
import { bool, dict, int, list, str } from './validation.js';
import type { RouteContext } from './app.js';
import type { EmulatorResponse } from './http.js';
import type { RouteDefinition } from './router.js';
import type { EntityRow } from './types.js';
import type { FieldSpec, ModelSpec } from './validation.js';

const CREATE_MODEL: ModelSpec = {
  extra: 'forbid',
  fields: [
    { name: 'name', required: true, check: str() },
    { name: 'entity_type', required: true, check: str() },
    { name: 'organization_id', required: true, check: int({ ge: 1 }) },
    { name: 'description', nullable: true, check: str() },
    { name: 'sub_type', nullable: true, check: str() },
    { name: 'parent_id', nullable: true, check: int() },
    { name: 'attributes', nullable: true, check: dict() },
    { name: 'tags', nullable: true, check: list(str()) },
    { name: 'default_metadata', nullable: true, check: dict() },
    { name: 'is_active', check: bool() },
  ],
};

const UPDATE_FIELDS: FieldSpec[] = [
  { name: 'name', nullable: true, check: str() },
  { name: 'description', nullable: true, check: str() },
  { name: 'entity_type', nullable: true, check: str() },
  { name: 'sub_type', nullable: true, check: str() },
  { name: 'organization_id', nullable: true, check: int({ ge: 1 }) },
  { name: 'parent_id', nullable: true, check: int() },
  { name: 'attributes', nullable: true, check: dict() },
  { name: 'tags', nullable: true, check: list(str()) },
  { name: 'default_metadata', nullable: true, check: dict() },
  { name: 'is_active', nullable: true, check: bool() },
];
const UPDATE_MODEL: ModelSpec = { extra: 'forbid', fields: UPDATE_FIELDS };

function entityNotFound(id: number | string): EmulatorResponse {
  return errorResponse(404, `Entity with id ${id} not found`);
}

/** `validate_organization_and_get_tenant`: 404 for a missing org, 400 for one without a tenant. */
function organizationProblem(ctx: RouteContext, organizationId: number): EmulatorResponse | null {
  const org = ctx.app.store.organization(organizationId);
  if (!org) return errorResponse(404, `Organization with id ${organizationId} not found`);
  if (!org.tenant_id) return errorResponse(400, 'Organization must have a tenant');
  return null;
}

function listEntities(ctx: RouteContext): EmulatorResponse {
  const pagination = paginationFrom(ctx.query);
  const type = hasArg(ctx.query, 'entity_type') ? (ctx.query.get('entity_type') as string) : undefined;
  // A non-integer organization_id becomes None → `IS NULL` (see routes-organizations.ts for the same quirk).
  const organizationId = hasArg(ctx.query, 'organization_id') ? intArg(ctx.query, 'organization_id', null) : undefined;
  let rows = ctx.app.store.entitiesSorted(organizationId, type);
  if (hasArg(ctx.query, 'name')) {
    const matches = ilikeMatcher(ctx.query.get('name') as string);
    rows = rows.filter((row) => matches(row.name));
  }
  // v3.2.1 removed the is_active filter; the legacy API still had it (§0.3).
  const isActive = ctx.query.get('is_active');
  if (ctx.app.settings.dialect === 'legacy' && isActive !== null) {
    const wanted = isActive.toLowerCase() === 'true';
    rows = rows.filter((row) => row.is_active === wanted);
  }
  const window = pageWindow(rows.length, pagination);
  const page = ctx.app.settings.shuffleTies ? shuffledPage(rows, window.start, window.end, ctx.app.random) : rows.slice(window.start, window.end);
  const items = page.map((row) => entityResponse(row, ctx.app.settings.dialect));
  return jsonResponse(200, envelope(items, rows.length, pagination, window.pages));
}

function createEntity(ctx: RouteContext): EmulatorResponse {
  const { values } = validatedBody(ctx, CREATE_MODEL);
  const organizationId = values['organization_id'] as number;
  const problem = organizationProblem(ctx, organizationId);
  if (problem) return problem;
  const now = ctx.app.clock.now();
  const legacy = ctx.app.settings.dialect === 'legacy';
  const row = ctx.app.store.insertEntity({
    organization_id: organizationId,
    parent_id: (values['parent_id'] as number | null | undefined) ?? null,
    name: values['name'] as string,
    type: values['entity_type'] as string,
    // The legacy insert never wrote sub_type.
    sub_type: legacy ? null : ((values['sub_type'] as string | null | undefined) ?? null),
    external_id: null,
    cloud_provider: null,
    region: null,
    status: 'active',
    is_managed: false,
    tags: (values['tags'] as string[] | null | undefined) ?? [],
    metadata: values['attributes'] ?? null,
    last_seen_at: null,
    created_at: now,
    updated_at: now,
    // description, is_active and default_metadata are accepted and dropped by v3.2.1 (§4.3).
    description: legacy ? ((values['description'] as string | null | undefined) ?? null) : null,
    is_active: legacy ? ((values['is_active'] as boolean | undefined) ?? true) : true,
    default_metadata: null,
    status_metadata: null,
  });
  return jsonResponse(201, entityResponse(row, ctx.app.settings.dialect));
}

function getEntity(ctx: RouteContext): EmulatorResponse {
  const id = ctx.params['id'] as string;
  const row = ctx.app.store.entity(Number(id));
  if (!row) return entityNotFound(Number(id));
  return jsonResponse(200, entityResponse(row, ctx.app.settings.dialect));
}

function updateEntity(ctx: RouteContext): EmulatorResponse {
  const { values } = validatedBody(ctx, UPDATE_MODEL);
  const id = Number(ctx.params['id']);
  const row = ctx.app.store.entity(id);
  if (!row) return entityNotFound(id);
  const organizationId = values['organization_id'] as number | null | undefined;
  if (organizationId !== undefined && organizationId !== null) {
    const problem = organizationProblem(ctx, organizationId);
    if (problem) return problem;
  }
  // Only non-null fields apply, so nothing can be cleared; attributes and tags replace wholesale; and
  // updated_at moves even for `{}` (§4.3).
  const changes: Partial<EntityRow> = { updated_at: ctx.app.clock.now() };
  const set = <K extends keyof EntityRow>(column: K, value: unknown): void => {
    if (value !== undefined && value !== null) changes[column] = value as EntityRow[K];
  };
  set('name', values['name']);
  set('type', values['entity_type']);
  set('organization_id', organizationId);
  set('parent_id', values['parent_id']);
  set('sub_type', values['sub_type']);
  set('metadata', values['attributes']);
  set('tags', values['tags']);
  if (ctx.app.settings.dialect === 'legacy') {
    set('description', values['description']);
    set('is_active', values['is_active']);
    set('default_metadata', values['default_metadata']);
  }
  ctx.app.store.updateEntity(row, changes);
  return jsonResponse(200, entityResponse(row, ctx.app.settings.dialect));
}

function deleteEntity(ctx: RouteContext): EmulatorResponse {
  const id = Number(ctx.params['id']);
  const store = ctx.app.store;
  if (!store.entity(id)) return entityNotFound(id);
  const dependencyCount = store.dependenciesFrom('entity', id).length + store.dependenciesTo('entity', id).length;
  if (dependencyCount > 0) return errorResponse(400, `Cannot delete entity with ${dependencyCount} dependencies. Remove dependencies first.`);
  store.deleteEntity(id);
  return noContent();
}

function entityDependencies(ctx: RouteContext): EmulatorResponse {
  const id = Number(ctx.params['id']);
  const row = ctx.app.store.entity(id);
  if (!row) return entityNotFound(id);
  // Any other direction value yields neither list, as in Elder.
  const direction = ctx.query.get('direction') ?? 'all';
  const result: Record<string, unknown> = { entity_id: row.id, entity_name: row.name };
  if (direction === 'outgoing' || direction === 'all') result['depends_on'] = ctx.app.store.dependenciesFrom('entity', id).map(outgoingEdge);
  if (direction === 'incoming' || direction === 'all') result['depended_by'] = ctx.app.store.dependenciesTo('entity', id).map(incomingEdge);
  return jsonResponse(200, result);
}

/** Broken in v3.2.1: it reads the dropped `attributes` column and raises (static, §4.3). Works in legacy. */
function mergeAttributes(ctx: RouteContext): EmulatorResponse {
  const id = Number(ctx.params['id']);
  const row = ctx.app.store.entity(id);
  if (!row) return entityNotFound(id);
  const data = jsonBody(ctx);
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return errorResponse(400, 'Attributes must be a JSON object');
  if (ctx.app.settings.dialect !== 'legacy') return plainInternalServerError();
  const current = typeof row.metadata === 'object' && row.metadata !== null ? (row.metadata as Record<string, unknown>) : {};
  ctx.app.store.updateEntity(row, { metadata: { ...current, ...(data as Record<string, unknown>) } });
  return jsonResponse(200, entityResponse(row, ctx.app.settings.dialect));
}

export function entityRoutes(): RouteDefinition[] {
  return [
    {
      pattern: '/api/v1/entities',
      methods: {
        GET: { auth: 'login_required', handler: listEntities },
        POST: { auth: 'login_required', handler: createEntity },
      },
    },
    {
      pattern: '/api/v1/entities/<int:id>',
      methods: {
        GET: { auth: 'login_required', handler: getEntity },
        PATCH: { auth: 'none', handler: updateEntity },
        PUT: { auth: 'none', handler: updateEntity },
        DELETE: { auth: 'none', handler: deleteEntity },
      },
    },
    { pattern: '/api/v1/entities/<int:id>/dependencies', methods: { GET: { auth: 'login_required', handler: entityDependencies } } },
    { pattern: '/api/v1/entities/<int:id>/attributes', methods: { PATCH: { auth: 'none', handler: mergeAttributes } } },
  ];
}
