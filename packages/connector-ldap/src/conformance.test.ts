/**
 * The LDAP connector passes the same conformance suite a third-party connector is held to
 * (@elder-sync/testkit/conformance), against each directory server it supports: a real slapd, a
 * Samba AD domain controller and a 389-DS instance, each loaded with the sample directory.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DIRECTORY_VENDORS, sampleBaseDn, sampleUserDn, startSampleDirectory, type DirectoryPeer } from '@elder-sync/testkit';
import { describeConnector } from '@elder-sync/testkit/conformance';
import connector from './index.js';

/** The id the server gives an entry, read with ldapsearch rather than trusting the connector. */
async function idOf(peer: DirectoryPeer, dn: string): Promise<string> {
  const attribute = peer.vendor === 'samba-ad' ? 'objectGUID' : 'entryUUID';
  const { stdout } = await promisify(execFile)(
    'ldapsearch',
    ['-LLL', '-x', '-o', 'ldif-wrap=no', '-H', peer.url, '-D', peer.adminDn, '-w', peer.adminPassword, '-b', dn, '-s', 'base', attribute],
    { env: { ...process.env, LDAPNOINIT: '1' } },
  );
  if (peer.vendor !== 'samba-ad') {
    const uuid = new RegExp(`^${attribute}: (\\S+)$`, 'mi').exec(stdout)?.[1];
    if (uuid === undefined) throw new Error(`no ${attribute} for ${dn} in: ${stdout}`);
    return uuid.toLowerCase();
  }
  // objectGUID is binary (base64 in LDIF); AD shows it with the first three groups little-endian.
  const b64 = /^objectGUID:: (\S+)$/m.exec(stdout)?.[1];
  if (b64 === undefined) throw new Error(`no objectGUID for ${dn} in: ${stdout}`);
  const h = [...Buffer.from(b64, 'base64')].map((b) => b.toString(16).padStart(2, '0'));
  const g = (idx: number[]) => idx.map((i) => h[i]).join('');
  return `${g([3, 2, 1, 0])}-${g([5, 4])}-${g([7, 6])}-${g([8, 9])}-${g([10, 11, 12, 13, 14, 15])}`;
}

for (const vendor of DIRECTORY_VENDORS) {
  describeConnector(connector, {
    title: `connector "ldap" conformance on ${vendor}`,
    config: { pageSize: 3 },
    fake: async () => {
      const peer = await startSampleDirectory(vendor);
      // AD and 389-DS stamp changes to the second (modifyTimestamp): let the load's second pass, so
      // the cursor of the suite's first read is after every entry loaded.
      if (vendor !== 'openldap') await new Promise((resolve) => setTimeout(resolve, 1100));
      const bob = sampleUserDn(peer, 'bob');
      return {
        config: { url: peer.url, bindDn: peer.bindDn, bindPassword: peer.bindPassword, baseDn: sampleBaseDn(peer) },
        change: async () => {
          await peer.modify(`dn: ${bob}\nchangetype: modify\nreplace: title\ntitle: Staff Engineer\n`);
          return [{ kind: 'user', externalId: await idOf(peer, bob) }];
        },
        close: () => peer.stop(),
      };
    },
  });
}
