// The LDAP read alone, two ways, on the bench directory: `connector` runs the LDAP connector's own
// read (scopes, then every record, mapped; nothing planned or written), `ldapts` a bare ldapts paged
// search of the same users with the same attributes (the floor). Prints one JSON line: wall, records,
// peak RSS and CPU of this process.
//
//   node read-child.mjs connector|ldapts URL BIND_DN BIND_PASSWORD BASE_DN
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const [mode, url, bindDn, bindPassword, baseDn] = process.argv.slice(2);
const ldapPackage = new URL('../../packages/connector-ldap/package.json', import.meta.url);
const started = performance.now();
let records = 0;
if (mode === 'connector') {
  const { default: connector } = await import(new URL('../../packages/connector-ldap/dist/index.js', import.meta.url).href);
  const config = connector.configSchema.parse({ url, bindDn, bindPassword, baseDn });
  const log = { debug() {}, info() {}, warn() {}, error() {}, child() { return log; } };
  const signal = new AbortController().signal;
  const found = await connector.scopes(config, { log, signal });
  for (const scope of Array.isArray(found) ? found : found.scopes) {
    for await (const item of connector.read({ config, scope, log, signal, mode: 'full', checkpoint: null })) {
      if (item.type === 'record') records++;
    }
  }
} else if (mode === 'ldapts') {
  const requireLdap = createRequire(ldapPackage);
  const { Client } = await import(pathToFileURL(requireLdap.resolve('ldapts')).href);
  const client = new Client({ url });
  await client.bind(bindDn, bindPassword);
  const pages = client.searchPaginated(baseDn, {
    scope: 'sub',
    filter: '(objectClass=inetOrgPerson)',
    attributes: ['entryUUID', 'entryCSN', 'uid', 'cn', 'mail', 'givenName', 'sn', 'displayName', 'employeeNumber', 'title', 'memberOf'],
    paged: { pageSize: 1000 },
  });
  for await (const page of pages) records += page.searchEntries.length;
  await client.unbind();
} else {
  throw new Error(`mode must be connector or ldapts, not ${mode}`);
}
const wallMs = performance.now() - started;
const ru = process.resourceUsage();
process.stdout.write(JSON.stringify({ mode, wallMs, records, maxRssMb: ru.maxRSS / 1024, cpuSeconds: (ru.userCPUTime + ru.systemCPUTime) / 1e6 }) + '\n');
