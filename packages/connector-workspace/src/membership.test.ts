import { describe, expect, it } from 'vitest';
import { MembershipIndex } from './membership.js';

describe('the membership index', () => {
  const build = () => {
    const index = new MembershipIndex();
    const all = index.addGroup('g-all');
    const eng = index.addGroup('g-eng');
    index.addMember(all, { id: 'g-eng', type: 'GROUP' });
    index.addMember(all, { id: 'u-ada', type: 'USER' });
    index.addMember(all, { id: 'C03az79cb', type: 'CUSTOMER' });
    index.addMember(eng, { id: 'u-ada', type: 'USER' });
    index.addMember(eng, { id: 'u-partner', type: 'USER', email: 'bob@partner.test' });
    index.addMember(eng, { id: 'g-elsewhere', type: 'GROUP' });
    index.addMember(eng, { email: 'no-account@partner.test', type: 'USER' });
    return index;
  };

  it("gives a user the groups it is a direct member of, and a group the groups that contain it", () => {
    const index = build();
    expect(index.markUser('u-ada').sort()).toEqual(['g-all', 'g-eng']);
    expect(index.groupsOf('g-eng')).toEqual(['g-all']);
    expect(index.groupsOf('g-all')).toEqual([]);
    expect(index.memberships).toBe(7);
  });

  it('counts as external every member that is no user or group of this source', () => {
    const index = build();
    index.markUser('u-ada');
    expect(index.countsOf('g-eng')).toEqual({ members: 4, users: 1, groups: 0, external: 3, wholeCustomer: false });
    expect(index.countsOf('g-all')).toEqual({ members: 3, users: 1, groups: 1, external: 0, wholeCustomer: true });
    expect(index.countsOf('g-new')).toEqual({ members: 0, users: 0, groups: 0, external: 0, wholeCustomer: false });
  });

  it('counts a user member external when the user listing never showed it (another domain of the customer)', () => {
    const index = build();
    expect(index.countsOf('g-eng').external).toBe(4);
  });
});
