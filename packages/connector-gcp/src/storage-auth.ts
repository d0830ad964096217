import type { GoogleCredentials } from '@elder-sync/google-auth';

type AuthClient = GoogleCredentials['client'];

/**
 * @google-cloud/storage 7 bundles google-auth-library 9, whose `authorizeRequest` does
 * `Object.assign(headers, await client.getRequestHeaders(url))`. A google-auth-library 10 client returns
 * a fetch `Headers` object there, which `Object.assign` copies nothing from: the request goes out with
 * no Authorization header (verified, ../shared/peers/README.md §3). This view of the same client
 * returns plain header objects, so Storage shares the one credential (and its token cache, impersonation
 * and endpoint overrides) with the other APIs.
 */
export function storageAuthClient(client: AuthClient): AuthClient {
  const view = Object.create(client) as AuthClient;
  Object.defineProperty(view, 'getRequestHeaders', {
    value: async (url?: string | URL) => Object.fromEntries((await client.getRequestHeaders(url)).entries()),
  });
  return view;
}
