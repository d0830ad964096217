import { SourceError } from '@elder-sync/connector-sdk';

/**
 * A delta token Graph no longer accepts (410 Gone, `resyncRequired` / `syncStateNotFound`): the
 * reader starts the delta over from the beginning, a full read, without failing the scope.
 */
export class DeltaExpiredError extends SourceError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, code: 'GRAPH_DELTA_EXPIRED' });
  }
}

/** An answer that is not what the API documents (not JSON, no `value` list). */
export class UnexpectedResponseError extends SourceError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, code: 'GRAPH_UNEXPECTED_RESPONSE' });
  }
}
