import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startElderEmulator } from './index.js';
import { callApi, loginAsAdmin } from './http-client.js';
import type { ElderEmulator } from './index.js';

let elder: ElderEmulator;
let token: string;
beforeAll(async () => {
  elder = await startElderEmulator();
});
beforeEach(async () => {
  elder.reset();
  token = await loginAsAdmin(elder.url);
  elder.seedOrganization({ name: 'AWS us-east-1' });
});
afterAll(() => elder.close());

const create = (json: unknown) => callApi(elder.url, 'POST', '/api/v1/entities', { token, json });
const patch = (id: number, json: unknown) => callApi(elder.url, 'PATCH', `/api/v1/entities/${id}`, { json });
const list = (query = '') => callApi(elder.url, 'GET', `/api/v1/entities${query}`, { token });
const names = async (query = '') => (await list(query)).body.items.map((item: { name: string }) => item.name);
const EC2 = { name: 'EC2: web-1', entity_type: 'compute', sub_type: 'virtual_machine', organization_id: 1, attributes: { instance_id: 'i-0abc' }, tags: ['aws', 'ec2'] };

describe('entities: create (elder-api.md §4.2, §4.3)', () => {
  it('answers 201 with exactly the 16 keys, entity_type→type and attributes→metadata', async () => {
    const result = await create(EC2);
    expect(result.status).toBe(201);
    expect(Object.keys(result.body).sort()).toEqual([
      'cloud_provider', 'created_at', 'external_id', 'id', 'is_managed', 'last_seen_at', 'metadata', 'name',
      'organization_id', 'parent_id', 'region', 'status', 'sub_type', 'tags', 'type', 'updated_at',
    ]);
    expect(result.body).toMatchObject({
      id: 1, name: 'EC2: web-1', type: 'compute', sub_type: 'virtual_machine', organization_id: 1, metadata: { instance_id: 'i-0abc' },
      tags: ['aws', 'ec2'], status: 'active', is_managed: false, external_id: null, cloud_provider: null, region: null, last_seen_at: null,
    });
    expect(result.body.created_at).toBe(result.body.updated_at);
  });

  it('defaults tags to [] and metadata to null, and drops description, is_active and default_metadata', async () => {
    const result = await create({ name: 'x', entity_type: 'anything-goes', organization_id: 1, description: 'd', is_active: false, default_metadata: { a: 1 }, tags: null });
    expect(result.status).toBe(201);
    expect(result.body).toMatchObject({ tags: [], metadata: null, status: 'active', type: 'anything-goes' });
    expect(result.text).not.toContain('description');
    expect(result.text).not.toContain('is_active');
  });

  it('validates with pydantic messages (§7.2)', async () => {
    const result = await create({ entity_type: 1, organization_id: 0, tags: ['ok', 2], attributes: [], foo: 1 });
    expect(result.status).toBe(400);
    expect(result.body.validation_errors).toEqual([
      { field: 'name', message: 'Field required', type: 'missing' },
      { field: 'entity_type', message: 'Input should be a valid string', type: 'string_type' },
      { field: 'organization_id', message: 'Input should be greater than or equal to 1', type: 'greater_than_equal' },
      { field: 'attributes', message: 'Input should be a valid dictionary', type: 'dict_type' },
      { field: 'tags.1', message: 'Input should be a valid string', type: 'string_type' },
      { field: 'foo', message: 'Extra inputs are not permitted', type: 'extra_forbidden' },
    ]);
    expect((await create({ ...EC2, organization_id: 1.5 })).body.validation_errors[0].type).toBe('int_from_float');
  });

  it('answers 404 for a missing organization and 400 for one without a tenant', async () => {
    expect((await create({ ...EC2, organization_id: 99 })).body).toEqual({ error: 'Organization with id 99 not found' });
    elder.seedOrganization({ name: 'Tenantless', tenant_id: null });
    expect((await create({ ...EC2, organization_id: 2 })).body).toEqual({ error: 'Organization must have a tenant' });
  });

  it('lets database errors escape as plain-text 500s (name > 255, type > 64, dangling parent_id)', async () => {
    for (const json of [{ ...EC2, name: 'n'.repeat(256) }, { ...EC2, entity_type: 't'.repeat(65) }, { ...EC2, parent_id: 42 }]) {
      const result = await create(json);
      expect(result.status).toBe(500);
      expect(result.headers.get('content-type')).toContain('text/plain');
      expect(result.text).toBe('Internal Server Error');
    }
    expect(elder.entities()).toHaveLength(0);
  });

  it('has no uniqueness: the same body twice makes two entities', async () => {
    await create(EC2);
    await create(EC2);
    expect(elder.entities().map((entity) => entity['id'])).toEqual([1, 2]);
  });
});

