import { existsSync } from 'node:fs';
import { connect } from 'node:tls';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from './exec.js';
import { generateUsersLdif, SAMPLE_LDIF, startSlapd, type SlapdPeer } from './index.js';

// Not LDAPNOINIT: it would also make libldap ignore the LDAPTLS_* variables these tests set.
const env = { ...process.env, LDAPCONF: '/dev/null' };

async function whoami(url: string, dn: string, password: string, extraEnv: NodeJS.ProcessEnv = {}, args: string[] = []) {
  return run('ldapwhoami', ['-x', '-H', url, '-D', dn, '-w', password, ...args], { env: { ...env, ...extraEnv } });
}

async function search(peer: SlapdPeer, filter: string, attrs: string[] = ['1.1']) {
  const r = await run(
    'ldapsearch',
    ['-x', '-LLL', '-H', peer.url, '-D', peer.bindDn, '-w', peer.bindPassword, '-b', peer.baseDn, '-E', 'pr=1000/noprompt', filter, ...attrs],
    { env },
  );
  expect(r.stderr).toBe('');
  return r.stdout;
}

const dnCount = (ldif: string) => ldif.split('\n').filter((l) => l.startsWith('dn:') || l.startsWith('dn::')).length;

describe('startSlapd with the sample directory', () => {
  let peer: SlapdPeer;
  beforeAll(async () => {
    peer = await startSlapd({ ldif: [SAMPLE_LDIF] });
  });
  afterAll(async () => {
    await peer?.stop();
  });

  it('serves LDAP and LDAPS on free loopback ports', () => {
    expect(peer.url).toBe(`ldap://127.0.0.1:${peer.port}`);
    expect(peer.ldapsUrl).toBe(`ldaps://127.0.0.1:${peer.ldapsPort}`);
    expect(peer.port).not.toBe(peer.ldapsPort);
    expect(peer.bindDn).toBe('cn=reader,dc=example,dc=test');
  });

  it('lets the reader bind over plain LDAP', async () => {
    const r = await whoami(peer.url, peer.bindDn, peer.bindPassword);
    expect(r.stdout.trim()).toBe('dn:cn=reader,dc=example,dc=test');
  });

  it('rejects a wrong reader password', async () => {
    const r = await whoami(peer.url, peer.bindDn, 'not-the-password');
    expect(r.code).toBe(49);
  });

  it('lets the reader bind over LDAPS when the CA file is trusted, and not otherwise', async () => {
    const ok = await whoami(peer.ldapsUrl, peer.bindDn, peer.bindPassword, { LDAPTLS_CACERT: peer.caFile, LDAPTLS_REQCERT: 'demand' });
    expect(ok.stdout.trim()).toBe('dn:cn=reader,dc=example,dc=test');
    const untrusted = await whoami(peer.ldapsUrl, peer.bindDn, peer.bindPassword, { LDAPTLS_CACERT: '/dev/null', LDAPTLS_REQCERT: 'demand' });
    expect(untrusted.code).not.toBe(0);
  });

  it('lets the reader bind with StartTLS on the plain port', async () => {
    const r = await whoami(peer.url, peer.bindDn, peer.bindPassword, { LDAPTLS_CACERT: peer.caFile, LDAPTLS_REQCERT: 'demand' }, ['-ZZ']);
    expect(r.stdout.trim()).toBe('dn:cn=reader,dc=example,dc=test');
  });

  it('presents a certificate Node verifies for 127.0.0.1 with the CA file', async () => {
    const ca = await readFile(peer.caFile);
    const authorized = await new Promise<boolean>((resolve, reject) => {
      const socket = connect({ host: peer.host, port: peer.ldapsPort, ca }, () => {
        resolve(socket.authorized);
        socket.end();
      });
      socket.once('error', reject);
    });
    expect(authorized).toBe(true);
  });

  it('loaded the sample online, so memberOf is filled (8 OUs, 10 people, 4 groups)', async () => {
    expect(dnCount(await search(peer, '(objectClass=organizationalUnit)'))).toBe(8);
    expect(dnCount(await search(peer, '(objectClass=inetOrgPerson)'))).toBe(10);
    expect(dnCount(await search(peer, '(|(objectClass=groupOfNames)(objectClass=posixGroup))'))).toBe(4);
    const bob = await search(peer, '(uid=bob)', ['memberOf']);
    expect(bob).toContain('memberOf: cn=engineering,ou=Groups,ou=Corp,dc=example,dc=test');
  });

  it('adds, modifies and deletes entries as the admin', async () => {
    await peer.add('dn: uid=zoe,ou=Sales,ou=People,ou=Corp,dc=example,dc=test\nobjectClass: inetOrgPerson\nuid: zoe\ncn: Zoe Z\nsn: Z\n');
    await peer.modify('dn: uid=zoe,ou=Sales,ou=People,ou=Corp,dc=example,dc=test\nchangetype: modify\nreplace: title\ntitle: Rep\n');
    expect(await search(peer, '(uid=zoe)', ['title'])).toContain('title: Rep');
    await peer.delete('uid=zoe,ou=Sales,ou=People,ou=Corp,dc=example,dc=test');
    expect(dnCount(await search(peer, '(uid=zoe)'))).toBe(0);
  });

  it('reports a failed admin write with the tool output', async () => {
    await expect(peer.delete('uid=nobody,dc=example,dc=test')).rejects.toThrow(/ldapdelete .* failed.*No such object/s);
  });
});

describe('startSlapd lifecycle and options', () => {
  it('stop() ends slapd and removes its temp dir', async () => {
    const peer = await startSlapd();
    expect(existsSync(peer.dir)).toBe(true);
    await peer.stop();
    expect(existsSync(peer.dir)).toBe(false);
    expect(() => process.kill(peer.pid, 0)).toThrow();
    const r = await whoami(peer.url, peer.bindDn, peer.bindPassword);
    expect(r.code).not.toBe(0);
    await peer.stop(); // idempotent
  });

  it('honours a custom suffix, rewriting the fixture, and can run without memberOf', async () => {
    const peer = await startSlapd({ suffix: 'dc=corp,dc=local', ldif: [SAMPLE_LDIF], memberOf: false });
    try {
      expect(peer.baseDn).toBe('dc=corp,dc=local');
      expect(dnCount(await search(peer, '(objectClass=inetOrgPerson)'))).toBe(10);
      expect(await search(peer, '(uid=bob)', ['memberOf'])).not.toContain('memberOf');
    } finally {
      await peer.stop();
    }
  });
});

describe('generateUsersLdif', () => {
  it('makes one OU and n numbered users', () => {
    const ldif = generateUsersLdif(3, 'bench');
    expect(dnCount(ldif)).toBe(4);
    expect(ldif).toContain('dn: ou=bench,dc=example,dc=test\n');
    expect(ldif).toContain('dn: uid=bench00003,ou=bench,dc=example,dc=test\n');
    expect(generateUsersLdif(3, 'bench')).toBe(ldif);
  });

  it('loads into slapd and pages past the size limit', async () => {
    const peer = await startSlapd({ ldif: [], sizeLimit: 50 });
    try {
      await peer.add(generateUsersLdif(120));
      expect(dnCount(await search(peer, '(objectClass=inetOrgPerson)'))).toBe(120);
    } finally {
      await peer.stop();
    }
  });
});
