// Concurrency sweep child: the real engine and Elder client against the emulator, fed by a synthetic
// in-memory connector (no LDAP), so the figure is Elder throughput alone. Prints one JSON line
// (wall and this process's CPU).
// With PAGE and PAGE_MS, the connector is a slow source instead: it waits PAGE_MS before each page
// of PAGE records, like a cloud API (the overlap scenario).
//
//   node sweep-child.mjs ELDER_URL CONCURRENCY ENTITIES STATE_PATH [PAGE PAGE_MS]
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';

const [elderUrl, concurrencyText, entitiesText, statePath, pageText, pageMsText] = process.argv.slice(2);
const concurrency = Number(concurrencyText);
const entities = Number(entitiesText);
const page = Number(pageText ?? entities);
const pageMs = Number(pageMsText ?? 0);
const coreUrl = new URL('../../packages/core/dist/index.js', import.meta.url);
const core = await import(coreUrl.href);
// zod as core itself resolves it (the bench has no dependencies of its own).
const requireCore = createRequire(new URL('../../packages/core/package.json', import.meta.url));
const { z } = await import(pathToFileURL(requireCore.resolve('zod')).href);

const connector = core.defineConnector({
  apiVersion: 1,
  id: 'synthetic',
  configSchema: z.object({}),
  kinds: { user: { target: 'entity', entityType: 'user', subType: 'person' } },
  scopes: () => [{ id: 'all', label: 'synthetic' }],
  testConnection: async () => [],
  async *read() {
    for (let i = 0; i < entities; i++) {
      if (pageMs > 0 && i % page === 0) await sleep(pageMs);
      yield { type: 'record', record: { kind: 'user', externalId: `u${i}`, name: `User ${i}`, attributes: { n: i } } };
    }
    yield { type: 'checkpoint', cursor: 1 };
  },
});
const config = core.elderSyncConfigSchema.parse({
  elder: { url: elderUrl, email: 'admin@localhost.local', password: 'admin123', organization: { path: ['Bench'] }, concurrency },
  sources: [{ name: 'sweep', connector: 'synthetic' }],
});
const started = performance.now();
const report = await core.runSync({ config, connectors: async () => connector, mode: 'apply', log: core.silentLogger, statePath });
const wallMs = performance.now() - started;
report.close();
const usage = process.resourceUsage();
const cpuSeconds = (usage.userCPUTime + usage.systemCPUTime) / 1e6;
process.stdout.write(JSON.stringify({ wallMs, cpuSeconds, created: report.totals.create, elder: report.elder, ok: report.scopes.every((s) => s.status === 'ok') }) + '\n');