describe('entities: get and update', () => {
  it('gets one entity, or "Entity with id N not found"', async () => {
    await create(EC2);
    expect((await callApi(elder.url, 'GET', '/api/v1/entities/1', { token })).body.name).toBe('EC2: web-1');
    expect((await callApi(elder.url, 'GET', '/api/v1/entities/7', { token })).body).toEqual({ error: 'Entity with id 7 not found' });
  });

  it('replaces metadata and tags wholesale, ignores nulls, and bumps updated_at even for {}', async () => {
    await create({ ...EC2, attributes: { instance_id: 'i-0abc', region: 'us-east-1' } });
    elder.advanceTime(5);
    const result = await patch(1, { attributes: { instance_id: 'i-0abc', state: 'stopped' }, tags: ['x'], name: null, sub_type: null });
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ metadata: { instance_id: 'i-0abc', state: 'stopped' }, tags: ['x'], name: 'EC2: web-1', sub_type: 'virtual_machine' });
    expect(result.body.updated_at).not.toBe(result.body.created_at);
    elder.advanceTime(5);
    const empty = await callApi(elder.url, 'PUT', '/api/v1/entities/1', { json: {} });
    expect(empty.status).toBe(200);
    expect(Date.parse(empty.body.updated_at)).toBeGreaterThan(Date.parse(result.body.updated_at));
  });

  it('moves entities between organizations and renames them, keeping list filters right', async () => {
    elder.seedOrganization({ name: 'Other' });
    await create(EC2);
    const moved = await patch(1, { organization_id: 2, name: 'renamed', entity_type: 'storage' });
    expect(moved.body).toMatchObject({ organization_id: 2, name: 'renamed', type: 'storage' });
    expect(await names('?organization_id=1')).toEqual([]);
    expect(await names('?organization_id=2&entity_type=storage')).toEqual(['renamed']);
    expect((await patch(1, { organization_id: 9 })).body).toEqual({ error: 'Organization with id 9 not found' });
  });

  it('validates before looking the entity up', async () => {
    expect((await patch(99, { nope: 1 })).status).toBe(400);
    expect((await patch(99, { name: 'x' })).body).toEqual({ error: 'Entity with id 99 not found' });
    expect((await patch(99, { organization_id: 0 })).body.validation_errors[0].type).toBe('greater_than_equal');
  });

  it('refuses the broken v3.2.1 attribute-merge route with a plain 500', async () => {
    await create(EC2);
    expect((await callApi(elder.url, 'PATCH', '/api/v1/entities/1/attributes', { json: { a: 1 } })).status).toBe(500);
  });
});

describe('entities: delete', () => {
  it('refuses while any dependency touches the entity, in either direction', async () => {
    await create(EC2);
    await create({ ...EC2, name: 'db' });
    elder.seedDependency({ source_type: 'entity', source_id: 1, target_type: 'entity', target_id: 2 });
    elder.seedDependency({ source_type: 'organization', source_id: 1, target_type: 'entity', target_id: 2 });
    const blocked = await callApi(elder.url, 'DELETE', '/api/v1/entities/2');
    expect(blocked.status).toBe(400);
    expect(blocked.body).toEqual({ error: 'Cannot delete entity with 2 dependencies. Remove dependencies first.' });
    expect((await callApi(elder.url, 'DELETE', '/api/v1/entities/1')).body.error).toBe('Cannot delete entity with 1 dependencies. Remove dependencies first.');
  });

  it('deletes with 204, cascading child entities, then 404s', async () => {
    await create(EC2);
    await create({ ...EC2, name: 'child', parent_id: 1 });
    await create({ ...EC2, name: 'grandchild', parent_id: 2 });
    expect((await callApi(elder.url, 'DELETE', '/api/v1/entities/1')).status).toBe(204);
    expect(elder.entities()).toEqual([]);
    expect((await callApi(elder.url, 'DELETE', '/api/v1/entities/1')).status).toBe(404);
  });
});

