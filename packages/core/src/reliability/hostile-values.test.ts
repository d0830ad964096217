import { startElderEmulator, type ElderEmulator } from '@elder-sync/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineConnector } from '../connector.js';
import type { JsonObject } from '../json.js';
import { createLogger } from '../logger.js';
import type { SourceRecord } from '../record.js';
import { ATTRIBUTE_VALUE_MAX } from '../sync/sanitize.js';
import { Harness, ROOT } from './harness.js';
import { unstampedEntities } from './invariant.js';

/**
 * Hostile values flowing through a sync (issue 4, bad-input corpus, engine side): every case either
 * syncs with a safe form and a warning naming the record, or keeps the value verbatim when Elder
 * takes it as is. Never a crash, never a failed scope, never an entity without its stamp, and the
 * second run writes nothing (the safe form is stable).
 */

const long = (n: number, unit = 'x') => unit.repeat(n);
const user = (externalId: string, name: string, attributes: JsonObject = {}, extra: Partial<SourceRecord> = {}): SourceRecord => ({
  kind: 'user',
  externalId,
  name,
  attributes: { uid: externalId, ...attributes },
  organizationPath: ['People'],
  ...extra,
});

interface Case {
  name: string;
  records: SourceRecord[];
  /** Entity name Elder must hold for the first record. */
  elderName?: string;
  /** Attributes Elder must hold for the first record. */
  attributes?: JsonObject;
  /** Organization path (below the root) of the first record. */
  path?: string[];
  /** A warning naming the record is expected. */
  warns: boolean;
}

const tenMb = long(10 * 1024 * 1024, 'A');
const CASES: Case[] = [
  { name: 'a name of 300 characters', records: [user('u1', long(300))], elderName: long(254) + '…', warns: true },
  { name: 'a name of 300 emoji (surrogate pairs never split)', records: [user('u1', long(300, '😀'))], elderName: long(254, '😀') + '…', warns: true },
  { name: 'a name with NUL bytes', records: [user('u1', 'Ali\u0000ce')], elderName: 'Alice', warns: true },
  { name: 'a name with control characters and an ANSI escape', records: [user('u1', 'Bob\n\t\u001b[31mred')], elderName: 'Bob\n\t\u001b[31mred', warns: false },
  { name: 'an empty name', records: [user('u-empty', '')], elderName: 'u-empty', warns: true },
  { name: 'a whitespace-only name', records: [user('u-blank', '  \t ')], elderName: 'u-blank', warns: true },
  {
    name: 'LDAP filter metacharacters',
    records: [user('u1', '*)(uid=*))(|(uid=*', { cn: '*()\\\u0000'.replace('\u0000', ''), filter: '(&(objectClass=*)(cn=\\2a))' })],
    elderName: '*)(uid=*))(|(uid=*',
    attributes: { cn: '*()\\', filter: '(&(objectClass=*)(cn=\\2a))' },
    warns: false,
  },
  {
    name: 'a DN injection attempt in the id, the name and the attributes',
    records: [user('cn=x,dc=evil', 'admin,dc=evil', { ldap_dn: 'cn=x\\,dc=evil,ou=People,dc=example,dc=test' })],
    elderName: 'admin,dc=evil',
    attributes: { ldap_dn: 'cn=x\\,dc=evil,ou=People,dc=example,dc=test' },
    warns: false,
  },
  {
    name: 'path traversal and separators in organization names',
    records: [user('u1', 'Carol', {}, { organizationPath: ['..', 'a / b', 'dc=evil'] })],
    path: ['..', 'a / b', 'dc=evil'],
    warns: false,
  },
  { name: 'an organization name of 300 characters', records: [user('u1', 'Dave', {}, { organizationPath: [long(300, 'o')] })], path: [long(254, 'o') + '…'], warns: true },
  { name: 'lone surrogates (invalid UTF-16)', records: [user('u1', 'Eve\uD800', { title: 'x\uDC00y' })], elderName: 'Eve\uFFFD', attributes: { title: 'x\uFFFDy' }, warns: true },
  {
    name: 'bytes that were not UTF-8 (decoded to U+FFFD by the connector)',
    records: [user('u1', Buffer.from([0x46, 0xff, 0xfe, 0x6b]).toString('utf8'), { note: Buffer.from([0xc3, 0x28]).toString('utf8') })],
    elderName: 'F\uFFFD\uFFFDk',
    attributes: { note: '\uFFFD(' },
    warns: false,
  },
  { name: 'a 10 MB attribute value', records: [user('u1', 'Frank', { description: tenMb })], attributes: { description: long(ATTRIBUTE_VALUE_MAX - 1, 'A') + '…' }, warns: true },
  { name: 'a 10 MB value inside a list attribute', records: [user('u1', 'Grace', { photos: ['ok', tenMb] })], attributes: { photos: ['ok', long(ATTRIBUTE_VALUE_MAX - 1, 'A') + '…'] }, warns: true },
  { name: 'a NUL in an attribute key and a tag', records: [user('u1', 'Heidi', { 'ti\u0000tle': 'boss' }, { tags: ['a\u0000b'] })], attributes: { title: 'boss' }, warns: true },
  {
    name: 'an attribute spoofing the ownership stamp',
    records: [user('u1', 'Ivan', { elder_sync: { key: 'other/user/x', source: 'other' } })],
    elderName: 'Ivan',
    warns: false,
  },
  { name: 'an external id of 10 000 characters', records: [user(long(10_000, 'i'), 'Judy')], elderName: 'Judy', warns: false },
];

