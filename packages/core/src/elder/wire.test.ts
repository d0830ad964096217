import { describe, expect, it } from 'vitest';
import {
  entityCreateBody,
  entityPatchBody,
  organizationCreateBody,
  organizationPatchBody,
  parseErrorBody,
  toEntity,
  toOrganization,
  toPage,
  toResourceDependencies,
} from './wire.js';

describe('reading both dialects (elder-api.md §0.3)', () => {
  it('reads a v3.2.1 entity', () => {
    expect(
      toEntity({
        id: 17,
        name: 'EC2: web-1',
        type: 'compute',
        sub_type: 'virtual_machine',
        organization_id: 3,
        parent_id: null,
        metadata: { instance_id: 'i-0abc' },
        tags: ['aws'],
        status: 'active',
      }),
    ).toEqual({
      id: 17,
      name: 'EC2: web-1',
      type: 'compute',
      subType: 'virtual_machine',
      organizationId: 3,
      parentId: null,
      attributes: { instance_id: 'i-0abc' },
      tags: ['aws'],
    });
  });

  it('reads a legacy entity and defaults null metadata and tags', () => {
    expect(
      toEntity({ id: 1, name: 'x', entity_type: 'vpc', organization_id: 2, attributes: { vpc_id: 'v' }, is_active: true }),
    ).toMatchObject({ type: 'vpc', attributes: { vpc_id: 'v' }, tags: [], subType: null, parentId: null });
    expect(toEntity({ id: 1, name: 'x', type: 't', organization_id: 2, metadata: null, tags: null })).toMatchObject({
      attributes: {},
      tags: [],
    });
  });

  it('reads organizations of both dialects', () => {
    expect(toOrganization({ id: 3, name: 'AWS', parent_id: 2, description: null, type: 'organization' })).toEqual({
      id: 3,
      name: 'AWS',
      parentId: 2,
      description: null,
      type: 'organization',
    });
    expect(toOrganization({ id: 3, name: 'AWS', organization_type: 'department', ldap_dn: null }).type).toBe('department');
  });

  it('rejects a body without an id', () => {
    expect(() => toEntity({ name: 'x' })).toThrow(/entity\.id/);
    expect(() => toPage({ data: [] }, 1)).toThrow(/items/);
  });

  it('merges depends_on and depended_by of a resource listing', () => {
    const deps = toResourceDependencies(
      {
        resource_type: 'entity',
        resource_id: 5,
        depends_on: [{ id: 1, target_type: 'entity', target_id: 6, dependency_type: 'member_of', metadata: null }],
        depended_by: [{ id: 2, source_type: 'entity', source_id: 7, dependency_type: 'uses', metadata: null }],
      },
      'entity',
      5,
    );
    expect(deps).toEqual([
      { id: 1, sourceType: 'entity', sourceId: 5, targetType: 'entity', targetId: 6, dependencyType: 'member_of' },
      { id: 2, sourceType: 'entity', sourceId: 7, targetType: 'entity', targetId: 5, dependencyType: 'uses' },
    ]);
  });
});

describe('writing v3.2.1 request names only', () => {
  it('builds an entity create body without dropped or unknown fields', () => {
    expect(
      entityCreateBody({ name: 'n', entityType: 'compute', subType: null, organizationId: 3, attributes: { a: 1 }, tags: [] }),
    ).toEqual({ name: 'n', entity_type: 'compute', organization_id: 3, attributes: { a: 1 }, tags: [] });
    expect(
      entityCreateBody({ name: 'n', entityType: 'compute', subType: 'vm', organizationId: 3, parentId: 9, attributes: {}, tags: ['t'] }),
    ).toMatchObject({ sub_type: 'vm', parent_id: 9 });
  });

  it('builds partial patches', () => {
    expect(entityPatchBody({ attributes: { a: 1 } })).toEqual({ attributes: { a: 1 } });
    expect(entityPatchBody({ entityType: 'x', subType: 'y', tags: [] })).toEqual({ entity_type: 'x', sub_type: 'y', tags: [] });
    expect(organizationPatchBody({ type: 'team', parentId: 4 })).toEqual({ organization_type: 'team', parent_id: 4 });
  });

  it('sends organization_type only when given and never ldap_dn/saml_group', () => {
    expect(organizationCreateBody({ name: 'AWS', parentId: null })).toEqual({ name: 'AWS' });
    expect(organizationCreateBody({ name: 'r', parentId: 2, description: 'd', type: 'team' })).toEqual({
      name: 'r',
      parent_id: 2,
      description: 'd',
      organization_type: 'team',
    });
  });
});

describe('error bodies (never assume JSON, §7.1)', () => {
  it('reads Elder JSON errors with validation_errors or details', () => {
    const b = parseErrorBody(
      '{"error":"Validation failed","validation_errors":[{"field":"foo","message":"Extra inputs are not permitted","type":"extra_forbidden"}]}',
    );
    expect(b.message).toBe('Validation failed');
    expect(b.validationErrors).toEqual([{ field: 'foo', message: 'Extra inputs are not permitted', type: 'extra_forbidden' }]);
    expect(parseErrorBody('{"error":"Validation failed","details":[{"field":"email","message":"bad"}]}').validationErrors).toHaveLength(1);
    expect(parseErrorBody('{"error":"Rate Limit Exceeded","message":"Too many requests"}').message).toBe(
      'Rate Limit Exceeded (Too many requests)',
    );
  });

  it('describes HTML and plain-text bodies', () => {
    expect(parseErrorBody('<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>').message).toBe(
      '502 Bad Gateway',
    );
    expect(parseErrorBody('Internal Server Error').message).toBe('Internal Server Error');
    expect(parseErrorBody('').message).toBeUndefined();
    expect(parseErrorBody('x'.repeat(500)).message).toHaveLength(120);
  });
});
