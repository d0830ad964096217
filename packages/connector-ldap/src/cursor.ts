import type { JsonValue } from '@elder-sync/connector-sdk';

/**
 * The checkpoint this connector writes: which attribute the value belongs to, so that a cursor taken
 * on one server flavour is never applied as another's (a modifyTimestamp compared with entryCSN).
 */
// A type alias (not an interface) so it is assignable to JsonValue's index signature.
export type LdapCursor = {
  v: 1;
  attribute: string;
  value: string;
};

export function parseCursor(checkpoint: JsonValue | null, attribute: string): LdapCursor | undefined {
  if (checkpoint === null || typeof checkpoint !== 'object' || Array.isArray(checkpoint)) return undefined;
  const c = checkpoint as Record<string, JsonValue>;
  if (c.v !== 1 || typeof c.value !== 'string' || c.value === '' || c.attribute !== attribute) return undefined;
  return { v: 1, attribute, value: c.value };
}

/** Highest value of the cursor attribute among the entries seen (string order works for CSNs and generalized time of one format). */
export class CursorTracker {
  private max: string | undefined;
  constructor(readonly attribute: string) {}

  see(value: string | null): void {
    if (value !== null && (this.max === undefined || value > this.max)) this.max = value;
  }

  get highest(): string | undefined {
    return this.max;
  }
}
