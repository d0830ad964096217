import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTransport, type Transport } from './transport.js';

/**
 * `/slow-page`: a large body after 30 ms (an index page); `/slow`: a small one after 30 ms; `/quick`:
 * a small one at once; `/chunked/N`: N KiB in 1 KiB chunks, without a content-length.
 */
const server = createServer((req, res) => {
  const send = (body: string) => res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  const chunked = /^\/chunked\/(\d+)$/.exec(req.url ?? '');
  if (chunked) {
    res.writeHead(200, { 'content-type': 'text/plain' });
    for (let i = 0; i < Number(chunked[1]); i++) res.write('é'.repeat(512));
    res.end();
  } else if (req.url === '/slow-page') setTimeout(() => send(JSON.stringify({ items: 'x'.repeat(64 * 1024) })), 30);
  else if (req.url === '/slow') setTimeout(() => send('{}'), 30);
  else send('{}');
});
let transport: Transport;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  transport = createTransport({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, concurrency: 4, timeoutMs: 5000 });
});
afterAll(async () => {
  await transport.close();
  await new Promise((resolve) => server.close(resolve));
});

const get = (path: string) => transport.send({ method: 'GET', path, headers: {} });

describe('reading an answer', () => {
  it('reads a body sent in chunks without a length whole, as UTF-8', async () => {
    const { text } = await get('/chunked/40');
    expect(text).toBe('é'.repeat(40 * 512));
  });

  it('stops reading a body that grows past the limit without announcing its length, and stays usable', async () => {
    const small = createTransport({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, concurrency: 1, timeoutMs: 5000, maxResponseBytes: 16 * 1024 });
    try {
      await expect(small.send({ method: 'GET', path: '/chunked/64', headers: {} })).rejects.toMatchObject({ code: 'ELDER_RESPONSE_TOO_LARGE', message: expect.not.stringContaining('content-length') });
      expect((await small.send({ method: 'GET', path: '/chunked/8', headers: {} })).text).toHaveLength(8 * 512);
    } finally {
      await small.close();
    }
  });
});

describe("the transport's measure of how far Elder is (latencyFloorMs)", () => {
  it('knows nothing before an answer, and a large answer does not count: it is slow wherever Elder is', async () => {
    expect(transport.latencyFloorMs).toBe(Infinity);
    await get('/slow-page');
    expect(transport.latencyFloorMs).toBe(Infinity);
  });

  it('is the quickest recent small answer: a far Elder reads as far until a quick answer comes', async () => {
    await Promise.all([get('/slow'), get('/slow')]);
    expect(transport.latencyFloorMs).toBeGreaterThanOrEqual(25);
    await get('/quick');
    expect(transport.latencyFloorMs).toBeLessThan(25);
    // The quickest, not the mean: a busy event loop makes some answers late, never early.
    await Promise.all(Array.from({ length: 6 }, () => get('/slow')));
    expect(transport.latencyFloorMs).toBeLessThan(25);
  });
});
