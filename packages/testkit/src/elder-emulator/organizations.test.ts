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
});
afterAll(() => elder.close());

const post = (json: unknown) => callApi(elder.url, 'POST', '/api/v1/organizations', { json });
const list = (query = '') => callApi(elder.url, 'GET', `/api/v1/organizations${query}`, { token });
const FAILED = { error: 'Failed to process request' };

describe('organizations: create (elder-api.md §3.2, §3.3)', () => {
  it('answers 201 with exactly the 19 keys, type renamed, tenant 1 and null timestamps', async () => {
    const result = await post({ name: 'AWS', description: 'Amazon Web Services', organization_type: 'department' });
    expect(result.status).toBe(201);
    expect(result.body).toEqual({
      cloud_account_id: null, cloud_provider: null, created_at: null, description: 'Amazon Web Services', display_name: null,
      id: 1, is_active: true, metadata: null, name: 'AWS', owner_group_id: null, owner_identity_id: null, parent_id: null,
      region: null, settings: null, slug: null, tags: null, tenant_id: 1, type: 'department', updated_at: null,
    });
    expect((await post({ name: 'Default type' })).body.type).toBe('organization');
  });

  it('allows duplicate names, even among siblings, with ids counting up from 1', async () => {
    expect((await post({ name: 'Same' })).body.id).toBe(1);
    expect((await post({ name: 'Same' })).body.id).toBe(2);
  });

  it('validates Name255, extra fields and types with pydantic messages', async () => {
    const nameError = { field: 'name', message: 'Value error, name cannot be empty or whitespace-only', type: 'value_error' };
    for (const name of ['', '   ', 'x'.repeat(256)]) {
      const result = await post({ name });
      expect(result.status).toBe(400);
      expect(result.body).toEqual({ error: 'Validation failed', validation_errors: [nameError] });
    }
    expect((await post({ name: 'é'.repeat(255) })).status).toBe(201);
    const many = await post({ description: 'x'.repeat(1001), parent_id: 'abc', tenant_id: 3 });
    expect(many.body.validation_errors).toEqual([
      { field: 'name', message: 'Field required', type: 'missing' },
      { field: 'description', message: 'String should have at most 1000 characters', type: 'string_too_long' },
      { field: 'parent_id', message: 'Input should be a valid integer, unable to parse string as an integer', type: 'int_parsing' },
      { field: 'tenant_id', message: 'Extra inputs are not permitted', type: 'extra_forbidden' },
    ]);
    expect((await post({ name: 'Lax', parent_id: null })).status).toBe(201);
  });

  it('coerces "5"-style integers (lax mode) but 500s on a parent that does not exist', async () => {
    await post({ name: 'Parent' });
    expect((await post({ name: 'Child', parent_id: '1' })).body.parent_id).toBe(1);
    const orphan = await post({ name: 'Orphan', parent_id: 99 });
    expect(orphan.status).toBe(500);
    expect(orphan.body).toEqual(FAILED);
  });

  it('answers 500 for ldap_dn and saml_group, which v3.2.1 accepts but cannot store', async () => {
    expect((await post({ name: 'LDAP', ldap_dn: 'dc=example,dc=com' })).body).toEqual(FAILED);
    expect((await post({ name: 'SAML', saml_group: 'admins' })).status).toBe(500);
    expect((await post({ name: 'Null is fine', ldap_dn: null })).status).toBe(201);
    expect(elder.organizations().map((org) => org['name'])).toEqual(['Null is fine']);
  });
});

