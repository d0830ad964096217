/**
 * What a connector logs through. The engine supplies the implementation (JSON lines, secrets
 * redacted, `runId`/`source`/`scope` bound); a connector never picks a logging library.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose every line also carries `fields` (runId, source, scope). */
  child(fields: LogFields): Logger;
}

const noop = (): void => {};

/** Discards everything: for tests and for callers that have nowhere to log. */
export const silentLogger: Logger = {
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: () => silentLogger,
};
