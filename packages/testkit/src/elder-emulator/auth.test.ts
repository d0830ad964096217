import { afterEach, describe, expect, it } from 'vitest';
import { startElderEmulator } from './index.js';
import { callApi, loginAsAdmin } from './http-client.js';
import type { ElderEmulator, ElderEmulatorOptions } from './index.js';

let elder: ElderEmulator | undefined;
async function start(options: ElderEmulatorOptions = {}): Promise<ElderEmulator> {
  elder = await startElderEmulator(options);
  return elder;
}
afterEach(async () => {
  await elder?.close();
  elder = undefined;
});

function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] as string, 'base64url').toString('utf8'));
}

const AUTH_REQUIRED = { error: 'Authentication required' };

describe('portal-auth login (elder-api.md §2.2)', () => {
  it('logs the default admin in and answers with both token spellings and the user', async () => {
    const { url } = await start();
    const result = await callApi(url, 'POST', '/api/v1/portal-auth/login', { json: { email: 'Admin@LocalHost.local', password: 'admin123' } });
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ success: true, token_type: 'Bearer', expires_in: 14400, user: { email: 'admin@localhost.local', id: '1', name: null, roles: [] } });
    expect(result.body.token).toBe(result.body.access_token);
    expect(result.body.refreshToken).toBe(result.body.refresh_token);
    const access = claimsOf(result.body.access_token);
    expect(access).toMatchObject({ sub: '1', email: 'admin@localhost.local', tenant_id: 1, global_role: 'admin', type: 'portal_user' });
    expect((access['exp'] as number) - (access['iat'] as number)).toBe(14400);
    expect(claimsOf(result.body.refresh_token)).toMatchObject({ sub: '1', tenant_id: 1, type: 'portal_refresh' });
    expect(result.body.access_token.split('.')[0]).toBe(Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url'));
  });

  it('rejects a malformed email with 422 and `details`', async () => {
    const { url } = await start();
    const result = await callApi(url, 'POST', '/api/v1/portal-auth/login', { json: { email: 'nope', password: 'x' } });
    expect(result.status).toBe(422);
    expect(result.body).toEqual({
      error: 'Validation failed',
      details: [{ field: 'email', message: 'Value error, value is not a valid email address: Invalid email format', type: 'value_error' }],
    });
    expect((await callApi(url, 'POST', '/api/v1/portal-auth/login', { json: {} })).body).toEqual({ error: 'No data provided' });
  });

  it('locks the account after 5 failures, even for the right password, for 30 minutes', async () => {
    const emulator = await start();
    const attempt = (password: string) => callApi(emulator.url, 'POST', '/api/v1/portal-auth/login', { json: { email: 'admin@localhost.local', password } });
    for (let i = 0; i < 5; i++) {
      const failure = await attempt('wrong');
      expect(failure.status).toBe(401);
      expect(failure.body).toEqual({ success: false, error: 'Invalid credentials', errorCode: 'INVALID_CREDENTIALS' });
    }
    const locked = await attempt('admin123');
    expect(locked.status).toBe(401);
    expect(locked.body.error).toBe('Account locked. Try again later.');
    emulator.advanceTime(31 * 60);
    expect((await attempt('admin123')).status).toBe(200);
  });

  it('supports configured users and rejects deactivated ones', async () => {
    const { url } = await start({ users: [{ email: 'sync@example.com', password: 's3cret', isActive: false }] });
    const result = await callApi(url, 'POST', '/api/v1/portal-auth/login', { json: { email: 'sync@example.com', password: 's3cret' } });
    expect(result.body.error).toBe('Account is deactivated');
  });
});

