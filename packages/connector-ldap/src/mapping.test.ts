import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { directoryNameOf, ldapConfigSchema, legacyScopeIdOf, scopeIdOf, scopeLabelOf, parseLdapUrl, DEFAULT_USER_FILTER } from './config.js';
import { parseDn } from './dn.js';
import { DnCache } from './dn-cache.js';
import type { LdapEntry } from './entry.js';
import { mapGroup, mapOu, mapUser, type MappingContext } from './mapping.js';
import { GroupIndex } from './membership.js';
import { activeDirectory, detectVendor, ds389, genericLdap, guidFromHex, openLdap } from './vendors.js';
import { parseCursor } from './cursor.js';
import { silentLogger } from '@elder-sync/core';
import connector from './index.js';

const BASE = 'dc=example,dc=test';
const entry = (dn: string, attrs: Record<string, string[]>): LdapEntry => ({
  dn,
  attrs: Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k.toLowerCase(), v])),
});
const ctxWith = (groups = new GroupIndex(), vendor = openLdap): MappingContext => ({ dns: new DnCache(parseDn(BASE)), server: 'ldap.example.test', vendor, groups });

describe('mapUser', () => {
  const bob = entry('uid=bob,ou=Engineering,ou=People,ou=Corp,dc=example,dc=test', {
    entryUUID: ['F82782AA-7CA4-1041-8E61-0FFB4086130A'],
    uid: ['bob'],
    cn: ['Bob Baker'],
    displayName: ['Bob B.'],
    mail: ['bob@example.test', 'robert.baker@example.test'],
    givenName: ['Bob'],
    sn: ['Baker'],
    employeeNumber: ['1002'],
    title: ['Software Engineer'],
  });

  it('maps a person with the full, stable attribute set', () => {
    const r = mapUser(bob, ctxWith())!;
    expect(r).toEqual({
      kind: 'user',
      externalId: 'f82782aa-7ca4-1041-8e61-0ffb4086130a',
      name: 'Bob B.',
      attributes: {
        ldap_dn: 'uid=bob,ou=Engineering,ou=People,ou=Corp,dc=example,dc=test',
        uid: 'bob',
        cn: 'Bob Baker',
        email: 'bob@example.test',
        first_name: 'Bob',
        last_name: 'Baker',
        display_name: 'Bob B.',
        employee_number: '1002',
        title: 'Software Engineer',
        is_active: true,
        ldap_server: 'ldap.example.test',
        kind: 'person',
      },
      organizationPath: ['Corp', 'People', 'Engineering'],
      relations: [],
    });
  });

  it('sets absent attributes to null, so a value removed in LDAP clears in Elder', () => {
    const r = mapUser(entry('uid=x,dc=example,dc=test', { entryUUID: ['u1'], uid: ['x'] }), ctxWith())!;
    expect(r.attributes).toMatchObject({ cn: null, email: null, title: null, display_name: null, employee_number: null });
    expect(Object.keys(r.attributes).sort()).toEqual(Object.keys(mapUser(bob, ctxWith())!.attributes).sort());
    expect(r.organizationPath).toEqual([]);
  });

  it('names a user by displayName, then cn, then uid, then mail', () => {
    const name = (attrs: Record<string, string[]>) => mapUser(entry('uid=x,dc=example,dc=test', { entryUUID: ['u'], ...attrs }), ctxWith())!.name;
    expect(name({ cn: ['C'], uid: ['U'], mail: ['m@x'] })).toBe('C');
    expect(name({ uid: ['U'], mail: ['m@x'] })).toBe('U');
    expect(name({ mail: ['m@x'] })).toBe('m@x');
  });

  it('skips an entry without the vendor id attribute', () => {
    expect(mapUser(entry('uid=x,dc=example,dc=test', { uid: ['x'] }), ctxWith())).toBeUndefined();
  });

  it('reads AD accounts: objectGUID, sAMAccountName and the disabled flag', () => {
    const ad = entry('CN=Jane Doe,OU=Staff,DC=example,DC=test', {
      objectGUID: ['2b4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f'],
      sAMAccountName: ['jdoe'],
      cn: ['Jane Doe'],
      userAccountControl: ['514'],
    });
    const r = mapUser(ad, ctxWith(new GroupIndex(), activeDirectory))!;
    expect(r.externalId).toBe('6f5e4d2b-8b7a-0d9c-1e2f-3a4b5c6d7e8f');
    expect(r.attributes).toMatchObject({ uid: 'jdoe', is_active: false });
    expect(r.organizationPath).toEqual(['Staff']);
    expect(activeDirectory.isActive(entry('cn=x', { userAccountControl: ['512'] }))).toBe(true);
  });
});