let emulator: ElderEmulator;
beforeAll(async () => {
  emulator = await startElderEmulator();
});
afterAll(async () => {
  await emulator.close();
});
beforeEach(() => emulator.reset());

describe.each(CASES)('hostile value: $name', (c) => {
  it('syncs safely, says so when it changed the value, and the next run writes nothing', async () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'warn', format: 'json', write: (l) => lines.push(l) });
    const connector = defineConnector({
      apiVersion: 1,
      id: 'hostile',
      configSchema: z.object({}),
      kinds: { user: { target: 'entity', entityType: 'user', subType: 'person' } },
      scopes: () => [{ id: 'dir', label: 'hostile directory' }],
      testConnection: async () => [],
      async *read() {
        for (const record of c.records) yield { type: 'record' as const, record: structuredClone(record) };
      },
    });
    const harness = new Harness(emulator, () => connector);
    try {
      const first = await harness.run('apply', { log });
      expect(first.report.scopes.map((s) => [s.status, s.error])).toEqual([['ok', null]]);
      expect(unstampedEntities(emulator)).toEqual([]);
      const entities = emulator.entities();
      expect(entities).toHaveLength(c.records.length);
      const entity = entities[0]!;
      if (c.elderName !== undefined) expect(entity['name']).toBe(c.elderName);
      const metadata = entity['metadata'] as JsonObject;
      for (const [k, v] of Object.entries(c.attributes ?? {})) expect(metadata[k], `attribute ${k}`).toEqual(v);
      expect((metadata['elder_sync'] as JsonObject)['source']).toBe('corp');
      if (c.path) {
        const orgs = new Map(emulator.organizations().map((o) => [o['id'], o]));
        const names: string[] = [];
        for (let o = orgs.get(entity['organization_id']); o; o = orgs.get(o['parent_id'])) names.unshift(o['name'] as string);
        expect(names).toEqual([...ROOT, ...c.path]);
      }
      const warnings = lines.filter((l) => l.includes('"level":"warn"') && l.includes('made safe for Elder'));
      if (c.warns) expect(warnings.length, lines.join('\n')).toBeGreaterThan(0);
      else expect(warnings, lines.join('\n')).toEqual([]);

      const writes = emulator.stats().writes;
      const second = await harness.run('apply', { log });
      expect(second.ok).toBe(true);
      expect(second.changes.map((ch) => `${ch.action} ${ch.key}`)).toEqual([]);
      expect(emulator.stats().writes).toBe(writes);
    } finally {
      harness.dispose();
    }
  });
});
