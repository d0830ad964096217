/**
 * The connector against a real OpenLDAP server (slapd on loopback, started by @elder-sync/testkit)
 * loaded with the sample directory: 8 OUs, 10 people, 4 groups.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SourceError, silentLogger, type JsonValue, type ReadItem, type SourceRecord } from '@elder-sync/connector-sdk';
import {
  DIRECTORY_VENDORS,
  SAMPLE_LDIF,
  sampleBaseDn,
  sampleUserDn,
  startSampleDirectory,
  startSlapd,
  type DirectoryPeer,
  type DirectoryVendor,
  type SlapdPeer,
  type SambaAdPeer,
  start389Ds,
} from '@elder-sync/testkit';
import { normalizeDn } from './dn.js';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFile as readFileAsync } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import connector from './index.js';
import type { LdapConfig } from './config.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const BOB = 'uid=bob,ou=Engineering,ou=People,ou=Corp,dc=example,dc=test';

/** The sample's people and groups by name, with the groups each one is a direct member of. */
const SAMPLE_MEMBERSHIPS = {
  engineering: ['all-staff'],
  'Sales, EMEA': ['all-staff'],
  'all-staff': [],
  developers: [],
  'Alice Archer': ['engineering'],
  'Bob Baker': ['developers', 'engineering'],
  'Carol Chen': ['developers', 'engineering'],
  'Dave Dawson': ['developers', 'engineering'],
  'Erin Evans': ['Sales, EMEA'],
  'Frank Foster': ['Sales, EMEA'],
  'Grace Garcia': ['Sales, EMEA'],
  'Heidi Hughes': ['all-staff'],
  'Iván Núñez': ['all-staff'],
  'Judy Jones': [],
};

/** A certificate for "elsewhere.test" only, signed by the peer's own CA: trusted, but for another host. */
async function otherHostCertificate(tlsDir: string): Promise<{ key: Buffer; cert: Buffer }> {
  const run = promisify(execFile);
  const ext = join(tlsDir, 'other.ext');
  await promisify((await import('node:fs')).writeFile)(ext, 'subjectAltName=DNS:elsewhere.test\n');
  await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(tlsDir, 'other.key'), '-out', join(tlsDir, 'other.csr'), '-subj', '/CN=elsewhere.test']);
  await run('openssl', ['x509', '-req', '-in', join(tlsDir, 'other.csr'), '-CA', join(tlsDir, 'ca.crt'), '-CAkey', join(tlsDir, 'ca.key'), '-CAcreateserial', '-days', '1', '-extfile', ext, '-out', join(tlsDir, 'other.crt')]);
  return { key: await readFileAsync(join(tlsDir, 'other.key')), cert: await readFileAsync(join(tlsDir, 'other.crt')) };
}

const discovery = () => ({ log: silentLogger, signal: new AbortController().signal });

/** A config for the sample below `ou=Corp` (AD's own containers, CN=Users and the rest, stay out). */
function configFor(peer: DirectoryPeer, overrides: Partial<Record<keyof LdapConfig, unknown>> = {}): LdapConfig {
  return connector.configSchema.parse({
    url: peer.url,
    bindDn: peer.bindDn,
    bindPassword: peer.bindPassword,
    baseDn: sampleBaseDn(peer),
    pageSize: 3,
    ...overrides,
  });
}

async function read(config: LdapConfig, mode: 'full' | 'incremental' = 'full', checkpoint: JsonValue | null = null): Promise<ReadItem[]> {
  const scope = (await connector.scopes(config, discovery()))[0]!;
  const items: ReadItem[] = [];
  for await (const item of connector.read({ config, scope, log: silentLogger, signal: new AbortController().signal, mode, checkpoint })) items.push(item);
  return items;
}

async function check(config: LdapConfig) {
  const scope = (await connector.scopes(config, discovery()))[0]!;
  return connector.testConnection({ config, scope, log: silentLogger, signal: new AbortController().signal });
}

const records = (items: ReadItem[]) => items.flatMap((i) => (i.type === 'record' ? [i.record] : []));
const ofKind = (items: ReadItem[], kind: string) => records(items).filter((r) => r.kind === kind);
const byName = (items: ReadItem[], name: string) => records(items).find((r) => r.name === name)!;
const lastCheckpoint = (items: ReadItem[]) => {
  const last = items[items.length - 1]!;
  expect(last.type).toBe('checkpoint');
  return (last as Extract<ReadItem, { type: 'checkpoint' }>).cursor;
};
/** Relations as group names, to compare directories whose entryUUIDs differ. */
function memberships(items: ReadItem[]): Record<string, string[]> {
  const nameOf = new Map(ofKind(items, 'group').map((g) => [g.externalId, g.name]));
  return Object.fromEntries(
    records(items)
      .filter((r) => r.kind !== 'ou')
      .map((r) => [r.name, (r.relations ?? []).map((rel) => nameOf.get(rel.externalId) ?? `?${rel.externalId}`).sort()]),
  );
}

