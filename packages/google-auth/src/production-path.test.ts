import { mintServiceAccountKey, GoogleTokenServer } from '@elder-sync/testkit/google';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { googleCredentials } from './client.js';

// No endpoint overrides: the client posts to the real https://oauth2.googleapis.com/token. msw
// intercepts that one host (and nothing else) and answers from the loopback token authority, which
// verifies the assertion with the account's public key.
const sa = mintServiceAccountKey();
const authority = new GoogleTokenServer({ accounts: [sa] });
const seen: string[] = [];
const tokenHost = setupServer(
  http.post('https://oauth2.googleapis.com/token', async ({ request }) => {
    seen.push(request.url);
    const answer = authority.exchange(await request.text());
    return HttpResponse.json(answer.body as Record<string, unknown>, { status: answer.status });
  }),
);

beforeAll(() => tokenHost.listen({ onUnhandledRequest: 'error' }));
afterAll(() => tokenHost.close());

it('gets a token from Google\'s own token endpoint with the key alone', async () => {
  const creds = await googleCredentials({ credentials: sa.json, scopes: ['https://www.googleapis.com/auth/compute.readonly'] });
  const token = await creds.accessToken();
  expect(seen).toEqual(['https://oauth2.googleapis.com/token']);
  expect(authority.grants).toEqual([expect.objectContaining({ ok: true, signatureValid: true, iss: sa.email })]);
  expect(authority.authorize(`Bearer ${token}`, ['https://www.googleapis.com/auth/compute.readonly']).ok).toBe(true);
});