describe('organizations: read and list', () => {
  it('gets one organization, or the "Organization Unit" 404', async () => {
    await post({ name: 'One' });
    expect((await callApi(elder.url, 'GET', '/api/v1/organizations/1', { token })).body.name).toBe('One');
    const missing = await callApi(elder.url, 'GET', '/api/v1/organizations/2', { token });
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: 'Organization Unit not found' });
    expect((await callApi(elder.url, 'GET', '/api/v1/organizations/99999999999', { token })).status).toBe(404);
  });

  it('lists in name order with the paging envelope', async () => {
    for (const name of ['b', 'C', 'a']) await post({ name });
    const result = await list('?per_page=2');
    expect(result.body).toMatchObject({ total: 3, page: 1, per_page: 2, pages: 2 });
    expect(result.body.items.map((item: { name: string }) => item.name)).toEqual(['C', 'a']);
    expect((await list('?per_page=2&page=2')).body.items.map((item: { name: string }) => item.name)).toEqual(['b']);
    expect((await list('?page=9')).body).toMatchObject({ items: [], total: 3, pages: 1 });
  });

  it('reports is_active true and null settings/tags/metadata/cloud fields in list items, whatever is stored', async () => {
    elder.seedOrganization({ name: 'Seeded', is_active: false, settings: { a: 1 }, tags: ['t'], metadata: { m: 1 }, cloud_provider: 'aws', region: 'eu' });
    const [item] = (await list()).body.items;
    expect(item).toMatchObject({ is_active: true, settings: null, tags: null, metadata: null, cloud_provider: null, region: null });
    const single = await callApi(elder.url, 'GET', '/api/v1/organizations/1', { token });
    expect(single.body).toMatchObject({ is_active: false, settings: { a: 1 }, tags: ['t'], cloud_provider: 'aws' });
  });

  it('filters by parent_id and by a case-insensitive name substring where % and _ are wildcards', async () => {
    await post({ name: 'AWS' });
    await post({ name: 'AWS us-east-1', parent_id: 1 });
    await post({ name: 'aws_eu', parent_id: 1 });
    await post({ name: 'awsXeu' });
    await post({ name: '100% cloud' });
    const names = async (query: string) => (await list(query)).body.items.map((item: { name: string }) => item.name);
    expect(await names('?parent_id=1')).toEqual(['AWS us-east-1', 'aws_eu']);
    expect(await names('?parent_id=0')).toEqual([]);
    expect(await names('?name=aws')).toEqual(['AWS', 'AWS us-east-1', 'awsXeu', 'aws_eu']);
    expect(await names('?name=aws_eu')).toEqual(['awsXeu', 'aws_eu']);
    expect(await names('?search=east')).toEqual(['AWS us-east-1']);
    expect(await names('?name=0%25%20c')).toEqual(['100% cloud']);
    expect(await names('?name=s%25e')).toEqual(['AWS us-east-1', 'awsXeu', 'aws_eu']);
    expect(await names('?bogus=1&name=')).toHaveLength(5);
  });
});

describe('organizations: update (PATCH and PUT are both partial)', () => {
  it('applies non-null fields, ignores nulls and never touches updated_at', async () => {
    await post({ name: 'Old', description: 'keep' });
    const patched = await callApi(elder.url, 'PATCH', '/api/v1/organizations/1', { json: { name: 'New', description: null, organization_type: 'team' } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'New', description: 'keep', type: 'team', updated_at: null });
    expect((await callApi(elder.url, 'PUT', '/api/v1/organizations/1', { json: { description: 'put' } })).body.name).toBe('New');
  });

  it('answers "No fields to update" for {} or all-null bodies, validation first, then 404', async () => {
    await post({ name: 'X' });
    for (const json of [{}, { name: null, parent_id: null }]) {
      const result = await callApi(elder.url, 'PATCH', '/api/v1/organizations/1', { json });
      expect(result.status).toBe(400);
      expect(result.body).toEqual({ error: 'No fields to update' });
    }
    expect((await callApi(elder.url, 'PATCH', '/api/v1/organizations/9', { json: { name: 'y' } })).body).toEqual({ error: 'Organization Unit not found' });
    expect((await callApi(elder.url, 'PATCH', '/api/v1/organizations/9', { json: { bogus: 1 } })).status).toBe(400);
  });

  it('cannot clear parent_id but can make a cycle (no cycle check)', async () => {
    await post({ name: 'A' });
    await post({ name: 'B', parent_id: 1 });
    expect((await callApi(elder.url, 'PATCH', '/api/v1/organizations/1', { json: { parent_id: 2 } })).body.parent_id).toBe(2);
    expect((await callApi(elder.url, 'PATCH', '/api/v1/organizations/2', { json: { parent_id: null, name: 'B2' } })).body.parent_id).toBe(1);
  });
});

describe('organizations: delete', () => {
  it('refuses an org with children and cascades its entities and their child entities otherwise', async () => {
    await post({ name: 'Parent' });
    await post({ name: 'Child', parent_id: 1 });
    const blocked = await callApi(elder.url, 'DELETE', '/api/v1/organizations/1');
    expect(blocked.status).toBe(400);
    expect(blocked.body).toEqual({ error: 'Cannot delete Organization Unit with child OUs' });
    await post({ name: 'Other' });
    const vm = elder.seedEntity({ name: 'vm', type: 'compute', organization_id: 2 });
    elder.seedEntity({ name: 'disk', type: 'storage', organization_id: 3, parent_id: vm['id'] as number });
    const survivor = elder.seedEntity({ name: 'kept', type: 'compute', organization_id: 3 });
    elder.seedDependency({ source_type: 'entity', source_id: vm['id'] as number, target_type: 'entity', target_id: survivor['id'] as number });
    expect((await callApi(elder.url, 'DELETE', '/api/v1/organizations/2')).status).toBe(204);
    expect(elder.entities().map((entity) => entity['name'])).toEqual(['kept']);
    expect(elder.dependencies()).toHaveLength(1); // dangling: dependencies have no FKs (§6.1)
    expect((await callApi(elder.url, 'DELETE', '/api/v1/organizations/1')).status).toBe(204);
    expect((await callApi(elder.url, 'DELETE', '/api/v1/organizations/1')).body).toEqual({ error: 'Organization Unit not found' });
  });
});