describe('entities: list (elder-api.md §4.3, §0.1 item 5)', () => {
  it('pages 50 by default, caps per_page at 1000, and computes pages', async () => {
    for (let i = 0; i < 1203; i++) elder.seedEntity({ name: `e${String(i).padStart(4, '0')}`, type: 'compute', organization_id: 1 });
    expect((await list()).body).toMatchObject({ total: 1203, page: 1, per_page: 50, pages: 25 });
    expect((await list()).body.items).toHaveLength(50);
    const capped = await list('?per_page=5000&page=2');
    expect(capped.body).toMatchObject({ per_page: 1000, page: 2, pages: 2 });
    expect(capped.body.items).toHaveLength(203);
    expect(capped.body.items[0].name).toBe('e1000');
    expect((await list('?page=abc&per_page=')).body).toMatchObject({ page: 1, per_page: 50 });
  });

  it('fails like PostgreSQL/Python on per_page=0, negative per_page and page 0', async () => {
    elder.seedEntity({ name: 'a', type: 'compute', organization_id: 1 });
    for (const query of ['?per_page=0', '?per_page=-1', '?page=0']) {
      const result = await list(query);
      expect(result.status, query).toBe(500);
      expect(result.text).toBe('Internal Server Error');
    }
  });

  it('filters by exact entity_type, organization_id and name ILIKE, ignoring unknown and removed params', async () => {
    elder.seedOrganization({ name: 'Other' });
    elder.seedEntity({ name: 'web-1', type: 'compute', sub_type: 'virtual_machine', organization_id: 1 });
    elder.seedEntity({ name: 'WEB-2', type: 'compute', organization_id: 2 });
    elder.seedEntity({ name: 'bucket', type: 'storage', organization_id: 1 });
    elder.seedEntity({ name: 'db', type: 'compute/x', organization_id: 1 });
    expect(await names('?entity_type=compute')).toEqual(['WEB-2', 'web-1']);
    expect(await names('?organization_id=1')).toEqual(['bucket', 'db', 'web-1']);
    expect(await names('?organization_id=1&entity_type=compute')).toEqual(['web-1']);
    expect(await names('?name=web')).toEqual(['WEB-2', 'web-1']);
    expect(await names('?name=w_b-%25')).toEqual(['WEB-2', 'web-1']);
    expect(await names('?sub_type=nope&is_active=false&search=zzz&external_id=1')).toHaveLength(4);
    expect(await names('?organization_id=abc')).toEqual([]);
  });

  it('orders by name only; with shuffleTies, equal names come back in varying order', async () => {
    const shuffled = await startElderEmulator({ shuffleTies: true });
    try {
      shuffled.seedOrganization({ name: 'o' });
      for (let i = 0; i < 30; i++) shuffled.seedEntity({ name: 'same', type: 'compute', organization_id: 1 });
      shuffled.seedEntity({ name: 'aaa', type: 'compute', organization_id: 1 });
      const shuffledToken = shuffled.mintToken();
      const orders = new Set<string>();
      for (let i = 0; i < 5; i++) {
        const page = await callApi(shuffled.url, 'GET', '/api/v1/entities?per_page=31', { token: shuffledToken });
        expect(page.body.items[0].name).toBe('aaa');
        orders.add(page.body.items.map((item: { id: number }) => item.id).join(','));
      }
      expect(orders.size).toBeGreaterThan(1);
    } finally {
      await shuffled.close();
    }
    for (let i = 0; i < 3; i++) elder.seedEntity({ name: 'same', type: 'compute', organization_id: 1 });
    expect((await list()).body.items.map((item: { id: number }) => item.id)).toEqual([1, 2, 3]);
  });
});

describe('entities: legacy dialect (elder-api.md §0.3)', () => {
  it('answers with attributes/entity_type/is_active/description and honours the is_active filter', async () => {
    const legacy = await startElderEmulator({ dialect: 'legacy' });
    try {
      const legacyToken = legacy.mintToken();
      const org = await callApi(legacy.url, 'POST', '/api/v1/organizations', { json: { name: 'LDAP', ldap_dn: 'dc=example,dc=com' } });
      expect(org.status).toBe(201);
      expect(org.body).toMatchObject({ organization_type: 'organization', ldap_dn: 'dc=example,dc=com' });
      expect(org.body).not.toHaveProperty('type');
      const created = await callApi(legacy.url, 'POST', '/api/v1/entities', {
        token: legacyToken,
        json: { name: 'u', entity_type: 'user', organization_id: 1, attributes: { email: 'u@x' }, description: 'd', is_active: false, sub_type: 'ignored' },
      });
      expect(Object.keys(created.body).sort()).toEqual([
        'attributes', 'created_at', 'default_metadata', 'description', 'entity_type', 'id', 'is_active', 'name',
        'organization_id', 'parent_id', 'status_metadata', 'sub_type', 'tags', 'updated_at', 'village_id',
      ]);
      expect(created.body).toMatchObject({ attributes: { email: 'u@x' }, entity_type: 'user', description: 'd', is_active: false, sub_type: null });
      const active = await callApi(legacy.url, 'GET', '/api/v1/entities?is_active=true', { token: legacyToken });
      expect(active.body.total).toBe(0);
      const merged = await callApi(legacy.url, 'PATCH', '/api/v1/entities/1/attributes', { json: { extra: 1 } });
      expect(merged.body.attributes).toEqual({ email: 'u@x', extra: 1 });
    } finally {
      await legacy.close();
    }
  });
});
