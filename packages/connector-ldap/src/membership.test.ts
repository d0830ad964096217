import { describe, expect, it } from 'vitest';
import { parseDn } from './dn.js';
import { DnCache } from './dn-cache.js';
import { GroupIndex } from './membership.js';

const BASE = 'dc=example,dc=test';
const ids = (relations: { externalId: string }[]) => relations.map((r) => r.externalId);

describe.each([
  ['on its own', () => new GroupIndex()],
  ['sharing the read\u2019s DnCache', () => new GroupIndex(new DnCache(parseDn(BASE)))],
])('GroupIndex %s', (_, make) => {
  const bob = (memberOf: string[] = []) => ({ dn: 'uid=bob,ou=People,dc=example,dc=test', memberOf, uid: 'bob', selfId: 'u-bob' });

  it('finds memberships by memberOf, uniqueMember, member lists and memberUid together, sorted and once each', () => {
    const groups = make();
    groups.addGroup('cn=eng,ou=Groups,dc=example,dc=test', 'g-eng');
    const uniq = groups.addGroup('cn=uniq,ou=Groups,dc=example,dc=test', 'g-uniq');
    const listed = groups.addGroup('cn=listed,ou=Groups,dc=example,dc=test', 'g-listed');
    const posix = groups.addGroup('cn=posix,ou=Groups,dc=example,dc=test', 'g-posix');
    groups.addMemberDn(uniq, "UID=Bob, OU=People, DC=example, DC=test#'0101'B");
    groups.addMemberDn(listed, 'uid=bob,ou=people,dc=example,dc=test');
    groups.addMemberDn(listed, 'uid=alice,ou=People,dc=example,dc=test');
    groups.addMemberUid(posix, 'BOB');
    const memberOf = ['CN=Eng,OU=Groups,DC=example,DC=test', 'cn=uniq,ou=Groups,dc=example,dc=test', 'cn=elsewhere,dc=other'];
    expect(ids(groups.relationsFor(bob(memberOf)))).toEqual(['g-eng', 'g-listed', 'g-posix', 'g-uniq']);
    expect(ids(groups.relationsFor({ ...bob(), dn: 'uid=alice,ou=People,dc=example,dc=test', uid: 'alice', selfId: 'u-alice' }))).toEqual(['g-listed']);
  });

  it('resolves memberOf alone when no group lists members (the memberOf directory)', () => {
    const groups = make();
    groups.addGroup('cn=Sales\\2C EMEA,ou=Groups,dc=example,dc=test', 'g-sales');
    groups.addGroup('cn=eng,ou=Groups,dc=example,dc=test', 'g-eng');
    for (let i = 0; i < 3; i++) {
      expect(ids(groups.relationsFor(bob(['cn=sales\\, emea,ou=groups,dc=example,dc=test', 'cn=eng,ou=Groups,dc=example,dc=test'])))).toEqual(['g-eng', 'g-sales']);
    }
    expect(groups.relationsFor(bob())).toEqual([]);
  });

  it('finds a group indexed after a memberOf value naming it was first looked up', () => {
    const groups = make();
    expect(groups.relationsFor(bob(['cn=late,dc=example,dc=test']))).toEqual([]);
    groups.addGroup('cn=late,dc=example,dc=test', 'g-late');
    expect(ids(groups.relationsFor(bob(['cn=late,dc=example,dc=test'])))).toEqual(['g-late']);
  });

  it('counts every memberOf or member value that is not a DN, however often it repeats', () => {
    const groups = make();
    groups.addGroup('cn=eng,dc=example,dc=test', 'g-eng');
    groups.relationsFor(bob(['not a dn', 'cn=eng,dc=example,dc=test']));
    groups.relationsFor(bob(['not a dn']));
    groups.addMemberDn(0, 'also not a dn');
    expect(groups.unparsable).toBe(3);
    expect(ids(groups.relationsFor(bob(['cn=eng,dc=example,dc=test'])))).toEqual(['g-eng']);
  });

  it('never makes an entry a member of itself', () => {
    const groups = make();
    const loop = groups.addGroup('cn=loop,dc=example,dc=test', 'g-loop');
    groups.addMemberDn(loop, 'cn=loop,dc=example,dc=test');
    expect(groups.relationsFor({ dn: 'cn=loop,dc=example,dc=test', memberOf: ['cn=loop,dc=example,dc=test'], uid: null, selfId: 'g-loop' })).toEqual([]);
  });
});