describe('memberships', () => {
  const build = () => {
    const groups = new GroupIndex();
    const eng = groups.addGroup('cn=engineering,ou=Groups,dc=example,dc=test', 'g-eng');
    groups.addGroup('cn=Sales\\2C EMEA,ou=Groups,dc=example,dc=test', 'g-sales');
    const dev = groups.addGroup('cn=developers,ou=Groups,dc=example,dc=test', 'g-dev');
    const uniq = groups.addGroup('cn=uniq,ou=Groups,dc=example,dc=test', 'g-uniq');
    groups.addMemberUid(dev, 'Bob');
    groups.addMemberDn(uniq, "UID=bob,ou=People,DC=example,DC=test#'0101'B");
    return { groups, eng };
  };

  it('resolves memberOf DNs in any spelling, memberUid and uniqueMember, sorted, without duplicates', () => {
    const { groups } = build();
    const r = mapUser(
      entry('uid=bob,ou=People,dc=example,dc=test', {
        entryUUID: ['u-bob'],
        uid: ['bob'],
        memberOf: ['CN=Sales\\, EMEA,OU=Groups,DC=example,DC=test', 'cn=engineering,ou=groups,dc=example,dc=test', 'cn=engineering,ou=Groups,dc=example,dc=test', 'cn=elsewhere,dc=other'],
      }),
      ctxWith(groups),
    )!;
    expect(r.relations).toEqual([
      { type: 'member_of', kind: 'group', externalId: 'g-dev' },
      { type: 'member_of', kind: 'group', externalId: 'g-eng' },
      { type: 'member_of', kind: 'group', externalId: 'g-sales' },
      { type: 'member_of', kind: 'group', externalId: 'g-uniq' },
    ]);
  });

  it('uses the groups\u2019 member lists when there is no memberOf (fallback), including nested groups', () => {
    const { groups, eng } = build();
    const all = groups.addGroup('cn=all,ou=Groups,dc=example,dc=test', 'g-all');
    groups.addMemberDn(all, 'cn=engineering,ou=Groups,dc=example,dc=test');
    groups.addMemberDn(eng, 'uid=alice,ou=People,dc=example,dc=test');
    const g = mapGroup(entry('cn=engineering,ou=Groups,dc=example,dc=test', { entryUUID: ['g-eng'], cn: ['engineering'], member: ['uid=alice,ou=People,dc=example,dc=test'] }), ctxWith(groups))!;
    expect(g.relations).toEqual([{ type: 'member_of', kind: 'group', externalId: 'g-all' }]);
    const alice = mapUser(entry('uid=alice,ou=People,dc=example,dc=test', { entryUUID: ['u-a'], uid: ['alice'] }), ctxWith(groups))!;
    expect(alice.relations).toEqual([{ type: 'member_of', kind: 'group', externalId: 'g-eng' }]);
  });

  it('never makes a group a member of itself', () => {
    const groups = new GroupIndex();
    const g = groups.addGroup('cn=loop,dc=example,dc=test', 'g-loop');
    groups.addMemberDn(g, 'cn=loop,dc=example,dc=test');
    expect(mapGroup(entry('cn=loop,dc=example,dc=test', { entryUUID: ['g-loop'], cn: ['loop'] }), ctxWith(groups))!.relations).toEqual([]);
  });
});