describe('bearer tokens on @login_required routes (elder-api.md §2.1)', () => {
  it('answers every failure with the same 401 body', async () => {
    const emulator = await start();
    const good = await loginAsAdmin(emulator.url);
    const headers: Array<Record<string, string>> = [
      {},
      { authorization: good },
      { authorization: `Token ${good}` },
      { authorization: `Bearer ${good} extra` },
      { authorization: `Bearer ${good.slice(0, -2)}xx` },
      { authorization: `Bearer ${emulator.mintToken({ ttlSeconds: 1 })}`.replace(/\..*$/, '.e30.x') },
    ];
    for (const header of headers) {
      const result = await callApi(emulator.url, 'GET', '/api/v1/entities', { headers: header });
      expect(result.status, JSON.stringify(header)).toBe(401);
      expect(result.body).toEqual(AUTH_REQUIRED);
    }
    expect((await callApi(emulator.url, 'GET', '/api/v1/entities', { headers: { authorization: `bEaReR ${good}` } })).status).toBe(200);
  });

  it('expires access tokens at exp (no leeway)', async () => {
    const emulator = await start({ tokenTtlSeconds: 2 });
    const token = await loginAsAdmin(emulator.url);
    expect((await callApi(emulator.url, 'GET', '/api/v1/organizations', { token })).status).toBe(200);
    emulator.advanceTime(2);
    const expired = await callApi(emulator.url, 'GET', '/api/v1/organizations', { token });
    expect(expired.status).toBe(401);
    expect(expired.body).toEqual(AUTH_REQUIRED);
  });

  it('expires tokens in real time too', async () => {
    const emulator = await start({ tokenTtlSeconds: 1 });
    const token = await loginAsAdmin(emulator.url);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect((await callApi(emulator.url, 'GET', '/api/v1/organizations', { token })).status).toBe(401);
  });

  it('does not accept a refresh token as a bearer token (identities are empty on v3.2.1)', async () => {
    const { url } = await start();
    const login = await callApi(url, 'POST', '/api/v1/portal-auth/login', { json: { email: 'admin@localhost.local', password: 'admin123' } });
    expect((await callApi(url, 'GET', '/api/v1/entities', { token: login.body.refresh_token })).status).toBe(401);
  });

  it('rejects tokens signed with another secret, and accepts a configured jwtSecret', async () => {
    const other = await startElderEmulator({ jwtSecret: 'other' });
    try {
      const { url } = await start();
      expect((await callApi(url, 'GET', '/api/v1/entities', { token: other.mintToken() })).status).toBe(401);
      expect((await callApi(other.url, 'GET', '/api/v1/entities', { token: other.mintToken() })).status).toBe(200);
    } finally {
      await other.close();
    }
  });

  it('accepts configured static tokens and minted tokens, like the Python worker`s ELDER_API_KEY', async () => {
    const emulator = await start({ staticTokens: ['worker-key'] });
    expect((await callApi(emulator.url, 'GET', '/api/v1/entities', { token: 'worker-key' })).status).toBe(200);
    expect((await callApi(emulator.url, 'GET', '/api/v1/entities', { token: 'other-key' })).status).toBe(401);
    const minted = emulator.mintToken({ ttlSeconds: 60 });
    expect((await callApi(emulator.url, 'GET', '/api/v1/entities', { token: minted })).status).toBe(200);
  });
});

