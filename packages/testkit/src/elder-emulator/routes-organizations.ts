/** `/api/v1/organizations` (`organizations_pydal.py`, elder-api.md §3). */
import { organizationListItem, organizationResponse } from './dialect.js';
import { DatabaseError, errorResponse, jsonResponse, noContent } from './http.js';
import { envelope, hasArg, ilikeMatcher, intArg, pageWindow, paginationFrom } from './query.js';
import { validatedBody } from './request-body.js';
import { shuffledPage } from './ties.js';
import { int, name255, str } from './validation.js';
import type { RouteContext } from './app.js';
import type { EmulatorResponse } from './http.js';
import type { RouteDefinition } from './router.js';
import type { OrganizationRow } from './types.js';
import type { FieldSpec, ModelSpec } from './validation.js';

const NOT_FOUND = 'Organization Unit not found';
/** What `log_error_and_respond` answers for exceptions the handler catches. */
const FAILED = 'Failed to process request';

function organizationFields(create: boolean): FieldSpec[] {
  return [
    { name: 'name', required: create, nullable: !create, check: str({ after: name255 }) },
    { name: 'description', nullable: true, check: str({ maxLength: 1000 }) },
    { name: 'organization_type', nullable: !create, check: str() },
    { name: 'parent_id', nullable: true, check: int() },
    { name: 'ldap_dn', nullable: true, check: str() },
    { name: 'saml_group', nullable: true, check: str() },
    { name: 'owner_identity_id', nullable: true, check: int() },
    { name: 'owner_group_id', nullable: true, check: int() },
  ];
}

const CREATE_MODEL: ModelSpec = { extra: 'forbid', fields: organizationFields(true) };
const UPDATE_MODEL: ModelSpec = { extra: 'forbid', fields: organizationFields(false) };

/** `model_dump(exclude_none=True)` with `organization_type` renamed to the `type` column. */
function columnsFrom(values: Record<string, unknown>): Partial<OrganizationRow> {
  const columns: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value === null) continue;
    columns[key === 'organization_type' ? 'type' : key] = value;
  }
  return columns as Partial<OrganizationRow>;
}

/**
 * v3.2.1 dropped the `ldap_dn`/`saml_group` columns but kept them in the request models, so sending them
 * makes the insert/update raise and the handler answer 500 (§0.1 item 4). The legacy schema still has them.
 */
function rejectDroppedColumns(ctx: RouteContext, columns: Partial<OrganizationRow>): void {
  if (ctx.app.settings.dialect === 'legacy') return;
  if (columns.ldap_dn !== undefined || columns.saml_group !== undefined) throw new DatabaseError('Unconsumed column names: ldap_dn, saml_group');
}

function caught(run: () => EmulatorResponse): EmulatorResponse {
  try {
    return run();
  } catch (error) {
    if (error instanceof DatabaseError) return errorResponse(500, FAILED);
    throw error;
  }
}

function listOrganizations(ctx: RouteContext): EmulatorResponse {
  const pagination = paginationFrom(ctx.query);
  let rows: readonly OrganizationRow[] = ctx.app.store.organizationsByName.view();
  if (hasArg(ctx.query, 'parent_id')) {
    // `type=int` turns a non-integer into None, and pydal's `== None` is `IS NULL`: `?parent_id=x` lists roots.
    const parentId = intArg(ctx.query, 'parent_id', null);
    rows = rows.filter((row) => row.parent_id === parentId);
  }
  const term = ctx.query.get('name') || ctx.query.get('search');
  if (term) {
    const matches = ilikeMatcher(term);
    rows = rows.filter((row) => matches(row.name));
  }
  const window = pageWindow(rows.length, pagination);
  const page = ctx.app.settings.shuffleTies ? shuffledPage(rows, window.start, window.end, ctx.app.random) : rows.slice(window.start, window.end);
  const items = page.map((row) => organizationListItem(row, ctx.app.settings.dialect));
  return jsonResponse(200, envelope(items, rows.length, pagination, window.pages));
}

function createOrganization(ctx: RouteContext): EmulatorResponse {
  const { values } = validatedBody(ctx, CREATE_MODEL);
  return caught(() => {
    const columns = columnsFrom(values);
    rejectDroppedColumns(ctx, columns);
    const row = ctx.app.store.insertOrganization({
      tenant_id: 1, // POST has no @login_required, so g.current_user is never set (§3.3 "tenant_id on create").
      parent_id: columns.parent_id ?? null,
      name: columns.name as string,
      slug: null,
      display_name: null,
      description: columns.description ?? null,
      type: columns.type ?? 'organization',
      cloud_provider: null,
      cloud_account_id: null,
      region: null,
      owner_identity_id: columns.owner_identity_id ?? null,
      owner_group_id: columns.owner_group_id ?? null,
      is_active: true,
      settings: null,
      tags: null,
      metadata: null,
      // Only a Python-side default exists, which penguin-dal Core inserts skip (§3.1, static).
      created_at: null,
      updated_at: null,
      ldap_dn: columns.ldap_dn ?? null,
      saml_group: columns.saml_group ?? null,
    });
    return jsonResponse(201, organizationResponse(row, ctx.app.settings.dialect));
  });
}

function getOrganization(ctx: RouteContext): EmulatorResponse {
  // Any exception here, even a database error, is reported as the 404 (§3.3).
  try {
    const row = ctx.app.store.organization(Number(ctx.params['id']));
    if (!row) return errorResponse(404, NOT_FOUND);
    return jsonResponse(200, organizationResponse(row, ctx.app.settings.dialect));
  } catch (error) {
    if (error instanceof DatabaseError) return errorResponse(404, NOT_FOUND);
    throw error;
  }
}

function updateOrganization(ctx: RouteContext): EmulatorResponse {
  const { values } = validatedBody(ctx, UPDATE_MODEL);
  const row = ctx.app.store.organization(Number(ctx.params['id']));
  if (!row) return errorResponse(404, NOT_FOUND);
  const columns = columnsFrom(values);
  if (Object.keys(columns).length === 0) return errorResponse(400, 'No fields to update');
  return caught(() => {
    rejectDroppedColumns(ctx, columns);
    // PATCH never touches updated_at for organizations (§3.2).
    ctx.app.store.updateOrganization(row, columns);
    return jsonResponse(200, organizationResponse(row, ctx.app.settings.dialect));
  });
}

function deleteOrganization(ctx: RouteContext): EmulatorResponse {
  const id = Number(ctx.params['id']);
  const row = ctx.app.store.organization(id);
  if (!row) return errorResponse(404, NOT_FOUND);
  if (ctx.app.store.organizationChildCount(id) > 0) return errorResponse(400, 'Cannot delete Organization Unit with child OUs');
  ctx.app.store.deleteOrganization(id);
  return noContent();
}

export function organizationRoutes(): RouteDefinition[] {
  return [
    {
      pattern: '/api/v1/organizations',
      methods: {
        GET: { auth: 'login_required', handler: listOrganizations },
        POST: { auth: 'none', handler: createOrganization },
      },
    },
    {
      pattern: '/api/v1/organizations/<int:id>',
      methods: {
        GET: { auth: 'login_required', handler: getOrganization },
        PATCH: { auth: 'none', handler: updateOrganization },
        PUT: { auth: 'none', handler: updateOrganization },
        DELETE: { auth: 'none', handler: deleteOrganization },
      },
    },
  ];
}
