import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { redact } from './secrets.js';

import type { LogFields, LogLevel, Logger } from '@elder-sync/connector-sdk';

export { silentLogger, type LogFields, type LogLevel, type Logger } from '@elder-sync/connector-sdk';

export interface LoggerOptions {
  level?: LogLevel;
  format?: 'json' | 'pretty';
  /** Receives each finished line (no trailing newline); default: stderr. */
  write?: (line: string) => void;
  bindings?: LogFields;
}

/**
 * pino JSON lines (or a short human form) on stderr (DESIGN §7). Every line passes through the
 * secret registry on its way out, in the destination: a secret inside any field, message or error
 * text is caught there whatever key it sits under, which pino's path-based `redact` cannot do.
 *
 * Levels are written as names (`"level":"info"`) and times as ISO strings: people grep these lines
 * and collectors map names without a table. No pid/hostname: the collector knows where a line came from.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const format = options.format ?? 'json';
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const destination: DestinationStream = {
    write(chunk: string) {
      const line = chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk;
      write(redact(format === 'json' ? line : prettyLine(line)));
    },
  };
  const root = pino(
    {
      level: options.level ?? 'info',
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  return wrap(options.bindings && Object.keys(options.bindings).length > 0 ? root.child(safeFields(options.bindings)) : root);
}

function wrap(p: PinoLogger): Logger {
  // A line below the level costs nothing: the fields are not even looked at (every Elder request
  // logs one at debug).
  const at = (level: 'debug' | 'info' | 'warn' | 'error') => (m: string, f?: LogFields) => {
    if (!p.isLevelEnabled(level)) return;
    if (f) p[level](safeFields(f), m);
    else p[level](m);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (fields) => wrap(p.child(safeFields(fields))) };
}

/** pino would print an `Error` under any key but `err` as `{}`, and a bigint would throw. */
function safeFields(fields: LogFields): LogFields {
  let out: LogFields | null = null;
  for (const [key, value] of Object.entries(fields)) {
    let safe = value;
    if (value instanceof Error) safe = { name: value.name, message: value.message, code: (value as { code?: unknown }).code };
    else if (typeof value === 'bigint') safe = value.toString();
    if (safe !== value) (out ??= { ...fields })[key] = safe;
  }
  return out ?? fields;
}

const PRETTY_SKIP = new Set(['level', 'time', 'msg']);

/**
 * `INFO  message  key=value ...` from a pino JSON line. A dozen lines instead of pino-pretty: that
 * package brings a worker-thread transport and a dozen dependencies for what is one line per log call,
 * and the line must still pass through `redact` synchronously.
 */
export function prettyLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const context = Object.entries(entry)
    .filter(([k]) => !PRETTY_SKIP.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  const level = String(entry.level ?? '').toUpperCase();
  return `${level.padEnd(5)} ${String(entry.msg ?? '')}${context ? `  ${context}` : ''}`;
}
