import { randomBytes, verify, type KeyObject } from 'node:crypto';
import { errorInfo, googleError, json, serveGoogle, type GoogleRequest, type GoogleResponse } from './http.js';
import type { MintedServiceAccount } from './service-account-key.js';

/** The `aud` google-auth-library signs into every assertion (it ignores a key's `token_uri`). */
export const GOOGLE_TOKEN_AUDIENCE = 'https://oauth2.googleapis.com/token';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';

/** A service account the endpoint knows: its public key verifies the assertions it signs. */
export interface KnownServiceAccount {
  email: string;
  clientId: string;
  publicKey: KeyObject;
}

export interface GoogleTokenServerOptions {
  accounts?: Array<KnownServiceAccount | MintedServiceAccount>;
  /**
   * Domain-wide delegation as the Admin console grants it: client id → the scopes it may use with a
   * `sub`. Absent: every delegation is allowed. A grant asking for a scope outside the list is refused
   * with `unauthorized_client`, as Google does.
   */
  delegation?: Record<string, string[]>;
  /** Impersonation: target service-account e-mail → the principals that hold Token Creator on it. */
  impersonation?: Record<string, string[]>;
  tokenLifetimeSeconds?: number;
}

/** One JWT-bearer exchange the endpoint saw, accepted or not. */
export interface TokenGrant {
  ok: boolean;
  error?: string;
  iss?: string;
  /** Domain-wide delegation: the user the service account asked to act as. */
  sub?: string;
  scopes: string[];
  aud?: string;
  kid?: string;
  signatureValid: boolean;
}

/** An access token the endpoint issued. */
export interface IssuedToken {
  token: string;
  principal: string;
  subject: string | undefined;
  scopes: string[];
  expiresAt: number;
  /** Set on tokens minted by impersonation: who asked. */
  impersonatedBy?: string;
}

export type AuthorizationResult = { ok: true; token: IssuedToken } | { ok: false; response: GoogleResponse };

/**
 * A loopback Google token endpoint: `POST /token` verifies the JWT-bearer assertion's RS256 signature
 * against the service account's public key, its audience and lifetime, and domain-wide delegation;
 * `POST /v1/projects/-/serviceAccounts/{email}:generateAccessToken` (the IAM Credentials API) mints
 * impersonated tokens. API fakes check bearer tokens with `authorize`.
 */
export class GoogleTokenServer {
  readonly grants: TokenGrant[] = [];
  readonly impersonations: Array<{ target: string; by: string; ok: boolean }> = [];
  private readonly accounts = new Map<string, KnownServiceAccount>();
  private readonly issued = new Map<string, IssuedToken>();
  private readonly lifetime: number;
  private close_: () => Promise<void> = async () => undefined;
  url = '';

  constructor(private readonly options: GoogleTokenServerOptions = {}) {
    this.lifetime = options.tokenLifetimeSeconds ?? 3599;
    for (const account of options.accounts ?? []) this.addAccount(account);
  }

  /** Where google-auth-library should post its grant (the connector's `endpoints.token`). */
  get tokenUrl(): string {
    return `${this.url}/token`;
  }

  /** The IAM Credentials API root (the connector's `endpoints.iamcredentials`). */
  get iamCredentialsUrl(): string {
    return this.url;
  }

  addAccount(account: KnownServiceAccount | MintedServiceAccount): void {
    this.accounts.set(account.email, { email: account.email, clientId: account.clientId, publicKey: account.publicKey });
  }

  /** Delegation grants can change during a test (a revoked scope). */
  setDelegation(clientId: string, scopes: string[]): void {
    this.options.delegation = { ...this.options.delegation, [clientId]: scopes };
  }

  async start(): Promise<this> {
    const running = await serveGoogle((request) => this.handle(request));
    this.url = running.url;
    this.close_ = running.close;
    return this;
  }

  close(): Promise<void> {
    return this.close_();
  }

  handle(request: GoogleRequest): GoogleResponse {
    const path = request.url.pathname;
    if (request.method === 'POST' && (path === '/token' || path === '/oauth2/v4/token')) return this.exchange(request.body);
    const impersonate = /^\/v1\/projects\/-\/serviceAccounts\/([^/:]+):generateAccessToken$/.exec(path);
    if (request.method === 'POST' && impersonate) {
      return this.generateAccessToken(decodeURIComponent(impersonate[1]!), request.headers.authorization, request.body);
    }
    return googleError(404, `no such method ${request.method} ${path}`, { reason: 'notFound' });
  }