describe('mapGroup and mapOu', () => {
  it('maps a group with its member count across member kinds', () => {
    const g = mapGroup(
      entry('cn=Sales\\2C EMEA,ou=Groups,ou=Corp,dc=example,dc=test', {
        entryUUID: ['g1'],
        cn: ['Sales, EMEA'],
        description: ['EMEA'],
        member: ['uid=a,dc=example,dc=test', 'uid=b,dc=example,dc=test'],
        memberUid: ['c'],
      }),
      ctxWith(),
    )!;
    expect(g).toEqual({
      kind: 'group',
      externalId: 'g1',
      name: 'Sales, EMEA',
      attributes: { ldap_dn: 'cn=Sales\\2C EMEA,ou=Groups,ou=Corp,dc=example,dc=test', cn: 'Sales, EMEA', group_name: 'Sales, EMEA', member_count: 3, description: 'EMEA', kind: 'group' },
      organizationPath: ['Corp', 'Groups'],
      relations: [],
    });
  });

  it('maps an OU to an organization named by its RDN below its parent OUs', () => {
    const ou = mapOu(entry('ou=Platform,ou=Engineering,ou=Corp,dc=example,dc=test', { entryUUID: ['o1'], ou: ['Platform', 'Plattform'] }), ctxWith())!;
    expect(ou).toMatchObject({ kind: 'ou', externalId: 'o1', name: 'Platform', organizationPath: ['Corp', 'Engineering'] });
  });
});

describe('vendors', () => {
  it('detects Active Directory, OpenLDAP and others from the root DSE', () => {
    expect(detectVendor(entry('', { supportedCapabilities: ['1.2.840.113556.1.4.800'] }))).toBe(activeDirectory);
    expect(detectVendor(entry('', { domainFunctionality: ['7'] }))).toBe(activeDirectory);
    expect(detectVendor(entry('', { objectClass: ['top', 'OpenLDAProotDSE'] }))).toBe(openLdap);
    expect(detectVendor(entry('', { vendorName: ['389 Project'] }))).toBe(ds389);
    expect(detectVendor(entry('', { vendorName: ['Apache Software Foundation'] }))).toBe(genericLdap);
  });

  it('keys 389-DS entries by entryUUID, else nsUniqueId, and reads nsAccountLock as disabled', () => {
    const uuid = '4f0b7c3e-8a1d-4b7e-9a5c-2d6e1f0a9b8c';
    const nsUniqueId = '66446001-1DD211B2-800000EC-00000000';
    expect(ds389.externalIdOf(entry('uid=a', { entryUUID: [uuid.toUpperCase()], nsUniqueId: [nsUniqueId] }))).toBe(uuid);
    expect(ds389.externalIdOf(entry('uid=a', { nsUniqueId: [nsUniqueId] }))).toBe(nsUniqueId.toLowerCase());
    expect(ds389.externalIdOf(entry('uid=a', {}))).toBeUndefined();
    expect(openLdap.externalIdOf(entry('uid=a', { nsUniqueId: [nsUniqueId] }))).toBeUndefined();
    expect(ds389.isActive(entry('uid=a', { nsAccountLock: ['TRUE'] }))).toBe(false);
    expect(ds389.isActive(entry('uid=a', { nsAccountLock: ['false'] }))).toBe(true);
    expect(ds389.isActive(entry('uid=a', {}))).toBe(true);
  });

  it('formats objectGUID bytes as AD does (little-endian first three groups)', () => {
    // bytes 00 01 02 ... 0f
    expect(guidFromHex('000102030405060708090a0b0c0d0e0f')).toBe('03020100-0504-0706-0809-0a0b0c0d0e0f');
    expect(guidFromHex('zz')).toBeUndefined();
  });

  it('builds exact "changed since" filters, escaping the cursor value', () => {
    expect(openLdap.cursor.changedSince('20260101000000.000000Z#000000#000#000000')).toBe(
      '(&(entryCSN>=20260101000000.000000Z#000000#000#000000)(!(entryCSN=20260101000000.000000Z#000000#000#000000)))',
    );
    expect(genericLdap.cursor.changedSince('2026*)(x')).toBe('(modifyTimestamp>=2026\\2a\\29\\28x)');
  });

  it('ignores a cursor taken on another attribute', () => {
    expect(parseCursor({ v: 1, attribute: 'modifyTimestamp', value: '2026Z' }, 'entryCSN')).toBeUndefined();
    expect(parseCursor({ v: 1, attribute: 'entryCSN', value: 'x' }, 'entryCSN')).toEqual({ v: 1, attribute: 'entryCSN', value: 'x' });
    expect(parseCursor(null, 'entryCSN')).toBeUndefined();
  });
});

