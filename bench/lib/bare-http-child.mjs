// The first sync's floor: a bare HTTP client (undici, keep-alive, N in flight) sending the same
// creates the sync sends (one POST /api/v1/entities per user, stamp-sized attributes) to the same
// emulator. Prints one JSON line: wall time and the creates per second.
//
//   node bare-http-child.mjs ELDER_URL TOKEN CONCURRENCY COUNT
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const [url, token, concurrencyText, countText] = process.argv.slice(2);
const concurrency = Number(concurrencyText);
const count = Number(countText);
// undici as core itself resolves it (the bench has no dependencies of its own).
const requireCore = createRequire(new URL('../../packages/core/package.json', import.meta.url));
const { Pool } = await import(pathToFileURL(requireCore.resolve('undici')).href);
const pool = new Pool(url, { connections: concurrency, pipelining: 1 });
const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
const call = async (method, path, body) => {
  const res = await pool.request({ method, path, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${text.slice(0, 200)}`);
  return JSON.parse(text);
};
const org = await call('POST', '/api/v1/organizations', { name: 'Bare HTTP floor' });
const started = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const i = next++;
      const uid = `bulk${String(i).padStart(5, '0')}`;
      await call('POST', '/api/v1/entities', {
        name: `Bulk User ${i}`,
        entity_type: 'user',
        sub_type: 'person',
        organization_id: org.id,
        attributes: {
          uid, mail: `${uid}@example.test`, title: 'Engineer', dn: `uid=${uid},ou=bulk,dc=example,dc=test`,
          elder_sync: { v: 1, key: `bench-ldap/user/${uid}`, source: 'bench-ldap', scope: 'dc=example,dc=test', kind: 'user', fields: ['dn', 'mail', 'title', 'uid'], tags: [], relations: [] },
        },
        tags: [],
      });
    }
  }),
);
const wallMs = performance.now() - started;
await pool.close();
process.stdout.write(JSON.stringify({ wallMs, count, perS: count / (wallMs / 1000) }) + '\n');
