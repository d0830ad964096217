import { describe, expect, it } from 'vitest';
import { normalizeDn, organizationPathOf, parseDn } from './dn.js';
import { DnCache } from './dn-cache.js';
import { LdapError } from './errors.js';

/** What the uncached functions answer for `dn`: the path and normal form, or the error they throw. */
function uncached(dn: string, base: string): { path: string[]; normal: string } | { error: string; code: string } {
  try {
    return { path: organizationPathOf(parseDn(dn), parseDn(base)), normal: normalizeDn(dn) };
  } catch (error) {
    return { error: (error as LdapError).message, code: (error as LdapError).code };
  }
}

function cached(cache: DnCache, dn: string): { path: string[]; normal: string } | { error: string; code: string } {
  try {
    return { path: cache.organizationPath(dn), normal: cache.normalize(dn) };
  } catch (error) {
    expect(error).toBeInstanceOf(LdapError);
    return { error: (error as LdapError).message, code: (error as LdapError).code };
  }
}

/** Siblings share a parent, so the second of each pair is answered from the cache. */
const DNS = [
  'uid=carol,ou=Platform,ou=Engineering,ou=People,ou=Corp,dc=example,dc=test',
  'uid=dave,ou=Platform,ou=Engineering,ou=People,ou=Corp,dc=example,dc=test',
  // Escapes in the entry's own RDN and in the parent; hex-escaped UTF-8; raw UTF-8.
  'cn=Sales\\2C EMEA,ou=R\\2C D,ou=Corp,dc=example,dc=test',
  'cn=Sales\\, APAC,ou=R\\2C D,ou=Corp,dc=example,dc=test',
  'cn=Iv\\C3\\A1n,ou=Espa\\C3\\B1a,dc=example,dc=test',
  'cn=Iván,ou=Espa\\C3\\B1a,dc=example,dc=test',
  // A separator escaped, quoted or inside a hex value is not where the parent starts (a real
  // ou=fake container is cached first, so splitting at the escaped comma would find it).
  'uid=x,ou=fake,ou=Real,dc=example,dc=test',
  'cn=a\\,ou=fake,ou=Real,dc=example,dc=test',
  'uid=y,ou=fake\\,ou=Real,dc=example,dc=test',
  'cn="b, ou=fake",ou=Real,dc=example,dc=test',
  'cn=#04024869,ou=Real,dc=example,dc=test',
  // Multi-valued RDNs: the entry's own, and a multi-valued ou container (not an organization).
  'cn=a+uid=b,ou=Real,dc=example,dc=test',
  'uid=b+cn=a,ou=Real,dc=example,dc=test',
  'uid=x,ou=Multi+l=Berlin,ou=Real,dc=example,dc=test',
  // Non-ou containers, other spellings of the base, OIDs, spaces, `;` separators.
  'CN=Jane,CN=Users,DC=example,DC=test',
  'CN=Jane,OU=Staff,CN=Builtin,OU=HQ,DC=EXAMPLE,DC=TEST',
  '2.5.4.3=Jane,2.5.4.11=Staff,0.9.2342.19200300.100.1.25=example,dc=test',
  'uid=s , ou=Spaced Out ,  dc=example , dc=test',
  'uid=t;ou=Semi;dc=example;dc=test',
  // The base itself, its parent, a single RDN, entries outside the base, the root DSE.
  'dc=example,dc=test',
  'dc=test',
  'cn=lonely',
  'uid=x,ou=a,dc=other',
  'uid=y,ou=a,dc=other',
  '',
  '   ',
  // Malformed: own RDN bad below a parent already cached; parent bad; trailing separator.
  'cn=a\\zz,ou=Real,dc=example,dc=test',
  'c n=a,ou=Real,dc=example,dc=test',
  'cn=a<b,ou=Real,dc=example,dc=test',
  'uid=z,ou=Bad\\zz,dc=example,dc=test',
  'uid=z2,ou=Bad\\zz,dc=example,dc=test',
  'uid=z,ou=Real,dc=example,dc=test,',
  'uid=z,',
  'cn=a+,ou=Real,dc=example,dc=test',
];

describe('DnCache', () => {
  it.each(['dc=example,dc=test', 'DC=Example, DC=Test', 'ou=Corp,dc=example,dc=test', ''])(
    'answers exactly as organizationPathOf and normalizeDn do (base %j), first time and from the cache',
    (base) => {
      const cache = new DnCache(parseDn(base));
      expect(DNS.filter((dn) => 'error' in uncached(dn, base)).length).toBeGreaterThan(5);
      for (let round = 0; round < 2; round++) {
        for (const dn of round === 0 ? DNS : [...DNS].reverse()) expect(cached(cache, dn), dn).toEqual(uncached(dn, base));
      }
    },
  );

  it('parses each parent once: siblings share it', () => {
    const cache = new DnCache(parseDn('dc=example,dc=test'));
    for (let i = 0; i < 100; i++) cache.organizationPath(`uid=u${i},ou=People,dc=example,dc=test`);
    cache.organizationPath('uid=x,ou=Groups,dc=example,dc=test');
    expect(cache.size).toBe(2);
  });

  it('stays within its bound and still answers the same', () => {
    const cache = new DnCache(parseDn('dc=example,dc=test'), 3);
    for (let i = 0; i < 50; i++) {
      const dn = `uid=u${i},ou=Team ${i % 7},ou=People,dc=example,dc=test`;
      expect(cache.organizationPath(dn)).toEqual(organizationPathOf(parseDn(dn), parseDn('dc=example,dc=test')));
      expect(cache.normalize(dn)).toBe(normalizeDn(dn));
      expect(cache.size).toBeLessThanOrEqual(3);
    }
  });

  it('hands out a fresh path array each time, so a caller changing one changes no other record', () => {
    const cache = new DnCache(parseDn('dc=example,dc=test'));
    const first = cache.organizationPath('uid=a,ou=People,dc=example,dc=test');
    first.push('changed');
    expect(cache.organizationPath('uid=b,ou=People,dc=example,dc=test')).toEqual(['People']);
  });
});