describe('config', () => {
  const minimal = { url: 'ldaps://LDAP.example.com', bindDn: 'cn=reader,dc=example,dc=com', bindPassword: 'pw-secret', baseDn: 'DC=Example, DC=com' };

  it('fills defaults', () => {
    const c = ldapConfigSchema.parse(minimal);
    expect(c).toMatchObject({ startTls: false, tlsVerify: true, pageSize: 500, timeoutMs: 30000, kinds: ['ou', 'group', 'user'], membership: 'auto' });
    expect(c.userFilter).toBeUndefined();
    expect(openLdap.defaultUserFilter).toBe(DEFAULT_USER_FILTER);
  });

  it('marks bindPassword secret', () => {
    const json = z.toJSONSchema(ldapConfigSchema, { io: 'input' }) as { properties: Record<string, Record<string, unknown>> };
    expect(json.properties['bindPassword']).toMatchObject({ type: 'string', secret: true, writeOnly: true });
    expect(json.properties['bindDn']).not.toHaveProperty('secret');
  });

  it('names the path and the fix for bad values', () => {
    const r = ldapConfigSchema.safeParse({ ...minimal, url: 'https://x', baseDn: 'not a dn', userFilter: 'objectClass=person', startTls: true });
    expect(r.success).toBe(false);
    const issues = r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^url: .*ldap:\/\/host/),
        expect.stringMatching(/^baseDn: invalid DN/),
        expect.stringMatching(/^userFilter: userFilter: must be an LDAP filter in parentheses/),
      ]),
    );
    const tls = ldapConfigSchema.safeParse({ ...minimal, startTls: true });
    expect(tls.error!.issues.map((i) => i.path.join('.'))).toEqual(['startTls']);
  });

  it('names the scope by what the directory is (its base DN), not how it is reached', () => {
    expect(scopeIdOf(minimal)).toBe('dc=example,dc=com');
    for (const url of ['ldap://ldap.example.com', 'ldaps://dc2.example.com:3636', 'ldap://127.0.0.1:3389']) {
      expect(scopeIdOf({ ...minimal, url })).toBe(scopeIdOf(minimal));
    }
    expect(legacyScopeIdOf(minimal)).toBe('ldap.example.com:636/dc=example,dc=com');
    expect(connector.scopes(ldapConfigSchema.parse(minimal), { log: silentLogger, signal: new AbortController().signal })).toEqual([
      { id: 'dc=example,dc=com', label: 'ldaps://LDAP.example.com:636 DC=Example, DC=com', formerIds: ['ldap.example.com:636/dc=example,dc=com'] },
    ]);
    expect(scopeLabelOf(minimal)).toBe('ldaps://LDAP.example.com:636 DC=Example, DC=com');
    expect(parseLdapUrl('ldap://[::1]:3890')).toEqual({ scheme: 'ldap', host: '::1', port: 3890 });
    expect(() => parseLdapUrl('ldap://user:pw@host')).toThrow(/no path, query or credentials/);
  });

  it('names the directory (ldap_server) by its naming context, not by the host connected to', () => {
    expect(directoryNameOf('DC=Example,DC=com')).toBe('example.com');
    expect(directoryNameOf('o=Acme Corp')).toBe('o=acme corp');
    expect(directoryNameOf('ou=People,dc=example,dc=com')).toBe('ou=people,dc=example,dc=com');
  });
});
