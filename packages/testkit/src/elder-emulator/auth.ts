/**
 * Portal users, login with lockout, refresh-token rotation and bearer verification (elder-api.md §2).
 * Tokens are real HS256 JWTs with Elder's claims; expiry is enforced against the emulator's clock so tests
 * can use short TTLs or move time forward instead of sleeping.
 */
import { signJwt, verifyJwt } from './jwt.js';
import type { JwtClaims } from './jwt.js';
import type { PortalUserSeed } from './types.js';

export const DEFAULT_ADMIN: PortalUserSeed = { email: 'admin@localhost.local', password: 'admin123', globalRole: 'admin' };
/** Elder's `SECRET_KEY` default, used when `JWT_SECRET_KEY` is unset (§2.1). */
export const DEFAULT_JWT_SECRET = 'dev-secret-key-change-in-production';
const LOCKOUT_THRESHOLD = 5;
const LOCKOUT_MS = 30 * 60 * 1000;

export interface PortalUser {
  id: number;
  email: string;
  password: string;
  fullName: string | null;
  globalRole: string | null;
  tenantRole: string | null;
  tenantId: number;
  isActive: boolean;
  failedLoginAttempts: number;
  lockedUntil: number | null;
}

/** Who a request acts as once its bearer token checked out. */
export interface Principal {
  userId: number;
  tenantId: number;
  isSuperuser: boolean;
  portalRole: string;
  via: 'jwt' | 'static-token';
}

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

export type LoginOutcome =
  | { ok: true; user: PortalUser; tokens: TokenPair }
  | { ok: false; error: 'Invalid credentials' | 'Account locked. Try again later.' | 'Account is deactivated' };

export type RefreshOutcome =
  | { ok: true; tokens: TokenPair }
  | { ok: false; error: 'Invalid token type' | 'Refresh token has expired' | 'Invalid refresh token' | 'User not found or inactive' };

export type PortalTokenOutcome =
  | { ok: true; claims: JwtClaims }
  | { ok: false; error: 'Token is missing' | 'Invalid token type' | 'Token has expired' | 'Invalid token' };

export interface AuthSettings {
  secret: string;
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
  staticTokens: readonly string[];
  now: () => number;
}

export class AuthService {
  private users: PortalUser[] = [];

  constructor(
    private readonly settings: AuthSettings,
    private readonly seeds: readonly PortalUserSeed[],
  ) {
    this.reset();
  }

  reset(): void {
    this.users = this.seeds.map((seed, index) => ({
      id: index + 1,
      email: seed.email.toLowerCase(),
      password: seed.password,
      fullName: seed.fullName ?? null,
      globalRole: seed.globalRole === undefined ? 'admin' : seed.globalRole,
      tenantRole: seed.tenantRole ?? null,
      tenantId: 1,
      isActive: seed.isActive ?? true,
      failedLoginAttempts: 0,
      lockedUntil: null,
    }));
  }

  user(id: number): PortalUser | undefined {
    return this.users.find((candidate) => candidate.id === id);
  }

  get accessTtlSeconds(): number {
    return this.settings.accessTtlSeconds;
  }

  /** `PortalAuthService.authenticate`: unknown user, lock, deactivation, then password; 5 misses lock for 30 min. */
  login(email: string, password: string): LoginOutcome {
    const now = this.settings.now();
    const user = this.users.find((candidate) => candidate.email === email);
    if (!user) return { ok: false, error: 'Invalid credentials' };
    if (user.lockedUntil !== null) {
      if (user.lockedUntil > now) return { ok: false, error: 'Account locked. Try again later.' };
      user.lockedUntil = null;
      user.failedLoginAttempts = 0;
    }
    if (!user.isActive) return { ok: false, error: 'Account is deactivated' };
    if (user.password !== password) {
      user.failedLoginAttempts++;
      if (user.failedLoginAttempts >= LOCKOUT_THRESHOLD) user.lockedUntil = now + LOCKOUT_MS;
      return { ok: false, error: 'Invalid credentials' };
    }
    user.failedLoginAttempts = 0;
    return { ok: true, user, tokens: this.issueTokens(user) };
  }

