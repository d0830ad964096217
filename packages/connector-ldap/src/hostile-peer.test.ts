import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createElderClient, elderSyncConfigSchema, runSync, silentLogger, type SyncReport } from '@elder-sync/core';
import { startElderEmulator, type ElderEmulator } from '@elder-sync/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ldap from './index.js';
import { BASE_DN, startHostileLdap, type HostileLdap, type HostileMode } from './testing/hostile-ldap.js';

/**
 * An LDAP server that lies (issue 13), through the real connector and engine into the Elder
 * emulator: a paged search that never ends, a 100 MB attribute, a search never answered, an answer
 * that is not LDAP. Each must end as a named failure of the directory's scope within a bounded
 * time, with nothing deleted in Elder (a cut-short read is never taken for deletions); the next
 * honest read converges, with nothing duplicated.
 */

const TIMEOUT_MS = 1500;
const BOUND_MS = 20_000;

const CASES: Array<{ name: string; mode: HostileMode; expect: RegExp }> = [
  { name: 'a paged search that never ends', mode: 'endless-paging', expect: /LDAP search at "dc=example,dc=test" with .*: page 2 repeats a page the server already sent \(from uid=user0,ou=People,dc=example,dc=test\); its paged search does not end, stopped/ },
  { name: 'a 100 MB attribute', mode: 'huge-attribute', expect: /the LDAP server at ldap:\/\/127\.0\.0\.1:\d+ sent an entry of 100\.0 MiB, above the 64 MiB one entry may take; stopped reading/ },
  { name: 'a search never answered', mode: 'stall', expect: /LDAP search at "dc=example,dc=test" .*failed: no answer from ldap:\/\/127\.0\.0\.1:\d+ within timeoutMs 1500/ },
  { name: 'an answer that is not LDAP', mode: 'garbage', expect: /LDAP search at "dc=example,dc=test" .*failed.*(a message with a length BER does not allow|not an LDAP server|Socket error|timed out|no answer)/ },
];

let elder: ElderEmulator;
let peer: HostileLdap;
let dir: string;
beforeAll(async () => {
  elder = await startElderEmulator();
  peer = await startHostileLdap({ users: 7 });
  dir = mkdtempSync(join(tmpdir(), 'elder-sync-hostile-ldap-'));
});
afterAll(async () => {
  await peer?.close();
  await elder?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function sync(statePath: string, mode: 'apply' | 'plan' = 'apply'): Promise<SyncReport> {
  const config = elderSyncConfigSchema.parse({
    elder: { url: elder.url, email: 'admin@localhost.local', password: 'admin123', organization: { path: ['Acme'] } },
    sources: [
      {
        name: 'corp',
        connector: 'ldap',
        maxDeletePercent: 100,
        config: { url: peer.url, bindDn: `cn=reader,${BASE_DN}`, bindPassword: 'pw', baseDn: BASE_DN, kinds: ['user'], pageSize: 3, timeoutMs: TIMEOUT_MS },
      },
    ],
  });
  const client = createElderClient({ url: elder.url, auth: { kind: 'login', email: 'admin@localhost.local', password: 'admin123' }, maxAttempts: 2, backoffBaseMs: 1, backoffMaxMs: 5 });
  try {
    return await runSync({ config, connectors: async () => ldap, mode, log: silentLogger, statePath, elder: client });
  } finally {
    await client.close();
  }
}

describe.each(CASES)('a lying LDAP server: $name', ({ mode, expect: named }) => {
  it('fails its scope by name in bounded time, deletes nothing, and the next honest read converges', async () => {
    elder.reset();
    peer.mode = 'honest';
    const statePath = join(dir, `${mode}.db`);
    const first = await sync(statePath);
    expect(first.scopes.map((s) => `${s.status} ${s.error ?? ''}`)).toEqual(['ok ']);
    const users = () => elder.entities().filter((e) => e['entity_type'] === 'user' || e['type'] === 'user' || e['name']?.toString().startsWith('User '));
    const before = elder.entities().map((e) => e['id']).sort();
    expect(users()).toHaveLength(7);

    peer.mode = mode;
    const started = Date.now();
    const lied = await sync(statePath);
    const elapsed = Date.now() - started;
    const errors = lied.scopes.map((s) => `${s.scope}: ${s.status} ${s.error ?? ''}`).join('\n');
    expect(lied.scopes.every((s) => s.status === 'failed'), errors).toBe(true);
    expect(errors).toMatch(named);
    expect(elapsed, errors).toBeLessThan(BOUND_MS);
    expect(elder.entities().map((e) => e['id']).sort(), 'nothing deleted, nothing added').toEqual(before);

    peer.mode = 'honest';
    const clean = await sync(statePath);
    expect(clean.scopes.map((s) => `${s.status} ${s.error ?? ''}`)).toEqual(['ok ']);
    expect(elder.entities().map((e) => e['id']).sort()).toEqual(before);
    const next = await sync(statePath, 'plan');
    expect(next.totals.create + next.totals.update + next.totals.delete).toBe(0);
  });
});
