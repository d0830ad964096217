import type { HostsConfig } from './config.js';
import { HostsApiError, HostsApiErrorCode } from './errors.js';

/** One host as the API returns it. */
export interface ApiHost {
  id: string;
  name: string;
  os: string;
  ip: string;
  site: string;
  revision: number;
}

/** `GET /v1/hosts`: a page of hosts sorted by id, and the server's revision when the read began. */
export interface HostsPage {
  hosts: ApiHost[];
  nextPageToken: string | null;
  revision: number;
}

/**
 * Every page of `GET /v1/hosts` (only hosts changed after `since` when given). The first page
 * carries the revision the read started at; that, not the highest revision seen, is the safe
 * cursor: a host changed while later pages stream is then read again next time, never skipped.
 */
export async function* hostPages(config: HostsConfig, signal: AbortSignal, since?: number): AsyncGenerator<HostsPage> {
  let pageToken: string | null = null;
  do {
    const query = new URLSearchParams({ limit: String(config.pageSize) });
    if (since !== undefined) query.set('since', String(since));
    if (pageToken !== null) query.set('page_token', pageToken);
    const page = (await getJson(config, `/v1/hosts?${query}`, signal)) as HostsPage;
    if (!Array.isArray(page?.hosts) || typeof page.revision !== 'number') {
      throw new HostsApiError(HostsApiErrorCode.BadResponse, 'GET /v1/hosts: the answer has no hosts array or revision');
    }
    yield page;
    pageToken = page.nextPageToken;
  } while (pageToken !== null);
}

export async function getJson(config: HostsConfig, path: string, signal: AbortSignal): Promise<unknown> {
  const url = new URL(path, config.url.endsWith('/') ? config.url : `${config.url}/`);
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { authorization: `Bearer ${config.token}`, accept: 'application/json' },
      signal: AbortSignal.any([signal, AbortSignal.timeout(config.timeoutMs)]),
    });
  } catch (error) {
    throw new HostsApiError(HostsApiErrorCode.Unreachable, `GET ${url.pathname}: ${(error as Error).message}`, { cause: error });
  }
  if (response.status === 401) throw new HostsApiError(HostsApiErrorCode.Unauthorized, `GET ${url.pathname}: the token was refused (401)`);
  if (response.status === 403) throw new HostsApiError(HostsApiErrorCode.Forbidden, `GET ${url.pathname}: the token may not list hosts (403)`);
  if (!response.ok) throw new HostsApiError(HostsApiErrorCode.BadResponse, `GET ${url.pathname}: HTTP ${response.status}`);
  try {
    return await response.json();
  } catch (error) {
    throw new HostsApiError(HostsApiErrorCode.BadResponse, `GET ${url.pathname}: the answer is not JSON`, { cause: error });
  }
}
