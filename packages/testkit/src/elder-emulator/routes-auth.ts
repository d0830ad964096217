/** `/api/v1/portal-auth/*` (elder-api.md §2.2, §2.3). */
import { errorResponse, jsonResponse, plainInternalServerError } from './http.js';
import { jsonBody } from './request-body.js';
import { pythonTruthy } from './routes-system.js';
import { str, validateModel } from './validation.js';
import type { RouteDefinition } from './router.js';
import type { ModelSpec } from './validation.js';

const EMAIL = /^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}$/;

/** `PortalLoginRequest` is a plain `BaseModel`: unknown keys are ignored, not forbidden. */
const LOGIN_MODEL: ModelSpec = {
  extra: 'ignore',
  fields: [
    { name: 'email', required: true, check: str({ after: (v) => (EMAIL.test(v) ? null : 'value is not a valid email address: Invalid email format') }) },
    { name: 'password', required: true, check: str({ minLength: 1 }) },
    { name: 'tenant', nullable: true, check: str() },
  ],
};

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function authRoutes(): RouteDefinition[] {
  return [
    {
      pattern: '/api/v1/portal-auth/login',
      methods: {
        POST: {
          auth: 'public',
          handler: (ctx) => {
            const data = jsonBody(ctx);
            if (!pythonTruthy(data)) return errorResponse(400, 'No data provided');
            // `PortalLoginRequest(**data)` on a list or scalar raises TypeError, which nothing catches.
            if (!isPlainObject(data)) return plainInternalServerError();
            const result = validateModel(data, LOGIN_MODEL);
            if (!result.ok) {
              // This route reports `details` with the last loc element, not `validation_errors` (§7.1, 422).
              return jsonResponse(422, { error: 'Validation failed', details: result.issues });
            }
            // A raw `tenant_id` overrides the slug; only tenant 1 ("default") exists, and unknown slugs fall back to it.
            const rawTenant = data['tenant_id'];
            const tenantId = pythonTruthy(rawTenant) ? rawTenant : 1;
            const email = (result.values['email'] as string).toLowerCase();
            const outcome =
              tenantId === 1 ? ctx.app.auth.login(email, result.values['password'] as string) : ({ ok: false, error: 'Invalid credentials' } as const);
            if (!outcome.ok) return jsonResponse(401, { error: outcome.error, errorCode: 'INVALID_CREDENTIALS', success: false });
            const { user, tokens } = outcome;
            return jsonResponse(200, {
              access_token: tokens.access_token,
              expires_in: tokens.expires_in,
              refreshToken: tokens.refresh_token,
              refresh_token: tokens.refresh_token,
              success: true,
              token: tokens.access_token,
              token_type: tokens.token_type,
              user: { email: user.email, id: String(user.id), name: user.fullName, roles: user.tenantRole ? [user.tenantRole] : [] },
            });
          },
        },
      },
    },
    {
      pattern: '/api/v1/portal-auth/refresh',
      methods: {
        POST: {
          auth: 'public',
          handler: (ctx) => {
            const data = jsonBody(ctx);
            if (!pythonTruthy(data)) return errorResponse(400, 'No data provided');
            if (!isPlainObject(data)) return plainInternalServerError();
            const token = data['refresh_token'];
            if (!pythonTruthy(token)) return errorResponse(400, 'refresh_token is required');
            const outcome = typeof token === 'string' ? ctx.app.auth.refresh(token) : ({ ok: false, error: 'Invalid refresh token' } as const);
            if (!outcome.ok) return errorResponse(401, outcome.error);
            return jsonResponse(200, outcome.tokens);
          },
        },
      },
    },
    {
      pattern: '/api/v1/portal-auth/me',
      methods: {
        GET: {
          auth: 'public',
          handler: (ctx) => {
            const header = ctx.headers.authorization;
            const outcome = ctx.app.auth.portalToken(header);
            if (!outcome.ok) return errorResponse(401, outcome.error);
            const user = ctx.app.auth.user(Number(outcome.claims['sub']));
            if (!user) return errorResponse(404, 'User not found');
            return jsonResponse(200, {
              email: user.email,
              email_verified: true,
              full_name: user.fullName,
              global_role: user.globalRole,
              id: user.id,
              mfa_enabled: false,
              permissions: { global_role: user.globalRole, org_roles: {}, tenant_id: user.tenantId, tenant_role: user.tenantRole, user_id: user.id },
              tenant_id: user.tenantId,
              tenant_role: user.tenantRole,
            });
          },
        },
      },
    },
  ];
}
