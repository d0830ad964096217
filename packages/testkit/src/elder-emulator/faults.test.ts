import { afterEach, describe, expect, it } from 'vitest';
import { startElderEmulator } from './index.js';
import { callApi } from './http-client.js';
import type { ElderEmulator, ElderEmulatorOptions, FaultConfig } from './index.js';

const started: ElderEmulator[] = [];
async function start(options: ElderEmulatorOptions = {}): Promise<ElderEmulator> {
  const emulator = await startElderEmulator(options);
  started.push(emulator);
  return emulator;
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((emulator) => emulator.close()));
});

async function statusSequence(emulator: ElderEmulator, count: number): Promise<string[]> {
  const token = emulator.mintToken();
  const outcomes: string[] = [];
  for (let i = 0; i < count; i++) {
    try {
      outcomes.push(String((await callApi(emulator.url, 'GET', '/api/v1/organizations', { token })).status));
    } catch {
      outcomes.push('reset');
    }
  }
  return outcomes;
}

describe('fault injection', () => {
  it('is deterministic for a seed and honours the rate', async () => {
    const faults: FaultConfig = { rate: 0.5, seed: 42, kinds: ['5xx-json', '5xx-html', '5xx-text', '429', 'reset'] };
    const first = await statusSequence(await start({ faults }), 40);
    const second = await statusSequence(await start({ faults }), 40);
    expect(first).toEqual(second);
    const faulted = first.filter((outcome) => outcome !== '200').length;
    expect(faulted).toBeGreaterThan(8);
    expect(faulted).toBeLessThan(32);
    expect(new Set(first).size).toBeGreaterThanOrEqual(4);
    expect(first).toContain('reset');
  });

  it('answers each kind with its own shape', async () => {
    const emulator = await start();
    const token = emulator.mintToken();
    const hit = async (kind: FaultConfig['kinds'][number]) => {
      emulator.setFaults({ rate: 1, kinds: [kind], seed: 1 });
      return callApi(emulator.url, 'GET', '/api/v1/entities', { token });
    };
    const json = await hit('5xx-json');
    expect(json.status).toBe(500);
    expect(json.body).toEqual({ error: 'Internal Server Error', message: 'An error occurred' });
    const html = await hit('5xx-html');
    expect([502, 503]).toContain(html.status);
    expect(html.text).toContain('<html>');
    const text = await hit('5xx-text');
    expect(text.headers.get('content-type')).toContain('text/plain');
    expect(text.text).toBe('Internal Server Error');
    const limited = await hit('429');
    expect(limited.body).toEqual({ error: 'Rate Limit Exceeded', message: 'Too many requests' });
    expect(limited.headers.get('retry-after')).toBeNull();
    await expect(hit('reset')).rejects.toThrow();
    expect(emulator.stats().faultsByKind).toEqual({ '5xx-json': 1, '5xx-html': 1, '5xx-text': 1, '429': 1, reset: 1 });
    expect(emulator.stats().faultsInjected).toBe(5);
  });

  it('apply-then-fail performs the write, answers 500, and leaves reads alone', async () => {
    const emulator = await start({ faults: { rate: 1, kinds: ['apply-then-fail'] } });
    const token = emulator.mintToken();
    const result = await callApi(emulator.url, 'POST', '/api/v1/organizations', { json: { name: 'Applied' } });
    expect(result.status).toBe(500);
    expect(result.text).toBe('Internal Server Error');
    expect(emulator.organizations().map((org) => org['name'])).toEqual(['Applied']);
    const retry = await callApi(emulator.url, 'POST', '/api/v1/organizations', { json: { name: 'Applied' } });
    expect(retry.status).toBe(500);
    expect(emulator.organizations()).toHaveLength(2); // a blind retry duplicates
    expect((await callApi(emulator.url, 'GET', '/api/v1/organizations', { token })).status).toBe(200);
  });

  it('slow applies the write at once and answers after slowMs', async () => {
    const emulator = await start({ faults: { rate: 1, kinds: ['slow'], slowMs: 400, methods: ['POST'] } });
    const startedAt = Date.now();
    const aborted = fetch(`${emulator.url}/api/v1/organizations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Slow' }),
      signal: AbortSignal.timeout(100),
    });
    await expect(aborted).rejects.toThrow();
    expect(emulator.organizations()).toHaveLength(1);
    const waited = await callApi(emulator.url, 'POST', '/api/v1/organizations', { json: { name: 'Slow 2' } });
    expect(waited.status).toBe(201);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(400);
  });

  it('restricts faults by method and path', async () => {
    const emulator = await start({ faults: { rate: 1, kinds: ['5xx-json'], methods: ['PATCH'], paths: '^/api/v1/entities/' } });
    emulator.seedOrganization({ name: 'o' });
    emulator.seedEntity({ name: 'e', type: 'compute', organization_id: 1 });
    expect((await callApi(emulator.url, 'PATCH', '/api/v1/organizations/1', { json: { name: 'p' } })).status).toBe(200);
    expect((await callApi(emulator.url, 'PATCH', '/api/v1/entities/1', { json: { name: 'p' } })).status).toBe(500);
    expect((await callApi(emulator.url, 'DELETE', '/api/v1/entities/1')).status).toBe(204);
  });

  it('rejects invalid fault configurations', async () => {
    const emulator = await start();
    expect(() => emulator.setFaults({ rate: 2, kinds: ['reset'] })).toThrow(/rate/);
    expect(() => emulator.setFaults({ rate: 0.5, kinds: ['boom' as never] })).toThrow(/kinds/);
  });
});

describe('control routes under /__emulator (for emulators in another process)', () => {
  it('toggles faults, reads and resets stats, and resets data over HTTP, without being faulted or counted', async () => {
    const emulator = await start();
    const token = emulator.mintToken();
    const set = await callApi(emulator.url, 'POST', '/__emulator/faults', { json: { rate: 1, kinds: ['5xx-text'], seed: 3 } });
    expect(set.body.faults).toMatchObject({ rate: 1, kinds: ['5xx-text'], seed: 3 });
    expect((await callApi(emulator.url, 'GET', '/api/v1/entities', { token })).status).toBe(500);
    const stats = await callApi(emulator.url, 'GET', '/__emulator/stats');
    expect(stats.status).toBe(200);
    expect(stats.body).toMatchObject({ requests: 1, reads: 1, writes: 0, faultsInjected: 1, byRoute: { 'GET /api/v1/entities': 1 } });
    expect((await callApi(emulator.url, 'POST', '/__emulator/faults', { json: null })).body.faults).toBeNull();
    expect((await callApi(emulator.url, 'POST', '/__emulator/faults', { json: { rate: 5 } })).status).toBe(400);
    await callApi(emulator.url, 'POST', '/api/v1/organizations', { json: { name: 'x' } });
    expect((await callApi(emulator.url, 'POST', '/__emulator/reset')).status).toBe(200);
    expect(emulator.organizations()).toEqual([]);
    expect(emulator.stats().requests).toBe(0);
    const seeded = await callApi(emulator.url, 'POST', '/__emulator/seed', { json: { organizations: [{ name: 'o' }], entities: [{ name: 'e', entity_type: 'compute', organization_id: 1, attributes: { k: 1 } }] } });
    expect(seeded.body.entities[0]).toMatchObject({ id: 1, metadata: { k: 1 } });
    const minted = await callApi(emulator.url, 'POST', '/__emulator/token', { json: {} });
    expect((await callApi(emulator.url, 'GET', '/api/v1/entities', { token: minted.body.token })).body.total).toBe(1);
  });
});

describe('stats', () => {
  it('counts reads, writes and auth per request and per route, and resets', async () => {
    const emulator = await start();
    const login = await callApi(emulator.url, 'POST', '/api/v1/portal-auth/login', { json: { email: 'admin@localhost.local', password: 'admin123' } });
    const token = login.body.access_token;
    await callApi(emulator.url, 'POST', '/api/v1/organizations', { json: { name: 'o' } });
    await callApi(emulator.url, 'POST', '/api/v1/entities', { token, json: { name: 'e', entity_type: 'compute', organization_id: 1 } });
    await callApi(emulator.url, 'PATCH', '/api/v1/entities/1', { json: { name: 'f' } });
    await callApi(emulator.url, 'GET', '/api/v1/entities/1', { token });
    await callApi(emulator.url, 'GET', '/nope');
    expect(emulator.stats()).toMatchObject({
      requests: 6,
      reads: 2,
      writes: 3,
      auth: 1,
      byRoute: {
        'POST /api/v1/portal-auth/login': 1,
        'POST /api/v1/organizations': 1,
        'POST /api/v1/entities': 1,
        'PATCH /api/v1/entities/{id}': 1,
        'GET /api/v1/entities/{id}': 1,
        'GET (unmatched)': 1,
      },
      byStatus: { '200': 3, '201': 2, '404': 1 },
      faultsInjected: 0,
    });
    emulator.resetStats();
    expect(emulator.stats().requests).toBe(0);
    expect(emulator.entities()).toHaveLength(1);
  });

  it('adds a fixed latency when asked (for benchmarks)', async () => {
    const emulator = await start({ latencyMs: 150 });
    const startedAt = Date.now();
    await callApi(emulator.url, 'GET', '/healthz');
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(145);
  });
});
