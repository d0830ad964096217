import { describe, expect, it } from 'vitest';
import type { ElderEntity } from '../elder/types.js';
import { contentHash } from '../json.js';
import {
  STAMP_ATTRIBUTE,
  actualProjection,
  desiredProjection,
  makeStamp,
  mergeAttributes,
  mergeTags,
  readStamp,
  truncateName,
} from './projection.js';

const record = {
  kind: 'user',
  externalId: 'uuid-1',
  name: 'Alice Archer',
  attributes: { email: 'alice@example.test', title: null },
  organizationPath: ['Corp', 'People'],
  relations: [
    { type: 'member_of', kind: 'group', externalId: 'g2' },
    { type: 'member_of', kind: 'group', externalId: 'g1' },
  ],
  tags: ['ldap', 'ldap'],
};
const type = { type: 'user', subType: 'person' };

function entityFrom(attributes: Record<string, unknown>, extra: Partial<ElderEntity> = {}): ElderEntity {
  return {
    id: 7,
    name: 'Alice Archer',
    type: 'user',
    subType: 'person',
    organizationId: 3,
    parentId: null,
    attributes: attributes as ElderEntity['attributes'],
    tags: ['ldap'],
    ...extra,
  };
}

describe('desired and actual projections', () => {
  it('describe the same unchanged entity with the same hash', () => {
    const desired = desiredProjection('corp', record, type);
    const stamp = makeStamp({ key: 'corp/user/uuid-1', source: 'corp', scope: 's', kind: 'user' }, desired);
    const entity = entityFrom({ ...desired.attributes, [STAMP_ATTRIBUTE]: stamp });
    expect(contentHash(actualProjection(entity, stamp, 'Corp / People'))).toBe(contentHash(desired));
  });

  it('sort relations and tags and key relation targets by source', () => {
    const desired = desiredProjection('corp', record, type);
    expect(desired.relations).toEqual(['member_of:corp/group/g1', 'member_of:corp/group/g2']);
    expect(desired.tags).toEqual(['ldap']);
  });

  it('notice a manual edit of an owned attribute in Elder', () => {
    const desired = desiredProjection('corp', record, type);
    const stamp = makeStamp({ key: 'k', source: 'corp', scope: 's', kind: 'user' }, desired);
    const edited = entityFrom({ ...desired.attributes, email: 'someone@else', [STAMP_ATTRIBUTE]: stamp });
    expect(contentHash(actualProjection(edited, stamp, 'Corp / People'))).not.toBe(contentHash(desired));
  });

  it('ignore attributes this tool does not own', () => {
    const desired = desiredProjection('corp', record, type);
    const stamp = makeStamp({ key: 'k', source: 'corp', scope: 's', kind: 'user' }, desired);
    const entity = entityFrom({ ...desired.attributes, owner: 'team-x', [STAMP_ATTRIBUTE]: stamp });
    expect(contentHash(actualProjection(entity, stamp, 'Corp / People'))).toBe(contentHash(desired));
  });

  it('never take the stamp attribute from a connector', () => {
    const sneaky = { ...record, attributes: { ...record.attributes, [STAMP_ATTRIBUTE]: 'forged' } };
    expect(desiredProjection('corp', sneaky, type).attributes).not.toHaveProperty(STAMP_ATTRIBUTE);
  });
});

describe('merging into what Elder holds (never clobber)', () => {
  it('keeps foreign keys, overwrites owned ones and drops keys no longer owned', () => {
    const previous = makeStamp({ key: 'k', source: 'corp', scope: 's', kind: 'user' }, {
      ...desiredProjection('corp', record, type),
      attributes: { email: 'old@example.test', phone: '1' },
    });
    const desired = desiredProjection('corp', record, type);
    const stamp = makeStamp({ key: 'k', source: 'corp', scope: 's', kind: 'user' }, desired);
    const merged = mergeAttributes(
      { email: 'old@example.test', phone: '1', owner: 'team-x', [STAMP_ATTRIBUTE]: previous as never },
      previous,
      desired,
      stamp,
    );
    expect(merged).toEqual({
      email: 'alice@example.test',
      title: null,
      owner: 'team-x',
      [STAMP_ATTRIBUTE]: stamp,
    });
  });

  it('keeps tags others added and replaces the ones it owned', () => {
    const desired = { ...desiredProjection('corp', record, type), tags: ['directory'] };
    const previous = makeStamp({ key: 'k', source: 'corp', scope: 's', kind: 'user' }, { ...desired, tags: ['ldap'] });
    expect(mergeTags(['ldap', 'pci'], previous, desired)).toEqual(['directory', 'pci']);
  });
});

describe('stamps', () => {
  it('round-trip through attributes and reject foreign shapes', () => {
    const desired = desiredProjection('corp', record, type);
    const stamp = makeStamp({ key: 'corp/user/uuid-1', source: 'corp', scope: 's', kind: 'user' }, desired);
    expect(readStamp({ [STAMP_ATTRIBUTE]: JSON.parse(JSON.stringify(stamp)) })).toEqual({ ...stamp, stale_since: null });
    expect(readStamp({ [STAMP_ATTRIBUTE]: 'x' })).toBeNull();
    expect(readStamp({ instance_id: 'i-1' })).toBeNull();
  });
});

describe('names', () => {
  it('are cut to Elder’s 255 characters without splitting a character', () => {
    const long = '😀'.repeat(300);
    const cut = truncateName(long);
    expect(Array.from(cut)).toHaveLength(255);
    expect(cut.endsWith('…')).toBe(true);
    expect(truncateName('short')).toBe('short');
  });
});
