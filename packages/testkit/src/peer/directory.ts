/**
 * What every throwaway directory server of the testkit offers (OpenLDAP, Samba AD, 389-DS), so a
 * test can run the same scenario against each vendor.
 */
export interface DirectoryPeer {
  /** Which server this is. */
  readonly vendor: 'openldap' | 'samba-ad' | '389ds';
  /** `ldap://<host>:<port>` (StartTLS works on it too). */
  url: string;
  /** `ldaps://<host>:<ldapsPort>`, certificate signed by `caFile`. */
  ldapsUrl: string;
  host: string;
  port: number;
  ldapsPort: number;
  /** The suffix / domain naming context, as the server spells it. */
  baseDn: string;
  /** A non-administrative account that can read the directory. */
  bindDn: string;
  bindPassword: string;
  /** An account that may write. */
  adminDn: string;
  adminPassword: string;
  /** PEM of the throwaway CA that signed the server certificate. */
  caFile: string;
  dir: string;
  pid: number;
  /** `ldapadd` the LDIF text as the admin. */
  add(ldif: string): Promise<void>;
  /** `ldapmodify` the LDIF text (changetype records) as the admin. */
  modify(ldif: string): Promise<void>;
  /** Delete one entry as the admin. */
  delete(dn: string): Promise<void>;
  /** Stops the server and removes its temp dir if the launcher made it. Idempotent. */
  stop(): Promise<void>;
}
