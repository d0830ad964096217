/**
 * The Microsoft fake holds clients to the real protocol: credentials, token audiences, app roles,
 * absolute paging links back to itself, delta tokens that expire, `$batch` limits and throttling.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMicrosoftFake, type MicrosoftFake } from './server.js';
import { seedTenant } from './tenant.js';

const TENANT = { id: '11111111-1111-4111-8111-111111111111', domain: 'contoso.onmicrosoft.com', clientId: 'aaaaaaaa-0000-4000-8000-000000000001', clientSecret: 's3cret' };

let fake: MicrosoftFake;
let ca: Buffer;

function send(method: 'GET' | 'POST', url: string, options: { token?: string; body?: string; form?: Record<string, string> } = {}) {
  const body = options.form ? new URLSearchParams(options.form).toString() : options.body;
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; json: any }>((resolve, reject) => {
    const req = request(url, { method, ca, headers: { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...(body ? { 'content-type': options.form ? 'application/x-www-form-urlencoded' : 'application/json' } : {}) } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, json: text ? JSON.parse(text) : null }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const token = async (scope: string, secret = TENANT.clientSecret, tenant = TENANT.domain) =>
  send('POST', `${fake.url}/${tenant}/oauth2/v2.0/token`, { form: { grant_type: 'client_credentials', client_id: TENANT.clientId, client_secret: secret, scope } });

beforeAll(async () => {
  fake = await startMicrosoftFake({ pageSize: 2 });
  seedTenant(fake.addTenant(TENANT), { users: 5 }, 'contoso');
  ca = readFileSync(fake.caFile);
});
afterAll(async () => {
  await fake?.close();
});

describe('the Microsoft fake', () => {
  it('issues tokens per audience for the right secret only, with AADSTS errors otherwise', async () => {
    const wrong = await token('https://graph.microsoft.com/.default', 'nope');
    expect(wrong.status).toBe(401);
    expect(wrong.json).toMatchObject({ error: 'invalid_client', error_codes: [7000215] });
    const graph = await token('https://graph.microsoft.com/.default');
    expect(graph.json).toMatchObject({ token_type: 'Bearer', expires_in: 3599 });
    const discovery = await send('GET', `${fake.url}/${TENANT.domain}/v2.0/.well-known/openid-configuration`);
    expect(discovery.json.token_endpoint).toBe(`${fake.url}/${TENANT.domain}/oauth2/v2.0/token`);
    // A Graph token cannot call the Defender API.
    const defender = await send('GET', `${fake.url}/api/machines`, { token: graph.json.access_token });
    expect(defender.status).toBe(401);
    const ok = await send('GET', `${fake.url}/api/machines`, { token: (await token('https://api.securitycenter.microsoft.com/.default')).json.access_token });
    expect(ok.status).toBe(200);
  });

  it('pages a delta round along absolute links back to itself, then reports only changes, and 410 once tokens expire', async () => {
    const t = (await token('https://graph.microsoft.com/.default')).json.access_token as string;
    let url: string | undefined = `${fake.url}/v1.0/users/delta?$select=id,displayName`;
    const ids: string[] = [];
    let deltaLink = '';
    while (url) {
      const page = await send('GET', url, { token: t });
      expect(page.status).toBe(200);
      ids.push(...page.json.value.map((u: { id: string }) => u.id));
      url = page.json['@odata.nextLink'];
      if (url) expect(url.startsWith(`${fake.url}/v1.0/users/delta?$skiptoken=`)).toBe(true);
      deltaLink = page.json['@odata.deltaLink'] ?? deltaLink;
    }
    const tenant = fake.tenant(TENANT.id);
    expect(ids).toEqual(tenant.users.all().map((u) => u.id));
    const [a, b] = tenant.users.all();
    tenant.addUser({ ...a!, displayName: 'Changed' });
    tenant.deleteUser(b!.id);
    const delta = await send('GET', deltaLink, { token: t });
    expect(delta.json.value).toEqual([{ ...a, displayName: 'Changed' }, { id: b!.id, '@removed': { reason: 'deleted' } }]);
    tenant.expireDeltaTokens();
    const gone = await send('GET', delta.json['@odata.deltaLink'], { token: t });
    expect(gone.status).toBe(410);
  });

  it('refuses a $batch of more than 20, answers 429 inside one on request, and throttles a family with Retry-After', async () => {
    const t = (await token('https://graph.microsoft.com/.default')).json.access_token as string;
    const requests = (n: number) => JSON.stringify({ requests: Array.from({ length: n }, (_, i) => ({ id: String(i), method: 'GET', url: '/users?$top=1' })) });
    expect((await send('POST', `${fake.url}/v1.0/$batch`, { token: t, body: requests(21) })).status).toBe(400);
    fake.throttleBatchItems(TENANT.id, 1, 7);
    const batch = await send('POST', `${fake.url}/v1.0/$batch`, { token: t, body: requests(2) });
    expect(batch.json.responses.map((r: { status: number }) => r.status)).toEqual([429, 200]);
    expect(batch.json.responses[0].headers['Retry-After']).toBe('7');
    fake.throttle(TENANT.id, 'intune', 1, 3);
    const throttled = await send('GET', `${fake.url}/v1.0/deviceManagement/managedDevices`, { token: t });
    expect(throttled.status).toBe(429);
    expect(throttled.headers['retry-after']).toBe('3');
    expect(fake.throttles().map((r) => [r.family, r.until - r.at])).toEqual([['directory', 7000], ['intune', 3000]]);
  });

  it('answers 403 for a resource whose application permission was not consented', async () => {
    fake.tenant(TENANT.id).roles = [];
    const t = (await token('https://graph.microsoft.com/.default')).json.access_token as string;
    const refused = await send('GET', `${fake.url}/v1.0/users?$top=1`, { token: t });
    expect(refused.status).toBe(403);
    expect(refused.json.error.code).toBe('Authorization_RequestDenied');
  });
});
