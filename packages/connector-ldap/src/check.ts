import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { ConnectionCheck, ConnectorContext } from '@elder-sync/connector-sdk';
import type { Client } from 'ldapts';
import { bind, createClient, readRootDse, startTls, tlsOptionsFor, toLdapError } from './client.js';
import { parseLdapUrl, type LdapConfig } from './config.js';
import { LdapErrorCode, type LdapError } from './errors.js';
import { detectVendor, PAGED_RESULTS_OID } from './vendors.js';

/** Which config keys fix a failure, by error code: what `missing` names. */
const FIX_FOR: Partial<Record<LdapErrorCode, string[]>> = {
  [LdapErrorCode.InvalidCredentials]: ['bindDn', 'bindPassword'],
  [LdapErrorCode.Tls]: ['caFile'],
  [LdapErrorCode.EncryptionRequired]: ['url (ldaps://) or startTls'],
  [LdapErrorCode.Config]: ['caFile'],
  [LdapErrorCode.NoSuchObject]: ['baseDn'],
  [LdapErrorCode.InsufficientAccess]: ['read access for bindDn'],
};

function failed(name: string, error: LdapError): ConnectionCheck {
  const missing = FIX_FOR[error.code];
  return { name, ok: false, detail: error.message, ...(missing ? { missing } : {}) };
}

/**
 * reachable → tls → bind → baseDn → pagedResults, each reported; a failure marks the later checks
 * "not checked" so the output still lists everything that was not confirmed. Read-only throughout.
 */
export async function testLdapConnection(ctx: ConnectorContext<LdapConfig>): Promise<ConnectionCheck[]> {
  const { config } = ctx;
  const url = parseLdapUrl(config.url);
  const secure = url.scheme === 'ldaps' || config.startTls;
  const order = ['reachable', ...(secure ? ['tls'] : []), 'bind', 'baseDn', 'pagedResults'];
  const checks: ConnectionCheck[] = [];
  const finish = () => {
    const failedAt = checks.find((c) => !c.ok)?.name;
    for (const name of order.slice(checks.length)) checks.push({ name, ok: false, detail: `not checked: ${failedAt} failed` });
    return checks;
  };

  try {
    await probeTcp(url.host, url.port, config.timeoutMs);
    checks.push({ name: 'reachable', ok: true, detail: `${url.host}:${url.port}` });
  } catch (error) {
    checks.push(failed('reachable', toLdapError(error, `connect to ${config.url}`, config)));
    return finish();
  }

  if (url.scheme === 'ldaps') {
    try {
      const protocol = await probeTls(url.host, url.port, config);
      checks.push({ name: 'tls', ok: true, detail: `${protocol}${config.tlsVerify ? ', certificate verified' : ', certificate NOT verified (tlsVerify: false)'}` });
    } catch (error) {
      checks.push(failed('tls', toLdapError(error, `TLS to ${config.url}`, config)));
      return finish();
    }
  }

  let client;
  try {
    client = await createClient(config);
  } catch (error) {
    checks.push(failed(secure ? 'tls' : 'bind', toLdapError(error, 'LDAP client setup', config)));
    return finish();
  }
  try {
    if (config.startTls) {
      try {
        await startTls(client, config, url);
        checks.push({ name: 'tls', ok: true, detail: `StartTLS${config.tlsVerify ? ', certificate verified' : ', certificate NOT verified (tlsVerify: false)'}` });
      } catch (error) {
        checks.push(failed('tls', error as LdapError));
        return finish();
      }
    }
    try {
      await bind(client, config);
      checks.push({ name: 'bind', ok: true, detail: config.bindDn });
    } catch (error) {
      checks.push(failed('bind', error as LdapError));
      return finish();
    }
    let rootDse;
    try {
      rootDse = await readRootDse(client, config);
    } catch {
      rootDse = { dn: '', attrs: {} }; // some servers hide the root DSE; paging is then reported unknown below
    }
    const vendor = detectVendor(rootDse);
    try {
      const { searchEntries } = await client.search(config.baseDn, {
        scope: 'base',
        filter: '(objectClass=*)',
        attributes: [vendor.idAttribute],
        explicitBufferAttributes: [...vendor.binaryAttributes],
      });
      if (searchEntries.length === 0) {
        checks.push({ name: 'baseDn', ok: false, detail: `"${config.baseDn}" returned no entry: check baseDn (${config.bindDn} may lack read access to it)`, missing: ['baseDn'] });
      } else if (!(await seesAnyEntry(client, config, vendor.defaultUserFilter))) {
        // A server answers a search it will not show anything of with an empty result, not an error
        // (389-DS without a read ACI for the account): every read would then find nothing to sync.
        checks.push({
          name: 'baseDn',
          ok: false,
          detail:
            `${config.bindDn} sees no OU, group or user below "${config.baseDn}": give it read access to the subtree ` +
            `(389-DS: an aci allowing read, search on the base; OpenLDAP: an access rule; AD: Authenticated Users read) ` +
            `or check baseDn and the filters`,
          missing: ['read access for bindDn'],
        });
      } else {
        checks.push({ name: 'baseDn', ok: true, detail: `${config.baseDn} (${vendor.name})` });
      }
    } catch (error) {
      checks.push(failed('baseDn', toLdapError(error, `LDAP read of baseDn "${config.baseDn}"`, config)));
      return finish();
    }
    const controls = rootDse.attrs['supportedcontrol'] ?? [];
    checks.push(
      controls.includes(PAGED_RESULTS_OID)
        ? { name: 'pagedResults', ok: true, detail: `control ${PAGED_RESULTS_OID} supported` }
        : {
            name: 'pagedResults',
            ok: false,
            detail: `the root DSE does not list the paged-results control ${PAGED_RESULTS_OID}, which every read uses`,
            missing: [`supportedControl ${PAGED_RESULTS_OID}`],
          },
    );
    return finish();
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

/** Whether one OU, group or user below the base DN is visible to the bind account (one entry, one page). */
async function seesAnyEntry(client: Client, config: LdapConfig, defaultUserFilter: string): Promise<boolean> {
  const filter = `(|${config.ouFilter}${config.groupFilter}${config.userFilter ?? defaultUserFilter})`;
  const pages = client.searchPaginated(config.baseDn, { scope: 'sub', filter, attributes: ['1.1'], paged: { pageSize: 1 } });
  for await (const page of pages) {
    if (page.searchEntries.length > 0) return true;
  }
  return false;
}

function probeTcp(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host, port });
    socket.setTimeout(timeoutMs, () => socket.destroy(Object.assign(new Error('Connection timeout'), { code: 'ETIMEDOUT' })));
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}

async function probeTls(host: string, port: number, config: LdapConfig): Promise<string> {
  const options = await tlsOptionsFor(config, parseLdapUrl(config.url));
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ ...options, host, port });
    socket.setTimeout(config.timeoutMs, () => socket.destroy(Object.assign(new Error('Connection timeout'), { code: 'ETIMEDOUT' })));
    socket.once('secureConnect', () => {
      const protocol = socket.getProtocol() ?? 'TLS';
      socket.destroy();
      resolve(protocol);
    });
    socket.once('error', reject);
  });
}
