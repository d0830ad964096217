import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startElderEmulator } from './index.js';
import { callApi, loginAsAdmin } from './http-client.js';
import type { ElderEmulator } from './index.js';

let elder: ElderEmulator;
let token: string;

beforeAll(async () => {
  elder = await startElderEmulator();
  token = await loginAsAdmin(elder.url);
});
afterAll(() => elder.close());

describe('Elder emulator: HTTP protocol details (elder-api.md §1, §7.1)', () => {
  it('listens on a random loopback port', () => {
    expect(elder.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(elder.port).toBeGreaterThan(0);
  });

  it('serves /healthz and /api/v1/status without auth', async () => {
    expect((await callApi(elder.url, 'GET', '/healthz')).body).toEqual({ service: 'elder', status: 'healthy' });
    const status = await callApi(elder.url, 'GET', '/api/v1/status');
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ service: 'elder', status: 'operational', version: '3.2.1' });
  });

  it('answers JSON like Flask DEBUG: sorted keys at every depth, indent 2, ASCII escapes, trailing newline', async () => {
    elder.seedOrganization({ name: 'Root' });
    const created = await callApi(elder.url, 'POST', '/api/v1/entities', {
      token,
      json: { name: 'café', entity_type: 'compute', organization_id: 1, attributes: { zeta: 1, alpha: { y: 2, x: 1 } } },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('content-type')).toBe('application/json');
    expect(created.text.endsWith('}\n')).toBe(true);
    expect(created.text).toContain('"name": "caf\\u00e9"');
    expect(created.text).toContain('"metadata": {\n    "alpha": {\n      "x": 1,\n      "y": 2\n    },\n    "zeta": 1\n  }');
    const keys = Object.keys(JSON.parse(created.text));
    expect(keys).toEqual([...keys].sort());
  });

  it('serialises datetimes as RFC 1123 GMT strings', async () => {
    const entity = elder.entities()[0] as Record<string, string>;
    expect(entity['created_at']).toMatch(/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
  });

  it('answers unknown routes and non-integer ids with the JSON 404', async () => {
    for (const path of ['/nope', '/api/v1/healthz', '/api/v1/entities/abc', '/api/v1/entities/']) {
      const result = await callApi(elder.url, 'GET', path, { token });
      expect(result.status, path).toBe(404);
      expect(result.body, path).toEqual({ error: 'Not Found', message: 'Resource not found' });
    }
  });

  it('redirects /api/v1/entity-types to the trailing-slash route with 308', async () => {
    const result = await callApi(elder.url, 'GET', '/api/v1/entity-types?x=1', { token });
    expect(result.status).toBe(308);
    expect(result.headers.get('location')).toBe(`${elder.url}/api/v1/entity-types/?x=1`);
    const list = await callApi(elder.url, 'GET', '/api/v1/entity-types/', { token });
    expect(list.status).toBe(200);
    expect(list.body.total).toBe(5);
    expect(list.body.entity_types.map((t: { type: string }) => t.type)).toEqual(['network', 'compute', 'storage', 'datacenter', 'security']);
    expect((await callApi(elder.url, 'GET', '/api/v1/entity-types/nope', { token })).body).toEqual({ error: 'Entity type not found' });
  });

  it('answers a wrong method with an HTML 405 and an Allow header', async () => {
    const result = await callApi(elder.url, 'DELETE', '/api/v1/entities', { token });
    expect(result.status).toBe(405);
    expect(result.headers.get('content-type')).toContain('text/html');
    expect(result.text).toContain('<title>405 Method Not Allowed</title>');
    expect(result.headers.get('allow')).toBe('GET, HEAD, OPTIONS, POST');
  });

  it('answers a non-JSON body with an HTML 415, and malformed JSON with the JSON 400', async () => {
    const form = await callApi(elder.url, 'POST', '/api/v1/organizations', { raw: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(415);
    expect(form.headers.get('content-type')).toContain('text/html');
    expect(form.text).toContain('Unsupported Media Type');
    const broken = await callApi(elder.url, 'POST', '/api/v1/organizations', { raw: '{"name":', headers: { 'content-type': 'application/json' } });
    expect(broken.status).toBe(400);
    expect(broken.body).toEqual({ error: 'Bad Request', message: 'Invalid request' });
  });

  it('checks the token before the body on protected routes', async () => {
    const result = await callApi(elder.url, 'POST', '/api/v1/entities', { raw: 'x', headers: { 'content-type': 'text/plain' } });
    expect(result.status).toBe(401);
  });

  it('answers 204 with an empty body on delete', async () => {
    const org = elder.seedOrganization({ name: 'Doomed' });
    const result = await callApi(elder.url, 'DELETE', `/api/v1/organizations/${org['id']}`);
    expect(result.status).toBe(204);
    expect(result.text).toBe('');
  });

  it('treats a body validation error as a 400 with pydantic-shaped validation_errors', async () => {
    const result = await callApi(elder.url, 'POST', '/api/v1/organizations', { json: [1, 2] });
    expect(result.status).toBe(400);
    expect(result.body).toEqual({
      error: 'Validation failed',
      validation_errors: [{ field: '', message: 'Input should be a valid dictionary or object to extract fields from', type: 'model_attributes_type' }],
    });
  });
});