  /** Rotation without revocation: the old refresh token stays valid until it expires (§2.3). */
  refresh(refreshToken: string): RefreshOutcome {
    const verified = verifyJwt(refreshToken, this.settings.secret, this.settings.now());
    if (!verified.ok) return { ok: false, error: verified.reason === 'expired' ? 'Refresh token has expired' : 'Invalid refresh token' };
    if (verified.claims['type'] !== 'portal_refresh') return { ok: false, error: 'Invalid token type' };
    const user = this.user(Number(verified.claims['sub']));
    if (!user || !user.isActive) return { ok: false, error: 'User not found or inactive' };
    return { ok: true, tokens: this.issueTokens(user) };
  }

  issueTokens(user: PortalUser): TokenPair {
    const iat = Math.floor(this.settings.now() / 1000);
    const access_token = signJwt(this.accessClaims(user, iat, iat + this.settings.accessTtlSeconds), this.settings.secret);
    // Exactly Elder's claims (§2.2): two refreshes within the same second yield identical tokens, as on
    // real Elder, so rotation is only observable across a clock tick.
    const refresh_token = signJwt(
      { sub: String(user.id), tenant_id: user.tenantId, type: 'portal_refresh', iat, exp: iat + this.settings.refreshTtlSeconds },
      this.settings.secret,
    );
    return { access_token, refresh_token, token_type: 'Bearer', expires_in: this.settings.accessTtlSeconds };
  }

  private accessClaims(user: PortalUser, iat: number, exp: number): JwtClaims {
    return {
      sub: String(user.id),
      email: user.email,
      tenant_id: user.tenantId,
      tenant_role: user.tenantRole,
      global_role: user.globalRole,
      type: 'portal_user',
      iat,
      exp,
    };
  }

  /** A portal access token for the first user (or `userId`), like a hand-minted ELDER_API_KEY. */
  mintToken(options: { ttlSeconds?: number; userId?: number } = {}): string {
    const user = this.user(options.userId ?? 1);
    if (!user) throw new Error(`No portal user with id ${options.userId ?? 1}`);
    const iat = Math.floor(this.settings.now() / 1000);
    return signJwt(this.accessClaims(user, iat, iat + (options.ttlSeconds ?? this.settings.accessTtlSeconds)), this.settings.secret);
  }

  /**
   * `@login_required` (§2.1): `Authorization: <scheme> <token>` with exactly two parts and scheme `bearer`
   * in any case. Only `portal_user` tokens can succeed here: every other type (refresh tokens included) is
   * looked up in `identities`, which is empty on a fresh v3.2.1 install.
   */
  authenticate(header: string | undefined): Principal | null {
    if (header === undefined) return null;
    const parts = header.split(' ');
    if (parts.length !== 2 || (parts[0] as string).toLowerCase() !== 'bearer') return null;
    const token = parts[1] as string;
    const firstUser = this.users[0];
    if (firstUser && this.settings.staticTokens.includes(token) && firstUser.isActive) return this.principalOf(firstUser, 'static-token');
    const verified = verifyJwt(token, this.settings.secret, this.settings.now());
    if (!verified.ok || verified.claims['type'] !== 'portal_user') return null;
    const user = this.user(Number(verified.claims['sub']));
    if (!user || !user.isActive) return null;
    return this.principalOf(user, 'jwt');
  }

  private principalOf(user: PortalUser, via: Principal['via']): Principal {
    return { userId: user.id, tenantId: user.tenantId, isSuperuser: user.globalRole === 'admin', portalRole: user.globalRole ?? 'observer', via };
  }

  /** `portal_token_required` (used by /portal-auth/me): its own, more talkative 401 bodies (§7.1). */
  portalToken(header: string | undefined): PortalTokenOutcome {
    const token = header?.startsWith('Bearer ') ? header.split(' ')[1] : undefined;
    if (!token) return { ok: false, error: 'Token is missing' };
    const verified = verifyJwt(token, this.settings.secret, this.settings.now());
    if (!verified.ok) return { ok: false, error: verified.reason === 'expired' ? 'Token has expired' : 'Invalid token' };
    if (verified.claims['type'] !== 'portal_user') return { ok: false, error: 'Invalid token type' };
    return { ok: true, claims: verified.claims };
  }
}
