import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startElderEmulator } from './index.js';
import { callApi } from './http-client.js';
import type { ElderEmulator } from './index.js';

const COUNT = 100_000;
let elder: ElderEmulator;
let token: string;

beforeAll(async () => {
  elder = await startElderEmulator({ prettyJson: false });
  token = elder.mintToken();
  for (let org = 1; org <= 10; org++) elder.seedOrganization({ name: `account-${org}` });
  for (let i = 0; i < COUNT; i++) {
    elder.seedEntity({ name: `vm-${(i * 7919) % COUNT}`, type: i % 2 ? 'compute' : 'storage', organization_id: (i % 10) + 1, attributes: { key: `k${i}` } });
  }
});
afterAll(() => elder.close());

// How fast the emulator answers at this size is measured by the benches (pnpm bench), not here.
describe('scale: 100 000 entities', () => {
  it('lists every entity in pages of 1000, in name order', async () => {
    const seen = new Set<number>();
    let previous = '';
    for (let page = 1; ; page++) {
      const result = await callApi(elder.url, 'GET', `/api/v1/entities?per_page=1000&page=${page}`, { token });
      for (const item of result.body.items as { id: number; name: string }[]) {
        expect(item.name >= previous).toBe(true);
        previous = item.name;
        seen.add(item.id);
      }
      if (page >= result.body.pages) break;
    }
    expect(seen.size).toBe(COUNT);
  });

  it('serves a filtered (organization, type) slice that follows the writes interleaved with it', async () => {
    for (let i = 0; i < 50; i++) {
      await callApi(elder.url, 'POST', '/api/v1/entities', { token, json: { name: `new-${i}`, entity_type: 'compute', organization_id: 2 } });
      const slice = await callApi(elder.url, 'GET', '/api/v1/entities?organization_id=2&entity_type=compute&per_page=1000', { token });
      expect(slice.body.total).toBe(COUNT / 10 + i + 1);
    }
  });
});