  /** The token endpoint's answer to a form body (also usable from an in-process interceptor). */
  exchange(formBody: string): GoogleResponse {
    const form = new URLSearchParams(formBody);
    const refuse = (error: string, description: string, grant: Partial<TokenGrant> = {}, status = 400): GoogleResponse => {
      this.grants.push({ ok: false, error, scopes: [], signatureValid: false, ...grant });
      return json(status, { error, error_description: description });
    };
    if (form.get('grant_type') !== JWT_BEARER) return refuse('unsupported_grant_type', 'Invalid grant_type: ' + (form.get('grant_type') ?? ''));
    const assertion = form.get('assertion') ?? '';
    const parts = assertion.split('.');
    if (parts.length !== 3) return refuse('invalid_grant', 'Invalid JWT: malformed');
    let header: Record<string, unknown>;
    let claims: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as Record<string, unknown>;
      claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch {
      return refuse('invalid_grant', 'Invalid JWT: not JSON');
    }
    const grant: TokenGrant = {
      ok: false,
      scopes: typeof claims.scope === 'string' ? claims.scope.split(/\s+/).filter(Boolean) : [],
      signatureValid: false,
      ...(typeof claims.iss === 'string' ? { iss: claims.iss } : {}),
      ...(typeof claims.sub === 'string' ? { sub: claims.sub } : {}),
      ...(typeof claims.aud === 'string' ? { aud: claims.aud } : {}),
      ...(typeof header.kid === 'string' ? { kid: header.kid } : {}),
    };
    const account = grant.iss === undefined ? undefined : this.accounts.get(grant.iss);
    if (header.alg !== 'RS256') return refuse('invalid_grant', 'Invalid JWT: unsupported algorithm', grant);
    if (!account) return refuse('invalid_grant', 'Invalid grant: account not found', grant);
    grant.signatureValid = verify('RSA-SHA256', Buffer.from(`${parts[0]}.${parts[1]}`), account.publicKey, Buffer.from(parts[2]!, 'base64url'));
    if (!grant.signatureValid) return refuse('invalid_grant', 'Invalid JWT Signature.', grant);
    if (grant.aud !== GOOGLE_TOKEN_AUDIENCE) return refuse('invalid_grant', `Invalid JWT audience: ${grant.aud ?? '(none)'}`, grant);
    const now = Math.floor(Date.now() / 1000);
    const iat = Number(claims.iat);
    const exp = Number(claims.exp);
    if (!(exp > now - 300) || !(iat < now + 300) || exp - iat > 3600) {
      return refuse('invalid_grant', 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.', grant);
    }
    if (grant.scopes.length === 0) return refuse('invalid_scope', 'Invalid OAuth scope or ID token audience provided.', grant);
    if (grant.sub !== undefined && this.options.delegation !== undefined) {
      const allowed = this.options.delegation[account.clientId] ?? [];
      if (!grant.scopes.every((s) => allowed.includes(s))) {
        return refuse(
          'unauthorized_client',
          'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.',
          grant,
          401,
        );
      }
    }
    grant.ok = true;
    this.grants.push(grant);
    const token = this.issue({ principal: account.email, subject: grant.sub, scopes: grant.scopes });
    return json(200, { access_token: token.token, expires_in: this.lifetime, token_type: 'Bearer' });
  }

  private generateAccessToken(target: string, authorization: string | undefined, body: string): GoogleResponse {
    const caller = this.authorize(authorization, [CLOUD_PLATFORM]);
    if (!caller.ok) return caller.response;
    const allowed = this.options.impersonation?.[target] ?? [];
    const ok = allowed.includes(caller.token.principal);
    this.impersonations.push({ target, by: caller.token.principal, ok });
    if (!ok) {
      return googleError(403, "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).", {
        legacy: false,
        details: [errorInfo('IAM_PERMISSION_DENIED', 'iam.googleapis.com', { permission: 'iam.serviceAccounts.getAccessToken' })],
      });
    }
    const request = JSON.parse(body || '{}') as { scope?: string[]; lifetime?: string };
    const token = this.issue({ principal: target, subject: undefined, scopes: request.scope ?? [], impersonatedBy: caller.token.principal });
    return json(200, { accessToken: token.token, expireTime: new Date(token.expiresAt).toISOString() });
  }

  private issue(fields: Omit<IssuedToken, 'token' | 'expiresAt'>): IssuedToken {
    const token: IssuedToken = { ...fields, token: `ya29.loopback-${randomBytes(24).toString('base64url')}`, expiresAt: Date.now() + this.lifetime * 1000 };
    this.issued.set(token.token, token);
    return token;
  }

  /**
   * Checks an `Authorization` header as a Google API does: a token this endpoint issued, not
   * expired, holding one of `anyOfScopes` (none given: any scope). Else Google's 401 or 403 body.
   */
  authorize(authorization: string | string[] | undefined, anyOfScopes: string[] = [], service = 'googleapis.com'): AuthorizationResult {
    const header = Array.isArray(authorization) ? authorization[0] : authorization;
    const bearer = /^Bearer (\S+)$/.exec(header ?? '')?.[1];
    const token = bearer === undefined ? undefined : this.issued.get(bearer);
    if (!token || token.expiresAt < Date.now()) {
      return {
        ok: false,
        response: googleError(
          401,
          bearer === undefined
            ? 'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.'
            : 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
          { reason: bearer === undefined ? 'required' : 'authError', headers: { 'www-authenticate': 'Bearer realm="https://accounts.google.com/"' } },
        ),
      };
    }
    if (anyOfScopes.length > 0 && !anyOfScopes.some((s) => token.scopes.includes(s))) {
      return {
        ok: false,
        response: googleError(403, 'Request had insufficient authentication scopes.', {
          reason: 'insufficientPermissions',
          details: [errorInfo('ACCESS_TOKEN_SCOPE_INSUFFICIENT', 'googleapis.com', { service })],
        }),
      };
    }
    return { ok: true, token };
  }
}

export async function startGoogleTokenServer(options: GoogleTokenServerOptions = {}): Promise<GoogleTokenServer> {
  return new GoogleTokenServer(options).start();
}