async function readError(config: LdapConfig): Promise<SourceError> {
  try {
    await read(config);
  } catch (error) {
    return error as SourceError;
  }
  throw new Error('expected the read to fail');
}

const VENDOR_NAMES: Record<DirectoryVendor, string> = { openldap: 'OpenLDAP', 'samba-ad': 'Samba AD', '389ds': '389-DS' };
const sameDn = (a: unknown, b: string) => expect(normalizeDn(String(a))).toBe(normalizeDn(b));

describe.each(DIRECTORY_VENDORS.map((v) => [VENDOR_NAMES[v], v] as const))('full reads of the sample directory on %s', (_name, vendor) => {
  let peer: DirectoryPeer;
  let items: ReadItem[];
  beforeAll(async () => {
    peer = await startSampleDirectory(vendor);
    items = await read(configFor(peer));
  }, 180_000);
  afterAll(() => peer?.stop());

  it('returns 8 OUs, 4 groups and 10 people, each keyed by the immutable id', () => {
    expect(ofKind(items, 'ou')).toHaveLength(8);
    expect(ofKind(items, 'group')).toHaveLength(4);
    expect(ofKind(items, 'user')).toHaveLength(10);
    expect(records(items)).toHaveLength(22);
    for (const r of records(items)) expect(r.externalId).toMatch(UUID);
    expect(new Set(records(items).map((r) => r.externalId)).size).toBe(22);
  });

  it('emits OUs (parents first), then groups, then users, then one checkpoint', () => {
    const kinds = items.map((i) => (i.type === 'record' ? i.record.kind : i.type));
    expect(kinds).toEqual([...Array(8).fill('ou'), ...Array(4).fill('group'), ...Array(10).fill('user'), 'checkpoint']);
    const ous = ofKind(items, 'ou').map((o) => [...o.organizationPath!, o.name].join('/'));
    // Paths are relative to the base DN (ou=Corp): the base OU itself is the one without a parent.
    expect(ous).toEqual(['Corp', 'Groups', 'People', 'People/Engineering', 'People/Finance', 'People/Former', 'People/Sales', 'People/Engineering/Platform']);
    expect(lastCheckpoint(items)).toMatchObject(
      vendor === 'openldap'
        ? { v: 1, attribute: 'entryCSN', value: expect.stringMatching(/^\d{14}\.\d{6}Z#/) }
        : { v: 1, attribute: 'modifyTimestamp', value: expect.stringMatching(/^\d{14}(\.\d+)?Z$/) },
    );
  });

  it('maps people with their OU path and attributes; ldap_server names the directory, not the host', () => {
    const bob = byName(items, 'Bob Baker');
    expect(bob.organizationPath).toEqual(['People', 'Engineering']);
    sameDn(bob.attributes.ldap_dn, sampleUserDn(peer, 'bob'));
    expect({ ...bob.attributes, ldap_dn: null }).toEqual({
      ldap_dn: null,
      uid: 'bob',
      cn: 'Bob Baker',
      email: 'bob@example.test',
      first_name: 'Bob',
      last_name: 'Baker',
      display_name: 'Bob Baker',
      employee_number: '1002',
      title: 'Software Engineer',
      is_active: true,
      ldap_server: 'example.test',
      kind: 'person',
    });
    // dave has no displayName: named by cn, display_name cleared
    expect(byName(items, 'Dave Dawson').attributes.display_name).toBeNull();
  });

  it('shows accounts the directory disables as inactive (AD userAccountControl, 389 nsAccountLock)', () => {
    expect(byName(items, 'Judy Jones').attributes.is_active).toBe(vendor === 'openldap');
    expect(ofKind(items, 'user').filter((u) => u.attributes.is_active === false).length).toBe(vendor === 'openldap' ? 0 : 1);
  });

  it('decodes UTF-8 names', () => {
    const ivan = byName(items, 'Iván Núñez');
    expect(ivan.attributes).toMatchObject({ cn: 'Iván Núñez', first_name: 'Iván', last_name: 'Núñez', uid: 'ivan' });
  });

  it('reads the group whose DN has an escaped comma, and links its members to it', () => {
    const sales = byName(items, 'Sales, EMEA');
    sameDn(sales.attributes.ldap_dn, `cn=Sales\\2C EMEA,ou=Groups,ou=Corp,${peer.baseDn}`);
    expect(sales.attributes).toMatchObject({ group_name: 'Sales, EMEA', member_count: 3 });
    expect(sales.organizationPath).toEqual(['Groups']);
    expect(byName(items, 'Erin Evans').relations).toEqual([{ type: 'member_of', kind: 'group', externalId: sales.externalId }]);
  });

  it('links every direct membership once, nested groups included, and no transitive one', () => {
    expect(memberships(items)).toEqual(SAMPLE_MEMBERSHIPS);
    for (const r of records(items)) {
      const ids = (r.relations ?? []).map((x) => x.externalId);
      expect(ids).toEqual([...ids].sort());
    }
  });

  it('gives identical ordered output on a second read (the cursor is the server\u2019s clock where it has no change number)', async () => {
    const again = await read(configFor(peer));
    expect(records(again)).toEqual(records(items));
    expect(again.map((i) => i.type)).toEqual(items.map((i) => i.type));
  });

  it('gives the same records whatever the page size', async () => {
    expect(records(await read(configFor(peer, { pageSize: 500 })))).toEqual(records(items));
  });

  it('reads only the selected kinds', async () => {
    const users = await read(configFor(peer, { kinds: ['user'] }));
    expect(records(users).map((r) => r.kind)).toEqual(Array(10).fill('user'));
    expect(records(users)).toEqual(ofKind(items, 'user'));
  });

  it('reads the same records over LDAPS and StartTLS with the CA file, in the same scope', async () => {
    const ldaps = configFor(peer, { url: peer.ldapsUrl, caFile: peer.caFile });
    expect(records(await read(ldaps))).toEqual(records(items));
    const startTls = configFor(peer, { startTls: true, caFile: peer.caFile });
    expect(records(await read(startTls))).toEqual(records(items));
    const ids = await Promise.all([configFor(peer), ldaps, startTls].map(async (c) => (await connector.scopes(c, discovery()))[0]!.id));
    expect(new Set(ids)).toEqual(new Set([normalizeDn(sampleBaseDn(peer))]));
  });

  it('refuses an LDAPS server whose certificate the CA file does not vouch for, naming caFile', async () => {
    const error = await readError(configFor(peer, { url: peer.ldapsUrl }));
    expect(error).toBeInstanceOf(SourceError);
    expect(error.code).toBe('LDAP_TLS');
    expect(error.message).toMatch(/set caFile to the PEM of the CA/);
    const wrongCa = await readError(configFor(peer, { startTls: true, caFile: fileURLToPath(new URL('../package.json', import.meta.url)) }));
    expect(wrongCa.code).toBe('LDAP_TLS');
  });

  it('reports a wrong password as invalid credentials for the bind DN, without the password', async () => {
    const error = await readError(configFor(peer, { bindPassword: 'wrong-pw-7f3a9c' }));
    expect(error).toBeInstanceOf(SourceError);
    expect(error.code).toBe('LDAP_INVALID_CREDENTIALS');
    expect(error.message).toContain(`invalid credentials for ${peer.bindDn}`);
    expect(error.message).not.toContain('wrong-pw-7f3a9c');
  });

  it('reports a missing base DN with the search context', async () => {
    const error = await readError(configFor(peer, { baseDn: `ou=Nowhere,${peer.baseDn}` }));
    expect(error.code).toBe('LDAP_NO_SUCH_OBJECT');
    expect(error.message).toMatch(/^LDAP search at "ou=Nowhere,.*failed: no such object/);
  });

  it('passes testConnection over LDAPS with every check ok', async () => {
    const checks = await check(configFor(peer, { url: peer.ldapsUrl, caFile: peer.caFile }));
    expect(checks.map((c) => [c.name, c.ok])).toEqual([
      ['reachable', true],
      ['tls', true],
      ['bind', true],
      ['baseDn', true],
      ['pagedResults', true],
    ]);
  });

  it('names the failing check and what to fix, and marks later checks not checked', async () => {
    const checks = await check(configFor(peer, { bindPassword: 'wrong-pw-7f3a9c' }));
    expect(checks).toEqual([
      { name: 'reachable', ok: true, detail: expect.any(String) },
      { name: 'bind', ok: false, detail: expect.stringContaining('invalid credentials'), missing: ['bindDn', 'bindPassword'] },
      { name: 'baseDn', ok: false, detail: 'not checked: bind failed' },
      { name: 'pagedResults', ok: false, detail: 'not checked: bind failed' },
    ]);
    expect(JSON.stringify(checks)).not.toContain('wrong-pw-7f3a9c');
    const noBase = await check(configFor(peer, { baseDn: `ou=Nowhere,${peer.baseDn}` }));
    expect(noBase.find((c) => c.name === 'baseDn')).toMatchObject({ ok: false, missing: ['baseDn'] });
    const noCa = await check(configFor(peer, { url: peer.ldapsUrl }));
    expect(noCa.find((c) => c.name === 'tls')).toMatchObject({ ok: false, missing: ['caFile'] });
  });

  it.runIf(vendor === 'samba-ad')('hints at ldaps:// or StartTLS when AD requires transport encryption for simple binds', async () => {
    const ad = peer as SambaAdPeer;
    await ad.setRequireStrongAuth(true);
    try {
      const error = await readError(configFor(peer));
      expect(error.code).toBe('LDAP_ENCRYPTION_REQUIRED');
      expect(error.message).toMatch(/Transport encryption required.*use an ldaps:\/\/ url \(port 636\) or startTls: true/);
      const bindCheck = (await check(configFor(peer))).find((c) => c.name === 'bind');
      expect(bindCheck).toMatchObject({ ok: false, missing: ['url (ldaps://) or startTls'] });
      expect(records(await read(configFor(peer, { startTls: true, caFile: peer.caFile })))).toEqual(records(items));
    } finally {
      await ad.setRequireStrongAuth(false);
    }
  });

  it.runIf(vendor === 'openldap')('reports a certificate for another host name as a host-name mismatch, not as an untrusted CA', async () => {
    const tlsDir = join(peer.dir, 'tls');
    const other = await otherHostCertificate(tlsDir);
    const server = createTlsServer({ key: other.key, cert: other.cert }, (socket) => socket.destroy());
    const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
    try {
      const error = await readError(configFor(peer, { url: `ldaps://127.0.0.1:${port}`, caFile: peer.caFile, timeoutMs: 5000 }));
      expect(error.code).toBe('LDAP_TLS');
      expect(error.message).toMatch(/not issued for the host name "127\.0\.0\.1"/);
      expect(error.message).not.toMatch(/does not verify against caFile/);
    } finally {
      server.close();
    }
  });
});

describe('389-DS as people run it', () => {
  it('with the memberOf plugin on, still links each direct membership once and no transitive one; entries without entryUUID are keyed by nsUniqueId', async () => {
    const peer = await start389Ds({ ldif: [SAMPLE_LDIF], memberOf: true, entryUuid: false });
    try {
      const items = await read(configFor(peer));
      expect(items.filter((i) => i.type === 'incomplete')).toEqual([]);
      expect(memberships(items)).toEqual(SAMPLE_MEMBERSHIPS);
      expect(records(items)).toHaveLength(22);
      for (const r of records(items)) expect(r.externalId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/);
      // Forcing memberOf where it is transitive is refused (it would link bob to all-staff).
      expect(memberships(await read(configFor(peer, { membership: 'memberOf' })))).toEqual(SAMPLE_MEMBERSHIPS);
    } finally {
      await peer.stop();
    }
  }, 180_000);

  it('test-connectivity fails, naming the fix, when the bind account can see no entry below baseDn', async () => {
    const peer = await start389Ds({ ldif: [SAMPLE_LDIF], readAci: false });
    try {
      // The suffix entry itself is readable (389's default ACIs), nothing below it is.
      const checks = await check(configFor(peer, { baseDn: peer.baseDn }));
      expect(checks.find((c) => c.name === 'baseDn')).toMatchObject({
        ok: false,
        detail: expect.stringMatching(/cn=reader,dc=example,dc=test sees no OU, group or user below .*give it read access/),
        missing: ['read access for bindDn'],
      });
      // Below the suffix, not even the base entry is visible: the read fails instead of finding nothing.
      expect(checks.find((c) => c.name === 'pagedResults')).toMatchObject({ ok: true });
      await expect(read(configFor(peer))).rejects.toMatchObject({ code: 'LDAP_NO_SUCH_OBJECT', message: expect.stringMatching(/may also lack read access/) });
      expect((await check(configFor(peer))).find((c) => c.name === 'baseDn')).toMatchObject({ ok: false, detail: expect.stringMatching(/returned no entry.*may lack read access/) });
    } finally {
      await peer.stop();
    }
  }, 180_000);
});

describe('unreachable servers', () => {
  it('fails the read with the URL and reports reachable: false', async () => {
    // A port that was free a moment ago: bind and release it.
    const { createServer } = await import('node:net');
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const config = connector.configSchema.parse({
      url: `ldap://127.0.0.1:${port}`,
      bindDn: 'cn=reader,dc=example,dc=test',
      bindPassword: 'reader-secret',
      baseDn: 'dc=example,dc=test',
      timeoutMs: 2000,
    });
    const error = await readError(config);
    expect(error).toBeInstanceOf(SourceError);
    expect(error.code).toBe('LDAP_UNREACHABLE');
    expect(error.message).toContain(`cannot reach the LDAP server at ldap://127.0.0.1:${port}`);
    const checks = await check(config);
    expect(checks[0]).toMatchObject({ name: 'reachable', ok: false });
    expect(checks.slice(1).every((c) => !c.ok)).toBe(true);
  });
});

describe('incremental reads', () => {
  let peer: SlapdPeer;
  beforeAll(async () => {
    peer = await startSlapd({ ldif: [SAMPLE_LDIF] });
  });
  afterAll(() => peer?.stop());

  it('after a full read, returns nothing while nothing changed, then just the modified user', async () => {
    const config = configFor(peer);
    const full = await read(config);
    const cursor = lastCheckpoint(full);

    const quiet = await read(config, 'incremental', cursor);
    expect(records(quiet)).toEqual([]);
    expect(lastCheckpoint(quiet)).toEqual(cursor);

    await peer.modify(`dn: ${BOB}\nchangetype: modify\nreplace: title\ntitle: Staff Engineer\n`);
    const changed = await read(config, 'incremental', cursor);
    expect(records(changed).map((r) => [r.kind, r.name, r.attributes.title])).toEqual([['user', 'Bob Baker', 'Staff Engineer']]);
    // Relations still resolve: the group index is built from all groups, not just changed ones.
    expect(records(changed)[0]!.relations).toEqual(byName(full, 'Bob Baker').relations);
    const next = lastCheckpoint(changed) as { value: string };
    expect(next.value > (cursor as { value: string }).value).toBe(true);
    expect(records(await read(config, 'incremental', next))).toEqual([]);
  });

  it('reads everything when the checkpoint is missing or from another cursor attribute', async () => {
    const config = configFor(peer);
    expect(records(await read(config, 'incremental', null))).toHaveLength(22);
    expect(records(await read(config, 'incremental', { v: 1, attribute: 'modifyTimestamp', value: '20990101000000Z' }))).toHaveLength(22);
  });

  it('does not see deletions; a full read does', async () => {
    const config = configFor(peer);
    const cursor = lastCheckpoint(await read(config));
    await peer.delete('uid=judy,ou=Former,ou=People,ou=Corp,dc=example,dc=test');
    const incremental = await read(config, 'incremental', cursor);
    expect(incremental.filter((i) => i.type === 'deleted')).toEqual([]);
    expect(records(incremental).map((r) => r.name)).not.toContain('Judy Jones');
    const full = await read(config);
    expect(ofKind(full, 'user')).toHaveLength(9);
    expect(ofKind(full, 'user').map((r) => r.name)).not.toContain('Judy Jones');
  });
});

describe('membership without the memberof overlay', () => {
  let plain: SlapdPeer;
  let overlay: SlapdPeer;
  beforeAll(async () => {
    [plain, overlay] = await Promise.all([startSlapd({ ldif: [SAMPLE_LDIF], memberOf: false }), startSlapd({ ldif: [SAMPLE_LDIF] })]);
  });
  afterAll(async () => {
    await Promise.all([plain?.stop(), overlay?.stop()]);
  });

  it('falls back to the groups\u2019 member lists and finds the same memberships', async () => {
    const fromMembers = await read(configFor(plain));
    expect(memberships(fromMembers)).toEqual(memberships(await read(configFor(overlay))));
    expect(memberships(fromMembers)['Bob Baker']).toEqual(['developers', 'engineering']);
  });

  it('can be forced to the member lists on a server that has memberOf', async () => {
    const forced = await read(configFor(overlay, { membership: 'member' }));
    expect(memberships(forced)).toEqual(memberships(await read(configFor(overlay))));
  });
});

describe('module loading', () => {
  it('imports ldapts only lazily (no static import in any source file)', () => {
    const dir = fileURLToPath(new URL('.', import.meta.url));
    const offenders = readdirSync(dir)
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .filter((f) => /^import\s+(?!type\b)[^;]*from\s+'ldapts'/m.test(readFileSync(`${dir}/${f}`, 'utf8')));
    expect(offenders).toEqual([]);
    expect(readFileSync(`${dir}/client.ts`, 'utf8')).toContain("await import('ldapts')");
  });
});

// keep the SourceRecord type import used in helper signatures
export type { SourceRecord };
