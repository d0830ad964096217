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
  return entry.attrs[name.toLowerCase()] ?? [];
}

/** First value, or `null` when the attribute is absent or empty (so a removed value clears it in Elder). */
export function first(entry: LdapEntry, name: string): string | null {
  const v = values(entry, name)[0];
  return v === undefined || v === '' ? null : v;
}
