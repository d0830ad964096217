/**
 * Elder credentials (DESIGN §6, elder-api.md §2). A static bearer token, or a portal user that logs in
 * with `POST /portal-auth/login` and refreshes with `POST /portal-auth/refresh` (rotating refresh
 * token) at 80 % of `expires_in`, once more on a 401, and falls back to a fresh login when the refresh
 * is refused. Concurrent callers share one in-flight login/refresh.
 *
 * Secrets: the password and every token are registered with the process-wide redaction registry;
 * no message built here contains them (the email is not a secret and names the account).
 */
import { registerSecret } from '../secrets.js';
import type { Logger } from '../logger.js';
import { ElderAuthError } from './errors.js';
import { parseErrorBody } from './wire.js';
import type { ElderAuth } from './types.js';

/** An auth-route POST: retried on transient failures by the caller, any other status returned. */
export type AuthPost = (resource: string, body: Record<string, string>) => Promise<{ status: number; json: unknown; text: string }>;

export interface Authenticator {
  /** `Bearer …` for the next request; logs in or refreshes first when needed. */
  header(): Promise<string>;
  /** `Bearer …` if a token is at hand, without logging in (for routes that need none, §0.2). */
  currentHeader(): string | undefined;
  /**
   * A request sent with `used` got 401. Renews the credentials (refresh, else login) unless another
   * caller already did; false when nothing can change (a static token).
   */
  renew(used: string | undefined): Promise<boolean>;
  /** For messages: which credentials Elder refused. */
  describe(): string;
}

const LOGIN = '/portal-auth/login';
const REFRESH = '/portal-auth/refresh';
/** Elder's default access-token life (`JWT_ACCESS_TOKEN_HOURS`, §2.2), used if `expires_in` is missing. */
const DEFAULT_EXPIRES_IN_S = 4 * 3600;
/** Refresh when this share of the access token's life has passed. */
const REFRESH_AT = 0.8;

interface Tokens {
  access: string;
  refresh: string | undefined;
  refreshAt: number;
  expiresAt: number;
}

export function createAuthenticator(
  auth: ElderAuth,
  post: AuthPost,
  log: Logger,
  now: () => number = Date.now,
): Authenticator {
  if (auth.kind === 'token') {
    registerSecret(auth.token);
    const header = `Bearer ${auth.token}`;
    return {
      header: async () => header,
      currentHeader: () => header,
      renew: async () => false,
      describe: () => 'configured token',
    };
  }

  const { email, password } = auth;
  registerSecret(password);
  let tokens: Tokens | undefined;
  let inflight: Promise<void> | undefined;

  const keep = (json: Record<string, unknown>, path: string, status: number): void => {
    const access = typeof json.access_token === 'string' ? json.access_token : json.token;
    if (typeof access !== 'string' || access === '') {
      throw new ElderAuthError('ELDER_LOGIN_FAILED', `Elder answered the login for ${email} without an access token`, {
        status,
        method: 'POST',
        path,
      });
    }
    const refresh = typeof json.refresh_token === 'string' ? json.refresh_token : json.refreshToken;
    const expiresIn =
      typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in : DEFAULT_EXPIRES_IN_S;
    registerSecret(access);
    if (typeof refresh === 'string') registerSecret(refresh);
    const at = now();
    tokens = {
      access,
      refresh: typeof refresh === 'string' ? refresh : undefined,
      refreshAt: at + expiresIn * 1000 * REFRESH_AT,
      expiresAt: at + expiresIn * 1000,
    };
  };

  async function login(): Promise<void> {
    const res = await post(LOGIN, { email, password });
    const body = parseErrorBody(res.text);
    const json = body.json ?? {};
    const fail = (code: ConstructorParameters<typeof ElderAuthError>[0], message: string) =>
      new ElderAuthError(code, message, { status: res.status, method: 'POST', path: LOGIN });
    if (res.status === 200) {
      // MFA accounts get 200 {"success":false,"mfaRequired":true} and need a TOTP code (§2.2).
      if (json.mfaRequired === true) {
        throw fail(
          'ELDER_LOGIN_MFA_REQUIRED',
          `Elder requires MFA for ${email}; accounts with MFA enabled cannot be used for automation. ` +
            'Use a dedicated Elder account without MFA, or a token.',
        );
      }
      if (json.success === false) {
        throw fail('ELDER_LOGIN_FAILED', `Elder refused the login for ${email}: ${body.message ?? 'success=false'}`);
      }
      keep(json, LOGIN, res.status);
      log.debug('elder login', { email });
      return;
    }
    if (res.status === 401) {
      // INVALID_CREDENTIALS, "Account locked. Try again later.", "Account is deactivated" (§2.2).
      throw fail('ELDER_LOGIN_REJECTED', `Elder rejected the login for ${email}: ${body.message ?? 'Invalid credentials'}`);
    }
    if (res.status === 422) {
      throw fail('ELDER_LOGIN_INVALID_EMAIL', `Elder rejected the login for ${email}: the email is not a valid email address`);
    }
    throw fail(
      'ELDER_LOGIN_FAILED',
      `Elder login for ${email} failed with HTTP ${res.status}${body.message ? `: ${body.message}` : ''}`,
    );
  }

  /** True when a new token pair was obtained; false when Elder refused the refresh token (log in instead). */
  async function refresh(token: string): Promise<boolean> {
    const res = await post(REFRESH, { refresh_token: token });
    if (res.status !== 200) {
      log.debug('elder token refresh refused; logging in again', { status: res.status });
      return false;
    }
    const json = parseErrorBody(res.text).json ?? {};
    keep(json, REFRESH, res.status);
    log.debug('elder token refreshed', { email });
    return true;
  }

  /** One login/refresh at a time; every concurrent caller awaits the same one. */
  function renewNow(): Promise<void> {
    inflight ??= (async () => {
      try {
        const current = tokens?.refresh;
        if (current !== undefined && (await refresh(current))) return;
        await login();
      } finally {
        inflight = undefined;
      }
    })();
    return inflight;
  }

  const bearer = (): string => `Bearer ${tokens?.access ?? ''}`;

  return {
    async header() {
      if (inflight) await inflight;
      if (tokens === undefined) {
        await renewNow();
      } else if (now() >= tokens.refreshAt) {
        try {
          await renewNow();
        } catch (error) {
          // A failed early refresh is not fatal while the old token still works; a 401 retries it.
          if (tokens === undefined || now() >= tokens.expiresAt) throw error;
          log.warn('elder token refresh failed; using the current token until it expires', {
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }
      return bearer();
    },
    currentHeader: () => (tokens === undefined ? undefined : bearer()),
    async renew(used) {
      if (inflight) {
        await inflight;
        return true;
      }
      // Someone renewed since this request was sent: just resend with the new token.
      if (tokens !== undefined && used !== undefined && used !== bearer()) return true;
      await renewNow();
      return true;
    },
    describe: () => `token from the login for ${email}`,
  };
}
