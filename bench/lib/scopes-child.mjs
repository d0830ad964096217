// Many scopes, most of them empty (an AWS Organization's accounts × regions): the real engine and
// Elder client against the emulator, fed by a synthetic connector of SCOPES scopes of which every
// fifth holds OBJECTS / (SCOPES / 5) objects under an organization of its own. One `run` per call;
// the parent counts Elder's reads between calls. Prints one JSON line.
//
//   node scopes-child.mjs ELDER_URL SCOPES OBJECTS STATE_PATH
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const [elderUrl, scopesText, objectsText, statePath] = process.argv.slice(2);
const scopes = Number(scopesText);
const objects = Number(objectsText);
const core = await import(new URL('../../packages/core/dist/index.js', import.meta.url).href);
const requireCore = createRequire(new URL('../../packages/core/package.json', import.meta.url));
const { z } = await import(pathToFileURL(requireCore.resolve('zod')).href);

const full = Math.max(1, Math.floor(scopes / 5));
const perScope = Math.ceil(objects / full);
const id = (i) => `acct${String(Math.floor(i / 17)).padStart(4, '0')}-r${String(i % 17).padStart(2, '0')}`;
const connector = core.defineConnector({
  apiVersion: 1,
  id: 'many-scopes',
  configSchema: z.object({}),
  kinds: { instance: { target: 'entity', entityType: 'compute', subType: 'virtual_machine' } },
  scopes: () => Array.from({ length: scopes }, (_, i) => ({ id: id(i), label: id(i) })),
  testConnection: async () => [],
  async *read({ scope }) {
    const i = Number(scope.id.slice(4, 8)) * 17 + Number(scope.id.slice(10));
    if (i % 5 === 0) {
      const n = Math.min(perScope, objects - (i / 5) * perScope);
      for (let j = 0; j < n; j++) {
        yield { type: 'record', record: { kind: 'instance', externalId: `${scope.id}-i${j}`, name: `i-${scope.id}-${j}`, attributes: { n: j }, organizationPath: [scope.id] } };
      }
    }
    yield { type: 'checkpoint', cursor: 1 };
  },
});
const config = core.elderSyncConfigSchema.parse({
  elder: { url: elderUrl, email: 'admin@localhost.local', password: 'admin123', organization: { path: ['Many scopes'] } },
  sources: [{ name: 'many', connector: 'many-scopes', concurrency: 8 }],
});
const started = performance.now();
const report = await core.runSync({ config, connectors: async () => connector, mode: 'apply', log: core.silentLogger, statePath });
const wallMs = performance.now() - started;
report.close();
const ru = process.resourceUsage();
process.stdout.write(JSON.stringify({ wallMs, totals: report.totals, ok: report.scopes.every((s) => s.status === 'ok'), scopes: report.scopes.length, maxRssMb: ru.maxRSS / 1024, cpuSeconds: (ru.userCPUTime + ru.systemCPUTime) / 1e6 }) + '\n');
