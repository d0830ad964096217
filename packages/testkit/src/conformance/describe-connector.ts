import {
  CONNECTOR_API_VERSION,
  discoverScopes,
  validateConnector,
  type ConnectionCheck,
  type ConnectorDefinition,
  type JsonObject,
  type JsonValue,
  type Scope,
} from '@elder-sync/connector-sdk';
import { secretPaths, secretValues } from '@elder-sync/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderJsonSchema, secretPathsNotWriteOnly } from './json-schema.js';
import { capturingLogger, keyOf, lastCheckpoint, readScope, recordsOf, type ReadResult } from './read.js';
import { itemProblems } from './record-problems.js';
import type { AnyConnector, ConnectorFake, DescribeConnectorOptions } from './types.js';

/** Secrets shorter than this are not searched for: "ab" occurs in ordinary text by chance. */
export const MIN_SECRET_LENGTH = 4;

/**
 * The conformance suite every elder-sync connector passes (first-party and third-party alike),
 * modelled on the Singer SDK's standard tap tests: one call in a vitest file registers a `describe`
 * block whose tests check the contract the core relies on.
 *
 * - the export passes the CLI's structural check (the same `validateConnector` the CLI runs);
 * - the config schema parses the test config and renders as JSON Schema, secret fields write-only;
 * - `scopes()` gives unique ids; `testConnection()` passes every check against the fake;
 * - a full read yields every declared kind, valid records, unique non-empty keys;
 * - two full reads give identical, identically ordered output;
 * - from the last checkpoint, an incremental read returns nothing while nothing changed, and
 *   exactly what `fake.change()` touched after it did;
 * - no secret value (from the schema's `secret()` marks, or `options.secrets`) appears in any
 *   record, checkpoint, check or log line.
 *
 * The tests share the fake and run in order; the delta test changes the fake, so it runs last
 * but one. Reads use the connector exactly as the runner does: `scopes(config)`, then `read()`.
 */
