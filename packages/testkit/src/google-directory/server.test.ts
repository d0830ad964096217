import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIRECTORY_ROUTE_SCOPES, startDirectoryServer, type DirectoryServer } from './server.js';
import { GENERATED_ADMIN, generateDirectory, groupIdOf, orgUnitIdOf, userIdOf } from './generate.js';
import type { DirectoryGrant } from './types.js';

const ALL_READ = Object.values(DIRECTORY_ROUTE_SCOPES).map((s) => s[0]!);
const grants: Record<string, DirectoryGrant> = {
  admin: { subject: GENERATED_ADMIN(), scopes: ALL_READ },
  'no-delegation': { scopes: ALL_READ },
  'plain-user': { subject: 'user00001@example.test', scopes: ALL_READ },
  'users-only': { subject: GENERATED_ADMIN(), scopes: [DIRECTORY_ROUTE_SCOPES.users[0]!] },
};

let server: DirectoryServer;
beforeAll(async () => {
  server = await startDirectoryServer({
    data: generateDirectory({ users: 12, groups: 4, orgUnitLevels: 3 }),
    grantOf: (token) => grants[token],
    pageLimit: { users: 5, members: 2 },
  });
});
afterAll(() => server.close());

async function get(path: string, token = 'admin') {
  const res = await fetch(new URL(`admin/directory/v1/${path}`, server.rootUrl), { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
}

async function all(path: string, field: string) {
  const out: any[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const { body } = await get(`${path}${path.includes('?') ? '&' : '?'}${token ? `pageToken=${token}` : ''}`);
    out.push(...(body[field] ?? []));
    token = body['nextPageToken'];
    pages++;
  } while (token);
  return { items: out, pages };
}

describe('the fake Directory API', () => {
  it('pages users at most pageLimit at a time and follows every token to the end', async () => {
    const { items, pages } = await all('users?customer=my_customer&maxResults=500', 'users');
    expect(items.map((u) => u.id)).toEqual(Array.from({ length: 12 }, (_, i) => userIdOf(i + 1)));
    expect(pages).toBe(3);
    expect(items[0]).toMatchObject({ kind: 'admin#directory#user', primaryEmail: GENERATED_ADMIN(), isAdmin: true, orgUnitPath: '/' });
  });

  it('refuses maxResults above the API maximum with the real 400 body', async () => {
    expect(await get('users?customer=my_customer&maxResults=501')).toMatchObject({
      status: 400,
      body: { error: { code: 400, message: "Invalid value '501'. Values must be within the range: [1, 500]", errors: [{ reason: 'invalid' }] } },
    });
    expect((await get('groups?customer=my_customer&maxResults=201')).status).toBe(400);
    expect((await get(`groups/${groupIdOf(0)}/members?maxResults=201`)).status).toBe(400);
    expect((await get('groups?customer=my_customer&maxResults=200')).status).toBe(200);
  });

  it('refuses a page token issued for another query', async () => {
    const first = await get('users?customer=my_customer');
    expect(first.body['nextPageToken']).toBeTruthy();
    expect((await get(`users?customer=my_customer&orderBy=email&pageToken=${first.body['nextPageToken']}`)).status).toBe(400);
  });

  it('lists the whole OU tree only with type=all; the default is the first level', async () => {
    const children = await get('customer/my_customer/orgunits');
    const every = await get('customer/my_customer/orgunits?type=all');
    expect(children.body['organizationUnits']).toHaveLength(2);
    expect(every.body['organizationUnits']).toHaveLength(2 + 4 + 8);
    const deep = every.body['organizationUnits'].find((o: any) => o.orgUnitPath.split('/').length === 4);
    expect(deep).toMatchObject({ kind: 'admin#directory#orgUnit', orgUnitId: expect.stringMatching(/^id:/), parentOrgUnitPath: expect.stringMatching(/^\/.+\/.+/) });
  });

  it('lists members page by page, by group id or email, and 404s an unknown group', async () => {
    const { items, pages } = await all(`groups/${groupIdOf(0)}/members`, 'members');
    expect(pages).toBeGreaterThan(1);
    expect(items.map((m) => m.type)).toEqual(expect.arrayContaining(['USER', 'GROUP']));
    expect((await get('groups/group-000@example.test/members')).status).toBe(200);
    expect(await get('groups/nope/members')).toMatchObject({ status: 404, body: { error: { errors: [{ reason: 'notFound' }] } } });
  });

  it('enforces delegation and scopes: no token 401, no subject or a non-admin 403 forbidden, a missing scope 403 insufficientPermissions', async () => {
    expect(await get('users?customer=my_customer', 'forged')).toMatchObject({ status: 401, body: { error: { status: 'UNAUTHENTICATED' } } });
    expect(await get('users?customer=my_customer', 'no-delegation')).toMatchObject({ status: 403, body: { error: { errors: [{ reason: 'forbidden' }] } } });
    expect(await get('users?customer=my_customer', 'plain-user')).toMatchObject({ status: 403, body: { error: { message: 'Not Authorized to access this resource/api' } } });
    expect((await get('users?customer=my_customer', 'users-only')).status).toBe(200);
    expect(await get('groups?customer=my_customer', 'users-only')).toMatchObject({
      status: 403,
      body: { error: { errors: [{ reason: 'insufficientPermissions' }], details: [{ reason: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT' }] } },
    });
  });

  it('lets a delegated admin read only what its role allows', async () => {
    server.directory.addUser({ id: '200000000000000000001', primaryEmail: 'helpdesk@example.test', name: { givenName: 'Help', familyName: 'Desk' }, orgUnitPath: '/', isDelegatedAdmin: true, adminReads: ['users'] });
    grants['helpdesk'] = { subject: 'helpdesk@example.test', scopes: ALL_READ };
    try {
      expect((await get('users?customer=my_customer', 'helpdesk')).status).toBe(200);
      expect(await get('customer/my_customer/orgunits', 'helpdesk')).toMatchObject({ status: 403, body: { error: { errors: [{ reason: 'forbidden' }] } } });
    } finally {
      server.directory.deleteUser('200000000000000000001');
    }
  });

  it('answers customers.get for my_customer and the customer id', async () => {
    expect((await get('customers/my_customer')).body).toMatchObject({ kind: 'admin#directory#customer', id: 'C03az79cb', customerDomain: 'example.test' });
    expect((await get('customers/C03az79cb')).status).toBe(200);
    expect((await get('customers/C999')).status).toBe(400);
  });

  it('filters by domain and refuses an unknown customer', async () => {
    expect((await get('users?domain=example.test')).status).toBe(200);
    expect((await get('users?domain=other.test')).status).toBe(400);
    expect((await get('users?customer=C999')).status).toBe(400);
    expect((await get('users')).status).toBe(400);
  });

  it('answers injected throttling with the real reasons and Retry-After', async () => {
    server.failNext('groups', { kind: 'rateLimitExceeded', retryAfterSeconds: 2 });
    server.failNext('groups', { kind: 'userRateLimitExceeded' });
    const first = await get('groups?customer=my_customer');
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('2');
    expect(await get('groups?customer=my_customer')).toMatchObject({ status: 403, body: { error: { errors: [{ reason: 'userRateLimitExceeded', domain: 'usageLimits' }] } } });
    expect((await get('groups?customer=my_customer')).status).toBe(200);
  });

  it('applies console changes as Google does: an OU rename moves the paths of users below it', async () => {
    const top = orgUnitIdOf('/Division A1');
    const before = server.directory.data.users.filter((u) => u.orgUnitPath.startsWith('/Division A1/')).map((u) => u.id);
    expect(before.length).toBeGreaterThan(0);
    server.directory.updateOrgUnit(top, { name: 'Renamed' });
    const { items } = await all('users?customer=my_customer', 'users');
    expect(items.filter((u) => u.orgUnitPath.startsWith('/Renamed/')).map((u) => u.id)).toEqual(before);
    server.directory.updateOrgUnit(top, { name: 'Division A1' });
  });
});
