import { describe, expect, it } from 'vitest';
import { mapGroup, mapOrgUnit, mapUser, userStatusOf } from './mapping.js';

const user = {
  id: '100000000000000000042',
  primaryEmail: 'ada@example.com',
  name: { givenName: 'Ada', familyName: 'Lovelace', fullName: 'Ada Lovelace' },
  orgUnitPath: '/Engineering/Backend',
  suspended: false,
  archived: false,
  customerId: 'C03az79cb',
  creationTime: '2024-01-02T03:04:05.000Z',
  lastLoginTime: '2026-12-06T10:00:00.000Z',
  etag: '"abc"',
  organizations: [{ title: 'Engineer', department: 'R&D', primary: true }],
};

describe('a Workspace user', () => {
  it('is keyed by its immutable id, named by its full name, in its OU organization, with member_of its groups sorted and once each', () => {
    const record = mapUser(user, ['Engineering', 'Backend'], ['03b', '01a', '03b']);
    expect(record).toMatchObject({ kind: 'user', externalId: user.id, name: 'Ada Lovelace', organizationPath: ['Engineering', 'Backend'] });
    expect(record.relations).toEqual([
      { type: 'member_of', kind: 'group', externalId: '01a' },
      { type: 'member_of', kind: 'group', externalId: '03b' },
    ]);
    expect(record.attributes).toMatchObject({ email: 'ada@example.com', user_id: user.id, creation_time: '2024-01-02T03:04:05.000Z', status: 'active', is_active: true, title: 'Engineer', department: 'R&D' });
  });

  it('leaves out what changes by itself (last login, etag), so an unchanged user maps identically', () => {
    const again = mapUser({ ...user, lastLoginTime: '2026-12-07T00:00:00.000Z', etag: '"def"' }, ['Engineering', 'Backend'], []);
    expect(again).toEqual(mapUser(user, ['Engineering', 'Backend'], []));
    expect(JSON.stringify(again)).not.toContain('2026-12-07');
  });

  it('shows a suspended or archived user as such instead of dropping it', () => {
    expect(mapUser({ ...user, suspended: true, suspensionReason: 'ADMIN' }, [], []).attributes).toMatchObject({
      status: 'suspended',
      is_active: false,
      suspended: true,
      suspension_reason: 'ADMIN',
    });
    expect(userStatusOf({ suspended: true, archived: true })).toBe('archived');
    expect(mapUser({ ...user, archived: true }, [], []).attributes).toMatchObject({ status: 'archived', is_active: false, archived: true });
  });

  it('has a fixed attribute key set, absent values null, so a removed value is cleared in Elder', () => {
    const bare = mapUser({ id: '1', primaryEmail: 'x@example.com' }, [], []);
    const full = mapUser(user, [], []);
    expect(Object.keys(bare.attributes).sort()).toEqual(Object.keys(full.attributes).sort());
    expect(bare.attributes).toMatchObject({ title: null, display_name: null, aliases: null });
    expect(bare.name).toBe('x@example.com');
  });
});

describe('a Workspace org unit', () => {
  it('is an organization keyed by orgUnitId, named after itself, below its parent OU', () => {
    const ou = { orgUnitId: 'id:03ph8a2z1', name: 'Backend', orgUnitPath: '/Engineering/Backend', description: '' };
    expect(mapOrgUnit(ou, ['Engineering', 'Backend'])).toEqual({
      kind: 'orgunit',
      externalId: 'id:03ph8a2z1',
      name: 'Backend',
      attributes: { org_unit_path: '/Engineering/Backend', description: null },
      organizationPath: ['Engineering'],
    });
  });
});

describe('a Workspace group', () => {
  it('sits at the source root with its member counts, and is member_of the groups that contain it', () => {
    const record = mapGroup(
      { id: '01a', email: 'eng@example.com', name: 'Engineering', directMembersCount: '5', aliases: ['z@example.com', 'a@example.com'] },
      { members: 5, users: 3, groups: 1, external: 1, wholeCustomer: false },
      ['00root'],
    );
    expect(record).toMatchObject({ kind: 'group', externalId: '01a', name: 'Engineering', organizationPath: [] });
    expect(record.attributes).toMatchObject({ group_id: '01a', direct_members_count: 5, user_member_count: 3, group_member_count: 1, external_member_count: 1, aliases: ['a@example.com', 'z@example.com'] });
    expect(record.relations).toEqual([{ type: 'member_of', kind: 'group', externalId: '00root' }]);
  });
});