export function describeConnector(connector: AnyConnector, options: DescribeConnectorOptions = {}): void {
  const id = (connector as { id?: unknown } | null)?.id;
  const c = connector as ConnectorDefinition<unknown>;

  describe(options.title ?? `connector "${typeof id === 'string' ? id : '?'}" conformance`, () => {
    let fake: ConnectorFake | undefined;
    let rawConfig: JsonObject = {};
    /** Everything the connector emitted in this suite, for the secrets check. */
    const transcript: unknown[] = [];
    let scopesMemo: Promise<Scope[]> | undefined;
    let firstReadMemo: Promise<Map<string, ReadResult>> | undefined;
    let checksMemo: Promise<Map<string, ConnectionCheck[]>> | undefined;

    beforeAll(async () => {
      fake = options.fake ? await options.fake() : undefined;
      rawConfig = { ...(options.config ?? {}), ...(fake?.config ?? {}) };
    });
    afterAll(async () => {
      await fake?.close();
    });

    const parsedConfig = (): unknown => {
      const parsed = c.configSchema.safeParse(rawConfig);
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`).join('; ');
        throw new Error(`the test config does not parse: ${issues}`);
      }
      return parsed.data;
    };
    // As the runner does: a fixed list or a discovery; against the fake, discovery must see everything.
    const scopes = () =>
      (scopesMemo ??= Promise.resolve().then(async () => {
        const logs: string[] = [];
        transcript.push({ discoveryLogs: logs });
        const discovery = await discoverScopes(c, parsedConfig(), { log: capturingLogger(logs), signal: new AbortController().signal });
        const failed = discovery.failed.map((f) => `${f.id}: ${f.error instanceof Error ? f.error.message : String(f.error)}`);
        if (failed.length > 0) throw new Error(`scope discovery failed against the fake: ${failed.join('; ')}`);
        return discovery.scopes;
      }));
    const readAll = async (mode: 'full' | 'incremental', checkpoints?: Map<string, JsonValue | undefined>) => {
      const config = parsedConfig();
      const out = new Map<string, ReadResult>();
      for (const scope of await scopes()) {
        const result = await readScope(c, config, scope, mode, checkpoints?.get(scope.id) ?? null);
        transcript.push(result);
        out.set(scope.id, result);
      }
      return out;
    };
    const firstRead = () => (firstReadMemo ??= readAll('full'));
    const checks = () =>
      (checksMemo ??= (async () => {
        const config = parsedConfig();
        const out = new Map<string, ConnectionCheck[]>();
        for (const scope of await scopes()) {
          const logs: string[] = [];
          const result = await c.testConnection({ config, scope, log: capturingLogger(logs), signal: new AbortController().signal });
          transcript.push({ result, logs });
          out.set(scope.id, result);
        }
        return out;
      })());
    const allRecords = (reads: Map<string, ReadResult>) => [...reads.values()].flatMap((r) => recordsOf(r.items));

    it('passes the structural contract check the CLI applies', () => {
      try {
        validateConnector(connector, `connector ${String(id)}`);
      } catch (error) {
        // The CLI's own words ("read must be a function"), not a truncated "expected not to throw".
        throw new Error((error as Error).message);
      }
      expect(c.apiVersion).toBe(CONNECTOR_API_VERSION);
    });

    it('parses the test config with its config schema', () => {
      parsedConfig(); // throws with every issue
    });

    it('renders its config schema as JSON Schema, with secret fields write-only', () => {
      const jsonSchema = renderJsonSchema(c.configSchema);
      expect(jsonSchema['type']).toBe('object');
      expect(JSON.parse(JSON.stringify(jsonSchema))).toEqual(jsonSchema);
      expect(secretPathsNotWriteOnly(jsonSchema, secretPaths(c.configSchema)), 'secret fields shown as ordinary fields').toEqual([]);
    });

    it('fans out into at least one scope with unique, non-empty ids and labels', async () => {
      const list = await scopes();
      expect(list.length).toBeGreaterThan(0);
      for (const scope of list) {
        expect(scope.id, 'scope id').toMatch(/\S/);
        expect(typeof scope.label, `label of scope ${scope.id}`).toBe('string');
      }
      expect(new Set(list.map((s) => s.id)).size, 'scope ids are unique').toBe(list.length);
    });

    it('passes testConnection against the fake', async () => {
      const failed = [...(await checks()).entries()].flatMap(([scope, list]) => {
        expect(list.length, `testConnection of scope ${scope} returns at least one check`).toBeGreaterThan(0);
        return list.filter((check) => !check.ok).map((check) => `${scope} · ${check.name}: ${check.detail ?? 'failed'}${check.missing?.length ? ` (missing ${check.missing.join(', ')})` : ''}`);
      });
      expect(failed, 'failed checks').toEqual([]);
    });

    it('yields records of every declared kind, each valid, with unique non-empty keys', async () => {
      const reads = await firstRead();
      const problems = [...reads.entries()].flatMap(([scope, r]) => r.items.flatMap((item, i) => itemProblems(item, c.kinds, `scope ${scope} item ${i}`)));
      expect(problems, 'invalid items').toEqual([]);

      const records = allRecords(reads);
      const seen = new Set<string>();
      const duplicates = new Set<string>();
      for (const r of records) (seen.has(keyOf(r)) ? duplicates : seen).add(keyOf(r));
      // Keys are <source>/<kind>/<externalId>: unique across every scope of a source, not just one.
      expect([...duplicates], 'duplicate kind/externalId keys').toEqual([]);

      const yielded = new Set(records.map((r) => r.kind));
      const missing = Object.keys(c.kinds).filter((kind) => !yielded.has(kind));
      expect(missing, 'declared kinds the fake produced no record of (give the fake one of each)').toEqual([]);
    });

    it('gives identical, identically ordered output on two full reads', async () => {
      const first = await firstRead();
      const second = await readAll('full');
      for (const [scope, r] of first) {
        const again = second.get(scope)!;
        // Cursors may legitimately move (a server clock); everything else must repeat exactly.
        const shape = (items: ReadResult['items']) => items.map((item) => (item.type === 'checkpoint' ? { type: 'checkpoint' } : item));
        expect(shape(again.items), `second full read of scope ${scope}`).toEqual(shape(r.items));
      }
    });

    it('from its last checkpoint, reads only what changed', async (ctx) => {
      const first = await firstRead();
      const cursors = new Map([...first.entries()].map(([scope, r]) => [scope, lastCheckpoint(r.items)]));
      if ([...cursors.values()].every((cursor) => cursor === undefined)) {
        ctx.skip('the connector yields no checkpoint in a full read, so it has no incremental reads');
        return;
      }
      const quiet = allRecords(await readAll('incremental', cursors));
      expect(quiet.map(keyOf), 'records of an incremental read while nothing changed').toEqual([]);
      if (fake?.change === undefined) return;

      const touched = await fake.change();
      expect(touched.length, 'fake.change() reports the records it touched').toBeGreaterThan(0);
      const delta = allRecords(await readAll('incremental', cursors));
      expect([...new Set(delta.map(keyOf))].sort(), 'records of an incremental read after fake.change()').toEqual(
        [...new Set(touched.map(keyOf))].sort(),
      );
    });

    it('never lets a secret into records, checkpoints, checks or logs', async () => {
      await firstRead();
      await checks();
      const secrets = [
        ...new Set([...secretValues(c.configSchema, rawConfig), ...secretValues(c.configSchema, parsedConfig()), ...(options.secrets ?? [])]),
      ].filter((s) => s.length >= MIN_SECRET_LENGTH);
      const text = JSON.stringify(transcript);
      expect(secrets.filter((s) => text.includes(s)).map((s) => `${s.slice(0, 2)}…(${s.length} chars)`), 'secrets found in output').toEqual([]);
    });
  });
}
