import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../slapd/exec.js';
import { SAMPLE_AD_LDIF, startSambaAd, type SambaAdPeer } from './index.js';

// Not LDAPNOINIT: it would also make libldap ignore the LDAPTLS_* variables these tests set.
const env = (peer: SambaAdPeer) => ({ ...process.env, LDAPCONF: '/dev/null', LDAPTLS_CACERT: peer.caFile, LDAPTLS_REQCERT: 'demand' });

async function search(peer: SambaAdPeer, url: string, filter: string, attrs: string[] = ['1.1'], base = peer.baseDn) {
  return run('ldapsearch', ['-x', '-LLL', '-o', 'ldif-wrap=no', '-H', url, '-D', peer.bindDn, '-w', peer.bindPassword, '-b', base, '-E', 'pr=1000/noprompt', filter, ...attrs], { env: env(peer) });
}
const dnCount = (ldif: string) => ldif.split('\n').filter((l) => /^dn::? /.test(l)).length;

describe('startSambaAd with the AD sample directory', () => {
  let peer: SambaAdPeer;
  beforeAll(async () => {
    peer = await startSambaAd({ ldif: [SAMPLE_AD_LDIF] });
  }, 120_000);
  afterAll(() => peer?.stop());

  it('is an Active Directory domain controller on its own loopback address', async () => {
    expect(peer.host).toMatch(/^127\.\d+\.\d+\.\d+$/);
    expect(peer.url).toBe(`ldap://${peer.host}:389`);
    const dse = await run('ldapsearch', ['-x', '-LLL', '-H', peer.url, '-s', 'base', '-b', '', 'defaultNamingContext', 'supportedCapabilities'], { env: env(peer) });
    expect(dse.stdout).toContain('defaultNamingContext: DC=example,DC=test');
    expect(dse.stdout).toContain('supportedCapabilities: 1.2.840.113556.1.4.800'); // LDAP_CAP_ACTIVE_DIRECTORY_OID
  });

  it('lets the reader search over plain LDAP, LDAPS and StartTLS', async () => {
    for (const [url, extra] of [[peer.url, []], [peer.ldapsUrl, []], [peer.url, ['-ZZ']]] as const) {
      const r = await run('ldapsearch', ['-x', '-LLL', ...extra, '-H', url, '-D', peer.bindDn, '-w', peer.bindPassword, '-b', peer.baseDn, '-s', 'base', '1.1'], { env: env(peer) });
      expect(r.stderr).toBe('');
      expect(r.stdout).toContain('dn: DC=example,DC=test');
    }
  });

  it('loaded 8 OUs, 10 people (one disabled) and 4 groups with nested membership', async () => {
    // 8 sample OUs and AD's own OU=Domain Controllers
    expect(dnCount((await search(peer, peer.url, '(objectClass=organizationalUnit)')).stdout)).toBe(9);
    const corp = `OU=Corp,${peer.baseDn}`;
    expect(dnCount((await search(peer, peer.url, '(&(objectCategory=person)(objectClass=user))', ['1.1'], corp)).stdout)).toBe(10);
    expect(dnCount((await search(peer, peer.url, '(objectClass=group)', ['1.1'], corp)).stdout)).toBe(4);
    const judy = (await search(peer, peer.url, '(sAMAccountName=judy)', ['userAccountControl'])).stdout;
    expect(judy).toContain('userAccountControl: 546');
    const engineering = (await search(peer, peer.url, '(sAMAccountName=engineering)', ['memberOf'])).stdout;
    expect(engineering).toContain('memberOf: CN=all-staff,OU=Groups,OU=Corp,DC=example,DC=test');
    const ivan = (await search(peer, peer.url, '(sAMAccountName=ivan)', ['cn'])).stdout;
    expect(ivan).toMatch(/^cn:: /m); // UTF-8 name, base64 in LDIF
  });

  it('writes as the Administrator', async () => {
    const dn = 'CN=Zoe Z,OU=Sales,OU=People,OU=Corp,DC=example,DC=test';
    await peer.add(`dn: ${dn}\nobjectClass: user\nsAMAccountName: zoe\n`);
    await peer.modify(`dn: ${dn}\nchangetype: modify\nreplace: title\ntitle: Rep\n`);
    expect((await search(peer, peer.url, '(sAMAccountName=zoe)', ['title'])).stdout).toContain('title: Rep');
    await peer.delete(dn);
    expect(dnCount((await search(peer, peer.url, '(sAMAccountName=zoe)')).stdout)).toBe(0);
  });

  it('can require strong authentication: simple binds over plain LDAP refused, over LDAPS accepted', async () => {
    await peer.setRequireStrongAuth(true);
    try {
      const plain = await run('ldapsearch', ['-x', '-H', peer.url, '-D', peer.bindDn, '-w', peer.bindPassword, '-b', peer.baseDn, '-s', 'base', '1.1'], { env: env(peer) });
      expect(plain.code).not.toBe(0);
      expect(plain.stderr).toMatch(/Strong\(er\) authentication required|Transport encryption required/i);
      const tls = await run('ldapsearch', ['-x', '-H', peer.ldapsUrl, '-D', peer.bindDn, '-w', peer.bindPassword, '-b', peer.baseDn, '-s', 'base', '1.1'], { env: env(peer) });
      expect(tls.code).toBe(0);
    } finally {
      await peer.setRequireStrongAuth(false);
    }
    expect((await search(peer, peer.url, '(sAMAccountName=judy)')).code).toBe(0);
  });

  it('stop() ends the DC and removes its directory', async () => {
    const { pid, dir } = peer;
    await peer.stop();
    expect(existsSync(dir)).toBe(false);
    expect(() => process.kill(pid, 0)).toThrow();
    await peer.stop(); // idempotent
  });
});