describe('refresh (elder-api.md §2.3)', () => {
  it('rotates both tokens and keeps the old refresh token valid', async () => {
    const emulator = await start({ tokenTtlSeconds: 60 });
    const login = await callApi(emulator.url, 'POST', '/api/v1/portal-auth/login', { json: { email: 'admin@localhost.local', password: 'admin123' } });
    emulator.advanceTime(61);
    expect((await callApi(emulator.url, 'GET', '/api/v1/entities', { token: login.body.access_token })).status).toBe(401);
    const refreshed = await callApi(emulator.url, 'POST', '/api/v1/portal-auth/refresh', { json: { refresh_token: login.body.refresh_token } });
    expect(refreshed.status).toBe(200);
    expect(Object.keys(refreshed.body).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'token_type']);
    expect(refreshed.body.refresh_token).not.toBe(login.body.refresh_token);
    expect(refreshed.body.access_token).not.toBe(login.body.access_token);
    expect((await callApi(emulator.url, 'GET', '/api/v1/entities', { token: refreshed.body.access_token })).status).toBe(200);
    const again = await callApi(emulator.url, 'POST', '/api/v1/portal-auth/refresh', { json: { refresh_token: login.body.refresh_token } });
    expect(again.status).toBe(200);
  });

  it('reports wrong type, expiry, garbage and a missing token with distinct errors', async () => {
    const emulator = await start({ refreshTtlSeconds: 10 });
    const login = await callApi(emulator.url, 'POST', '/api/v1/portal-auth/login', { json: { email: 'admin@localhost.local', password: 'admin123' } });
    const refresh = (json: unknown) => callApi(emulator.url, 'POST', '/api/v1/portal-auth/refresh', { json });
    expect((await refresh({ refresh_token: login.body.access_token })).body).toEqual({ error: 'Invalid token type' });
    expect((await refresh({ refresh_token: 'garbage' })).body).toEqual({ error: 'Invalid refresh token' });
    expect((await refresh({ other: 1 })).body).toEqual({ error: 'refresh_token is required' });
    emulator.advanceTime(10);
    const expired = await refresh({ refresh_token: login.body.refresh_token });
    expect(expired.status).toBe(401);
    expect(expired.body).toEqual({ error: 'Refresh token has expired' });
  });

  it('serves /portal-auth/me for portal tokens', async () => {
    const { url } = await start();
    const token = await loginAsAdmin(url);
    const me = await callApi(url, 'GET', '/api/v1/portal-auth/me', { token });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: 1, email: 'admin@localhost.local', tenant_id: 1, global_role: 'admin' });
    expect((await callApi(url, 'GET', '/api/v1/portal-auth/me')).body).toEqual({ error: 'Token is missing' });
  });
});

describe('the auth asymmetry (elder-api.md §0.2)', () => {
  it('lets unauthenticated clients create, update and delete organizations and update/delete entities', async () => {
    const emulator = await start();
    const org = await callApi(emulator.url, 'POST', '/api/v1/organizations', { json: { name: 'Open' } });
    expect(org.status).toBe(201);
    expect((await callApi(emulator.url, 'PATCH', '/api/v1/organizations/1', { json: { description: 'd' } })).status).toBe(200);
    expect((await callApi(emulator.url, 'GET', '/api/v1/organizations/1')).body).toEqual(AUTH_REQUIRED);
    expect((await callApi(emulator.url, 'POST', '/api/v1/entities', { json: { name: 'e', entity_type: 'compute', organization_id: 1 } })).status).toBe(401);
    const entity = emulator.seedEntity({ name: 'e', type: 'compute', organization_id: 1 });
    expect((await callApi(emulator.url, 'PUT', `/api/v1/entities/${entity['id']}`, { json: { name: 'f' } })).status).toBe(200);
    expect((await callApi(emulator.url, 'DELETE', `/api/v1/entities/${entity['id']}`)).status).toBe(204);
    expect((await callApi(emulator.url, 'GET', '/api/v1/dependencies')).status).toBe(401);
  });

  it('requires a token everywhere with strictAuth, but never on health, status and login', async () => {
    const { url } = await start({ strictAuth: true });
    expect((await callApi(url, 'POST', '/api/v1/organizations', { json: { name: 'Closed' } })).body).toEqual(AUTH_REQUIRED);
    expect((await callApi(url, 'DELETE', '/api/v1/organizations/1')).status).toBe(401);
    expect((await callApi(url, 'GET', '/healthz')).status).toBe(200);
    expect((await callApi(url, 'GET', '/api/v1/status')).status).toBe(200);
    const token = await loginAsAdmin(url);
    expect((await callApi(url, 'POST', '/api/v1/organizations', { token, json: { name: 'Closed' } })).status).toBe(201);
  });
});
