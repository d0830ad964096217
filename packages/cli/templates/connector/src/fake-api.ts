import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback stand-in for the inventory API, for tests (yours, the conformance suite, and anyone
 * who runs this connector in CI): `GET /v1/hosts?limit=&since=&page_token=` with a bearer token.
 * Every change bumps a global revision, as the real API does.
 */
export interface FakeHost {
  id: string;
  name: string;
  os: string;
  ip: string;
  site: string;
}

export interface FakeHostsApi {
  url: string;
  token: string;
  /** Adds or replaces a host (bumping its revision). */
  upsert(host: FakeHost): void;
  remove(id: string): void;
  /** Request paths served so far, e.g. `/v1/hosts?limit=2&since=3`. */
  requests: string[];
  close(): Promise<void>;
}

export const SAMPLE_HOSTS: readonly FakeHost[] = [
  { id: 'h-001', name: 'web-1', os: 'debian-12', ip: '10.0.0.11', site: 'Frankfurt' },
  { id: 'h-002', name: 'web-2', os: 'debian-12', ip: '10.0.0.12', site: 'Frankfurt' },
  { id: 'h-003', name: 'db-1', os: 'rhel-9', ip: '10.0.1.21', site: 'Dublin' },
];

export async function startFakeHostsApi(options: { token?: string; hosts?: readonly FakeHost[] } = {}): Promise<FakeHostsApi> {
  const token = options.token ?? 'fake-token-5c1d';
  let revision = 0;
  const hosts = new Map<string, FakeHost & { revision: number }>();
  const requests: string[] = [];
  const upsert = (host: FakeHost) => void hosts.set(host.id, { ...host, revision: ++revision });
  for (const host of options.hosts ?? SAMPLE_HOSTS) upsert(host);

  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const url = new URL(req.url ?? '/', 'http://fake');
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${token}`) return send(401, { error: 'unauthorized' });
    if (req.method !== 'GET' || url.pathname !== '/v1/hosts') return send(404, { error: 'not found' });
    const limit = Number(url.searchParams.get('limit') ?? 100);
    const since = Number(url.searchParams.get('since') ?? 0);
    const offset = Number(url.searchParams.get('page_token') ?? 0);
    const matching = [...hosts.values()].filter((h) => h.revision > since).sort((a, b) => (a.id < b.id ? -1 : 1));
    const page = matching.slice(offset, offset + limit);
    send(200, { hosts: page, nextPageToken: offset + limit < matching.length ? String(offset + limit) : null, revision });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    upsert,
    remove: (id) => void hosts.delete(id),
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
