import { describe, expect, it } from 'vitest';
import { escapeDnValue, isWithin, normalizeDn, organizationPathOf, parseDn } from './dn.js';
import { LdapError } from './errors.js';

describe('parseDn', () => {
  it('splits RDNs leftmost first and keeps values unescaped', () => {
    expect(parseDn('uid=bob,ou=People,dc=example,dc=test')).toEqual([
      [{ type: 'uid', value: 'bob' }],
      [{ type: 'ou', value: 'People' }],
      [{ type: 'dc', value: 'example' }],
      [{ type: 'dc', value: 'test' }],
    ]);
  });

  it('reads an escaped comma written as \\, or as \\2C', () => {
    expect(parseDn('cn=Sales\\, EMEA,ou=Groups')[0]).toEqual([{ type: 'cn', value: 'Sales, EMEA' }]);
    expect(parseDn('cn=Sales\\2C EMEA,ou=Groups')[0]).toEqual([{ type: 'cn', value: 'Sales, EMEA' }]);
  });

  it('decodes hex-escaped UTF-8 bytes and accepts raw UTF-8', () => {
    expect(parseDn('cn=Iv\\C3\\A1n N\\C3\\BA\\C3\\B1ez,dc=x')[0]![0]!.value).toBe('Iván Núñez');
    expect(parseDn('cn=Iván Núñez,dc=x')[0]![0]!.value).toBe('Iván Núñez');
  });

  it('keeps multi-valued RDNs together', () => {
    expect(parseDn('cn=a+uid=b,dc=x')[0]).toEqual([
      { type: 'cn', value: 'a' },
      { type: 'uid', value: 'b' },
    ]);
  });

  it('drops insignificant spaces around separators but keeps escaped ones', () => {
    expect(parseDn(' cn = Bob , dc=x')[0]).toEqual([{ type: 'cn', value: 'Bob' }]);
    expect(parseDn('cn=Bob\\ ,dc=x')[0]).toEqual([{ type: 'cn', value: 'Bob ' }]);
  });

  it('reads quoted (RFC 2253) and hex (#...) values', () => {
    expect(parseDn('cn="a, b",dc=x')[0]).toEqual([{ type: 'cn', value: 'a, b' }]);
    expect(parseDn('cn=#04024869,dc=x')[0]).toEqual([{ type: 'cn', value: '#04024869' }]);
  });

  it('treats the empty string as the root DSE', () => {
    expect(parseDn('')).toEqual([]);
  });

  it.each(['cn', 'cn=a,', 'cn=a\\zz', '=a', 'cn=a<b', 'c n=a'])('rejects %j with a typed error', (bad) => {
    expect(() => parseDn(bad)).toThrow(LdapError);
    try {
      parseDn(bad);
    } catch (error) {
      expect((error as LdapError).code).toBe('LDAP_INVALID_DN');
    }
  });
});

describe('normalizeDn', () => {
  it('makes the spellings of one DN equal', () => {
    const forms = [
      'cn=Sales\\2C EMEA,ou=Groups,ou=Corp,dc=example,dc=test',
      'CN=Sales\\, EMEA,OU=Groups,OU=Corp,DC=example,DC=test',
      'cn=sales\\2c emea, ou=groups, ou=corp, dc=EXAMPLE, dc=test',
      '2.5.4.3=Sales\\2C  EMEA,ou=Groups,ou=Corp,0.9.2342.19200300.100.1.25=example,dc=test',
    ];
    const normal = forms.map(normalizeDn);
    expect(new Set(normal).size).toBe(1);
    expect(normal[0]).toBe('cn=sales\\, emea,ou=groups,ou=corp,dc=example,dc=test');
  });

  it('orders the AVAs of a multi-valued RDN', () => {
    expect(normalizeDn('uid=b+cn=a,dc=x')).toBe(normalizeDn('cn=a+uid=b,dc=x'));
  });

  it('normalises Unicode (NFC) and case of non-ASCII values', () => {
    expect(normalizeDn('cn=IVA\u0301N,dc=x')).toBe(normalizeDn('cn=iván,dc=x'));
  });

  it('keeps different DNs different', () => {
    expect(normalizeDn('cn=a\\,b,dc=x')).not.toBe(normalizeDn('cn=a,cn=b,dc=x'));
  });
});

describe('escapeDnValue', () => {
  it('escapes RFC 4514 specials and leading/trailing spaces, and round-trips through parseDn', () => {
    expect(escapeDnValue('#x')).toBe('\\#x');
    const raw = ' #a,b+c"d\\e<f>g;h ';
    const escaped = escapeDnValue(raw);
    expect(escaped).toBe('\\ #a\\,b\\+c\\"d\\\\e\\<f\\>g\\;h\\ ');
    expect(parseDn(`cn=${escaped},dc=x`)[0]![0]!.value).toBe(raw);
  });
});

describe('organizationPathOf', () => {
  const base = parseDn('dc=example,dc=test');

  it('lists the OUs between the base and the entry, outermost first', () => {
    expect(organizationPathOf(parseDn('uid=carol,ou=Platform,ou=Engineering,ou=People,ou=Corp,dc=example,dc=test'), base)).toEqual([
      'Corp',
      'People',
      'Engineering',
      'Platform',
    ]);
  });

  it('does not count the entry itself, so an OU hangs below its parent OUs', () => {
    expect(organizationPathOf(parseDn('ou=People,ou=Corp,dc=example,dc=test'), base)).toEqual(['Corp']);
    expect(organizationPathOf(parseDn('ou=Corp,dc=example,dc=test'), base)).toEqual([]);
  });

  it('puts entries directly below the base at the root', () => {
    expect(organizationPathOf(parseDn('cn=reader,dc=example,dc=test'), base)).toEqual([]);
  });

  it('skips non-OU containers such as AD CN=Users', () => {
    const ad = parseDn('DC=corp,DC=example');
    expect(organizationPathOf(parseDn('CN=Jane Doe,CN=Users,DC=corp,DC=example'), ad)).toEqual([]);
    expect(organizationPathOf(parseDn('CN=Jane,OU=Staff,CN=Builtin,OU=HQ,DC=corp,DC=example'), ad)).toEqual(['HQ', 'Staff']);
  });

  it('matches the base case-insensitively and unescapes OU names', () => {
    expect(organizationPathOf(parseDn('uid=x,OU=R\\2C D,DC=EXAMPLE,DC=TEST'), base)).toEqual(['R, D']);
  });

  it('gives [] for an entry outside the base', () => {
    expect(organizationPathOf(parseDn('uid=x,ou=a,dc=other'), base)).toEqual([]);
    expect(isWithin(parseDn('uid=x,ou=a,dc=other'), base)).toBe(false);
  });
});
