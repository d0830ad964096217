/**
 * An entry as the rest of the connector sees it: attribute names lower-cased (servers answer with
 * the schema's spelling, not the one requested: AD says `objectGUID`, OpenLDAP echoes `entryuuid` as
 * `entryUUID`), every value an array, binary attributes as lower-case hex.
 */
export interface LdapEntry {
  dn: string;
  attrs: Record<string, string[]>;
}

export function values(entry: LdapEntry, name: string): string[] {
  return entry.attrs[lowerName(name)] ?? [];
}

/**
 * Attribute names are few and repeat on every entry (`entryUUID`, `givenName`); lower-casing one
 * allocates a new string each time, so each spelling is lower-cased once. Bounded like any cache of
 * names that come from a server.
 */
const LOWER_NAMES = new Map<string, string>();
const LOWER_NAMES_LIMIT = 512;

export function lowerName(name: string): string {
  let lower = LOWER_NAMES.get(name);
  if (lower === undefined) {
    lower = name.toLowerCase();
    if (LOWER_NAMES.size >= LOWER_NAMES_LIMIT) LOWER_NAMES.clear();
    LOWER_NAMES.set(name, lower);
  }
  return lower;
}

/** First value, or `null` when the attribute is absent or empty (so a removed value clears it in Elder). */
export function first(entry: LdapEntry, name: string): string | null {
  const v = values(entry, name)[0];
  return v === undefined || v === '' ? null : v;
}
