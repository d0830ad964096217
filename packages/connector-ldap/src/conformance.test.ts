/**
 * The LDAP connector passes the same conformance suite a third-party connector is held to
 * (@elder-sync/testkit/conformance), against a real slapd loaded with the sample directory.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { SAMPLE_LDIF, startSlapd } from '@elder-sync/testkit';
import { describeConnector } from '@elder-sync/testkit/conformance';
import connector from './index.js';

const BOB = 'uid=bob,ou=Engineering,ou=People,ou=Corp,dc=example,dc=test';

describeConnector(connector, {
  config: { pageSize: 3 },
  fake: async () => {
    const peer = await startSlapd({ ldif: [SAMPLE_LDIF] });
    return {
      config: { url: peer.url, bindDn: peer.bindDn, bindPassword: peer.bindPassword, baseDn: peer.baseDn },
      change: async () => {
        await peer.modify(`dn: ${BOB}\nchangetype: modify\nreplace: title\ntitle: Staff Engineer\n`);
        // entryUUID is the record's external id; ask the server rather than trusting the connector.
        const { stdout } = await promisify(execFile)('ldapsearch', [
          '-LLL', '-x', '-H', peer.url, '-D', peer.adminDn, '-w', peer.adminPassword, '-b', BOB, '-s', 'base', 'entryUUID',
        ]);
        const uuid = /^entryUUID: (\S+)$/m.exec(stdout)?.[1];
        if (uuid === undefined) throw new Error(`no entryUUID for ${BOB} in: ${stdout}`);
        return [{ kind: 'user', externalId: uuid.toLowerCase() }];
      },
      close: () => peer.stop(),
    };
  },
});
