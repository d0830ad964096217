import { setImmediate } from 'node:timers/promises';
import type { KindSpec, Scope } from '../connector.js';
import { SourceError, errorMessage } from '../errors.js';
import type { JsonValue } from '../json.js';
import type { Logger } from '../logger.js';
import type { SourceRecord } from '../record.js';
import { entityKey } from './projection.js';
import { sanitizeRecord } from './sanitize.js';
import type { SourceContext } from './source-context.js';

/** What the read of a scope yields to the planner: a safe record with its kind's spec, or a deletion. */
export type ReadEvent =
  | { type: 'record'; record: SourceRecord; spec: KindSpec }
  | { type: 'deleted'; kind: string; externalId: string; spec: KindSpec };

/** What a read learnt besides the records: its cursor, what it could not read completely, counts. */
export interface ReadOutcome {
  /** The last cursor the connector yielded (undefined: none). */
  cursor: JsonValue | null | undefined;
  /** Kinds the connector said it did not read completely, with its reason. */
  incomplete: Map<string, string>;
  /** Records read, per kind. */
  readCounts: Map<string, number>;
}

/**
 * Step 2 of a sync: the connector's read of one scope, as events for the planner. Drops kinds outside
 * `--only`, refuses kinds the connector did not declare, and makes hostile values safe (NUL, lone
 * surrogates, names > 255, 10 MB attributes) with a warning, before hashing, so the safe form is what
 * is planned, written and compared. `outcome` is complete once the generator is done.
 */
export async function* readScope(
  ctx: SourceContext,
  scope: Scope,
  read: { mode: 'full' | 'incremental'; checkpoint: JsonValue | null },
  outcome: ReadOutcome,
  log: Logger,
): AsyncGenerator<ReadEvent> {
  const { connector, source } = ctx;
  const turns = new LoopTurns();
  try {
    for await (const item of connector.read({ config: ctx.connectorConfig, scope, log, signal: ctx.signal, ...read })) {
      if (turns.due()) await setImmediate();
      ctx.signal.throwIfAborted();
      if (item.type === 'checkpoint') {
        // With --only, the records of the other kinds are dropped, so the cursor (which covers every
        // kind: Graph delta links, LDAP's change time) must not move, or their changes would be lost.
        if (!ctx.only) outcome.cursor = item.cursor;
        continue;
      }
      if (item.type === 'incomplete') {
        outcome.incomplete.set(item.kind, item.reason);
        continue;
      }
      const kind = item.type === 'record' ? item.record.kind : item.kind;
      if (ctx.only && !ctx.only.has(kind)) continue;
      const spec = connector.kinds[kind];
      if (!spec) throw new SourceError(`connector ${connector.id} emitted undeclared kind "${kind}"`, { code: 'CONNECTOR_UNDECLARED_KIND' });
      if (item.type === 'deleted') {
        yield { type: 'deleted', kind, externalId: item.externalId, spec };
        continue;
      }
      outcome.readCounts.set(kind, (outcome.readCounts.get(kind) ?? 0) + 1);
      const record = sanitizeRecord(item.record, entityKey(source.name, kind, item.record.externalId), log);
      yield { type: 'record', record, spec };
    }
  } catch (error) {
    throw error instanceof SourceError
      ? error
      : new SourceError(`reading ${source.name} (${scope.label}) failed: ${errorMessage(error)}`, { cause: error });
  }
}

/**
 * A connector that yields many records without waiting on I/O (a page already in memory, a
 * synthetic source) would keep the event loop from everything else while its records are planned:
 * Elder's answers to writes in flight, timers, signals. `due` says when to give the loop a turn:
 * TURN_EVERY_MS after the last one (looking at the clock every CHECK_EVERY records). Synchronous, so
 * a record costs no extra promise.
 */
class LoopTurns {
  private records = 0;
  private last = performance.now();

  due(): boolean {
    if (++this.records % CHECK_EVERY !== 0) return false;
    const now = performance.now();
    if (now - this.last < TURN_EVERY_MS) return false;
    this.last = now;
    return true;
  }
}

const CHECK_EVERY = 16;
const TURN_EVERY_MS = 2;
