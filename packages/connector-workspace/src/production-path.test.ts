import { silentLogger, type ReadItem } from '@elder-sync/connector-sdk';
import { startWorkspaceFake, type WorkspaceFake } from '@elder-sync/testkit/google';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import connector, { workspaceConfigSchema } from './index.js';

/**
 * No `endpoints`: the connector talks to Google's own hosts, https://oauth2.googleapis.com/token and
 * https://admin.googleapis.com/admin/directory/v1/…. msw intercepts exactly those two hosts; the token
 * host is answered by the loopback token authority (assertion verified, delegation enforced), the
 * Admin host is forwarded, path and query unchanged, to the loopback Directory API.
 */
let fake: WorkspaceFake;
const seen: string[] = [];
const google = setupServer(
  http.post('https://oauth2.googleapis.com/token', async ({ request }) => {
    seen.push(new URL(request.url).origin);
    const answer = fake.tokens.exchange(await request.text());
    return HttpResponse.json(answer.body as Record<string, unknown>, { status: answer.status });
  }),
  http.get('https://admin.googleapis.com/*', async ({ request }) => {
    const url = new URL(request.url);
    seen.push(url.origin);
    const answer = await fetch(new URL(url.pathname + url.search, fake.directory.rootUrl), { headers: { authorization: request.headers.get('authorization') ?? '' } });
    return new HttpResponse(await answer.text(), { status: answer.status, headers: { 'content-type': 'application/json; charset=UTF-8' } });
  }),
);

beforeAll(async () => {
  fake = await startWorkspaceFake({ generate: { users: 30, groups: 4, orgUnitLevels: 2 } });
  google.listen({ onUnhandledRequest: ({ url }, print) => (new URL(url).hostname === '127.0.0.1' ? undefined : print.error()) });
});
afterAll(async () => {
  google.close();
  await fake.close();
});

it("reads through Google's default token and Admin SDK hosts when no endpoint is overridden", async () => {
  const config = workspaceConfigSchema.parse({ credentials: fake.config.credentials, subject: fake.subject });
  expect(config.endpoints).toBeUndefined();
  const [scope] = (await connector.scopes(config, { log: silentLogger, signal: new AbortController().signal })) as { id: string; label: string }[];
  const items: ReadItem[] = [];
  for await (const item of connector.read({ config, scope: scope!, log: silentLogger, signal: new AbortController().signal, mode: 'full', checkpoint: null })) items.push(item);
  expect(items.filter((i) => i.type === 'record' && i.record.kind === 'user')).toHaveLength(30);
  expect(new Set(seen)).toEqual(new Set(['https://oauth2.googleapis.com', 'https://admin.googleapis.com']));
  expect(fake.tokens.grants).toEqual([expect.objectContaining({ ok: true, sub: fake.subject })]);
  expect(fake.directory.requests.every((r) => r.status === 200)).toBe(true);
});
