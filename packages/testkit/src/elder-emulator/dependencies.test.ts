import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startElderEmulator } from './index.js';
import { callApi } from './http-client.js';
import type { ElderEmulator } from './index.js';

let elder: ElderEmulator;
let token: string;
beforeAll(async () => {
  elder = await startElderEmulator();
});
beforeEach(() => {
  elder.reset();
  token = elder.mintToken();
  elder.seedOrganization({ name: 'Org' });
  elder.seedEntity({ name: 'user', type: 'user', organization_id: 1 });
  elder.seedEntity({ name: 'group', type: 'user', organization_id: 1 });
});
afterAll(() => elder.close());

const edge = { source_type: 'entity', source_id: 1, target_type: 'entity', target_id: 2, dependency_type: 'member_of' };
const create = (json: unknown) => callApi(elder.url, 'POST', '/api/v1/dependencies', { token, json });
const VALID = "['entity', 'identity', 'project', 'milestone', 'issue', 'organization']";

describe('dependencies (elder-api.md §6.1)', () => {
  it('creates with 201 and the dependency shape, tenant from the caller for entity sources', async () => {
    const result = await create({ ...edge, metadata: { via: 'ldap' } });
    expect(result.status).toBe(201);
    expect(result.body).toEqual({
      created_at: null, dependency_type: 'member_of', id: 1, metadata: { via: 'ldap' }, source_id: 1, source_type: 'entity',
      target_id: 2, target_type: 'entity', tenant_id: 1, updated_at: null, village_id: null,
    });
  });

  it('answers 409 with the existing id for the same 5-tuple, but allows another dependency_type', async () => {
    await create(edge);
    const duplicate = await create(edge);
    expect(duplicate.status).toBe(409);
    expect(duplicate.body).toEqual({ error: 'Dependency already exists', dependency_id: 1 });
    expect((await create({ ...edge, dependency_type: 'uses' })).status).toBe(201);
  });

  it('rejects self-references, unknown types, missing endpoints and the worker`s legacy body', async () => {
    expect((await create({ ...edge, target_id: 1 })).body).toEqual({ error: 'Cannot create dependency from resource to itself' });
    expect((await create({ ...edge, source_type: 'user' })).body).toEqual({ error: `Invalid source_type. Must be one of: ${VALID}` });
    const missing = await create({ ...edge, source_id: 5 });
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: 'Source entity 5 not found' });
    expect((await create({ ...edge, target_type: 'identity', target_id: 1 })).body).toEqual({ error: 'Target identity 1 not found' });
    const legacy = await create({ source_entity_id: 1, target_entity_id: 2, dependency_type: 'x' });
    expect(legacy.status).toBe(400);
    expect(legacy.body.validation_errors.map((e: { field: string }) => e.field)).toEqual(['source_type', 'source_id', 'target_type', 'target_id', 'source_entity_id', 'target_entity_id']);
  });

  it('requires a token on every dependency route', async () => {
    expect((await callApi(elder.url, 'POST', '/api/v1/dependencies', { json: edge })).status).toBe(401);
    expect((await callApi(elder.url, 'DELETE', '/api/v1/dependencies/bulk', { json: { ids: [1] } })).status).toBe(401);
  });

  it('lists with filters and paging, gets, updates and deletes one', async () => {
    await create(edge);
    await create({ ...edge, dependency_type: 'uses' });
    const listed = await callApi(elder.url, 'GET', '/api/v1/dependencies?dependency_type=uses&source_id=1', { token });
    expect(listed.body).toMatchObject({ total: 1, page: 1, per_page: 50, pages: 1 });
    expect(listed.body.items[0].id).toBe(2);
    expect((await callApi(elder.url, 'GET', '/api/v1/dependencies/2', { token })).body.dependency_type).toBe('uses');
    expect((await callApi(elder.url, 'PATCH', '/api/v1/dependencies/2', { token, json: { metadata: { a: 1 } } })).body.metadata).toEqual({ a: 1 });
    expect((await callApi(elder.url, 'DELETE', '/api/v1/dependencies/2', { token })).status).toBe(204);
    expect((await callApi(elder.url, 'GET', '/api/v1/dependencies/2', { token })).body).toEqual({ error: 'Dependency not found' });
  });

  it('bulk-deletes by ids and reports deleted vs requested', async () => {
    await create(edge);
    await create({ ...edge, dependency_type: 'uses' });
    const result = await callApi(elder.url, 'DELETE', '/api/v1/dependencies/bulk', { token, json: { ids: [1, 2, 99] } });
    expect(result.status).toBe(200);
    expect(result.body).toEqual({ deleted: 2, requested: 3 });
    const empty = await callApi(elder.url, 'DELETE', '/api/v1/dependencies/bulk', { token, json: { ids: [] } });
    expect(empty.body.validation_errors[0]).toEqual({ field: 'ids', message: 'List should have at least 1 item after validation, not 0', type: 'too_short' });
  });

  it('fails bulk create for entity sources, which have no tenant (static)', async () => {
    const result = await callApi(elder.url, 'POST', '/api/v1/dependencies/bulk', { token, json: { dependencies: [edge] } });
    expect(result.status).toBe(400);
    expect(result.body).toEqual({ error: 'Failed to process request' });
    const fromOrg = await callApi(elder.url, 'POST', '/api/v1/dependencies/bulk', { token, json: { dependencies: [{ ...edge, source_type: 'organization' }] } });
    expect(fromOrg.status).toBe(201);
    expect(fromOrg.body).toHaveLength(1);
  });

  it('describes a resource`s and an entity`s dependencies in both directions', async () => {
    await create(edge);
    const resource = await callApi(elder.url, 'GET', '/api/v1/dependencies/resource/entity/2', { token });
    expect(resource.body).toEqual({
      resource_type: 'entity', resource_id: 2, resource_name: 'group', depends_on: [],
      depended_by: [{ id: 1, source_type: 'entity', source_id: 1, dependency_type: 'member_of', metadata: null }],
    });
    expect((await callApi(elder.url, 'GET', '/api/v1/dependencies/resource/entity/9', { token })).body).toEqual({ error: 'Entity not found' });
    expect((await callApi(elder.url, 'GET', '/api/v1/dependencies/resource/user/1', { token })).status).toBe(400);
    const outgoing = await callApi(elder.url, 'GET', '/api/v1/entities/1/dependencies?direction=outgoing', { token });
    expect(outgoing.body).toEqual({ entity_id: 1, entity_name: 'user', depends_on: [{ id: 1, target_type: 'entity', target_id: 2, dependency_type: 'member_of', metadata: null }] });
  });

  it('supports the sink`s delete recipe: look up, bulk-delete edges, then delete the entity', async () => {
    await create(edge);
    const { body } = await callApi(elder.url, 'GET', '/api/v1/dependencies/resource/entity/1', { token });
    const ids = [...body.depends_on, ...body.depended_by].map((dep: { id: number }) => dep.id);
    await callApi(elder.url, 'DELETE', '/api/v1/dependencies/bulk', { token, json: { ids } });
    expect((await callApi(elder.url, 'DELETE', '/api/v1/entities/1')).status).toBe(204);
  });
});
