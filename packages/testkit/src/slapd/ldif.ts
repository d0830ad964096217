import { createHash, randomBytes } from 'node:crypto';

/** The suffix the fixtures are written for; `startSlapd({ suffix })` rewrites it. */
export const FIXTURE_SUFFIX = 'dc=example,dc=test';

/** `{SSHA}` userPassword value (what `slappasswd -h {SSHA}` produces), computed without the binary. */
export function sshaHash(password: string): string {
  const salt = randomBytes(8);
  const digest = createHash('sha1').update(password, 'utf8').update(salt).digest();
  return `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}`;
}

/** Rewrites the fixture suffix in LDIF text; case-insensitive because DNs are. */
export function rewriteSuffix(ldif: string, suffix: string): string {
  if (suffix.toLowerCase() === FIXTURE_SUFFIX) return ldif;
  return ldif.replace(/dc=example,dc=test/gi, suffix);
}

/** The suffix entry and the read-only `cn=reader` bind account. */
export function baseLdif(suffix: string, readerPassword: string): string {
  const first = suffix.split(',')[0] ?? '';
  const eq = first.indexOf('=');
  const attr = first.slice(0, eq).trim().toLowerCase();
  const value = first.slice(eq + 1).trim();
  let top: string;
  if (attr === 'dc') top = `objectClass: dcObject\nobjectClass: organization\ndc: ${value}\no: ${value}\n`;
  else if (attr === 'o') top = `objectClass: organization\no: ${value}\n`;
  else throw new Error(`slapd suffix must start with dc= or o=, got "${suffix}"`);
  return (
    `dn: ${suffix}\n${top}\n` +
    `dn: cn=reader,${suffix}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: reader\n` +
    `description: read-only bind account for connector tests\nuserPassword: ${sshaHash(readerPassword)}\n\n`
  );
}

/**
 * LDIF for `ou=<ou>,<suffix>` and `n` inetOrgPerson users in it (`uid=<ou>00001` ...), for
 * benchmarks and paging tests. Deterministic: the same arguments give the same text.
 */
export function generateUsersLdif(n: number, ou = 'bulk', suffix = FIXTURE_SUFFIX): string {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`generateUsersLdif: n must be a non-negative integer, got ${n}`);
  if (!/^[A-Za-z0-9-]+$/.test(ou)) throw new RangeError(`generateUsersLdif: ou must be letters, digits or dashes, got "${ou}"`);
  const parts: string[] = [`dn: ou=${ou},${suffix}\nobjectClass: organizationalUnit\nou: ${ou}\n\n`];
  for (let i = 1; i <= n; i++) {
    const uid = `${ou}${String(i).padStart(5, '0')}`;
    parts.push(
      `dn: uid=${uid},ou=${ou},${suffix}\nobjectClass: inetOrgPerson\nuid: ${uid}\ncn: Bulk User ${i}\nsn: User${i}\n` +
        `givenName: Bulk\nmail: ${uid}@example.test\nemployeeNumber: ${100000 + i}\n\n`,
    );
  }
  return parts.join('');
}
