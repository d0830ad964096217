import { createLogger, type ConnectorDefinition, type JsonValue, type ReadItem, type Scope, type SourceRecord } from '@elder-sync/core';

/** Everything one `read()` of one scope produced, and every log line written meanwhile. */
export interface ReadResult {
  items: ReadItem[];
  logs: string[];
}

/** A logger that keeps its lines (at debug level: a secret must not leak at any level). */
export function capturingLogger(lines: string[]) {
  return createLogger({ level: 'debug', format: 'json', write: (line) => lines.push(line) });
}

export async function readScope(
  connector: ConnectorDefinition<unknown>,
  config: unknown,
  scope: Scope,
  mode: 'full' | 'incremental',
  checkpoint: JsonValue | null,
): Promise<ReadResult> {
  const logs: string[] = [];
  const items: ReadItem[] = [];
  const signal = new AbortController().signal;
  for await (const item of connector.read({ config, scope, log: capturingLogger(logs), signal, mode, checkpoint })) {
    items.push(item);
  }
  return { items, logs };
}

export const recordsOf = (items: readonly ReadItem[]): SourceRecord[] =>
  items.flatMap((i) => (i.type === 'record' ? [i.record] : []));

export const keyOf = (r: { kind: string; externalId: string }): string => `${r.kind}/${r.externalId}`;

/** The cursor a runner would store after this read: the last checkpoint item, if any. */
export function lastCheckpoint(items: readonly ReadItem[]): JsonValue | undefined {
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i]!;
    if (item.type === 'checkpoint') return item.cursor;
  }
  return undefined;
}
