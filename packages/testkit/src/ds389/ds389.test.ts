import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_LDIF } from '../slapd/index.js';
import { run } from '../slapd/exec.js';
import { start389Ds, type Ds389Peer } from './index.js';

const env = (peer: Ds389Peer) => ({ ...process.env, LDAPCONF: '/dev/null', LDAPTLS_CACERT: peer.caFile, LDAPTLS_REQCERT: 'demand' });
async function search(peer: Ds389Peer, filter: string, attrs: string[] = ['1.1'], extra: string[] = [], url = peer.url) {
  const r = await run('ldapsearch', ['-x', '-LLL', '-o', 'ldif-wrap=no', ...extra, '-H', url, '-D', peer.bindDn, '-w', peer.bindPassword, '-b', peer.baseDn, filter, ...attrs], { env: env(peer) });
  expect(r.stderr).toBe('');
  return r.stdout;
}
const dnCount = (ldif: string) => ldif.split('\n').filter((l) => /^dn::? /.test(l)).length;

describe('start389Ds with the sample directory (memberOf plugin off, as 389 ships)', () => {
  let peer: Ds389Peer;
  beforeAll(async () => {
    peer = await start389Ds({ ldif: [SAMPLE_LDIF] });
  }, 120_000);
  afterAll(() => peer?.stop());

  it('is a 389 Directory Server on free loopback ports', async () => {
    expect(peer.url).toBe(`ldap://127.0.0.1:${peer.port}`);
    expect(peer.port).not.toBe(peer.ldapsPort);
    const dse = await run('ldapsearch', ['-x', '-LLL', '-H', peer.url, '-s', 'base', '-b', '', 'vendorName', 'namingContexts'], { env: env(peer) });
    expect(dse.stdout).toContain('vendorName: 389 Project');
    expect(dse.stdout).toContain('namingContexts: dc=example,dc=test');
  });

  it('lets the reader read the sample over LDAP, LDAPS and StartTLS, with entryUUID and nsUniqueId', async () => {
    expect(dnCount(await search(peer, '(objectClass=organizationalUnit)'))).toBe(8);
    expect(dnCount(await search(peer, '(objectClass=inetOrgPerson)', ['1.1'], [], peer.ldapsUrl))).toBe(10);
    expect(dnCount(await search(peer, '(|(objectClass=groupOfNames)(objectClass=posixGroup))', ['1.1'], ['-ZZ']))).toBe(4);
    const bob = await search(peer, '(uid=bob)', ['entryUUID', 'nsUniqueId', 'memberOf']);
    expect(bob).toMatch(/^entryUUID: [0-9a-f-]{36}$/m);
    expect(bob).toMatch(/^nsUniqueId: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/m);
    expect(bob).not.toContain('memberOf');
  });

  it('writes as Directory Manager', async () => {
    const dn = 'uid=zoe,ou=Sales,ou=People,ou=Corp,dc=example,dc=test';
    await peer.add(`dn: ${dn}\nobjectClass: inetOrgPerson\nuid: zoe\ncn: Zoe Z\nsn: Z\n`);
    await peer.modify(`dn: ${dn}\nchangetype: modify\nreplace: nsAccountLock\nnsAccountLock: true\n`);
    expect(await search(peer, '(uid=zoe)', ['nsAccountLock'])).toContain('nsAccountLock: true');
    await peer.delete(dn);
    expect(dnCount(await search(peer, '(uid=zoe)'))).toBe(0);
  });

  it('stop() ends ns-slapd and removes its directory', async () => {
    const { pid, dir } = peer;
    await peer.stop();
    expect(existsSync(dir)).toBe(false);
    expect(() => process.kill(pid, 0)).toThrow();
    await peer.stop();
  });
});

describe('start389Ds options', () => {
  it('memberOf plugin on (nested groups flattened), entryUUID plugin off, no read ACI', async () => {
    const [withMemberOf, noAci] = await Promise.all([
      start389Ds({ ldif: [SAMPLE_LDIF], memberOf: true, entryUuid: false }),
      start389Ds({ ldif: [SAMPLE_LDIF], readAci: false }),
    ]);
    try {
      const bob = await search(withMemberOf, '(uid=bob)', ['memberOf', 'entryUUID', 'nsUniqueId']);
      expect(bob).toContain('memberOf: cn=engineering,ou=Groups,ou=Corp,dc=example,dc=test');
      expect(bob).toContain('memberOf: cn=all-staff,ou=Groups,ou=Corp,dc=example,dc=test'); // only through engineering
      expect(bob).not.toContain('entryUUID');
      expect(bob).toContain('nsUniqueId');
      expect(dnCount(await search(noAci, '(|(objectClass=inetOrgPerson)(objectClass=organizationalUnit)(objectClass=groupOfNames))'))).toBe(0);
    } finally {
      await Promise.all([withMemberOf.stop(), noAci.stop()]);
    }
  }, 180_000);
});
