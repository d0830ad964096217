import { SourceError } from '@elder-sync/connector-sdk';

/**
 * Stable codes for everything this connector raises. The runner decides on `code`, never on text;
 * messages carry the context a user needs (URL, DN, config key) and never the bind password.
 */
export const LdapErrorCode = {
  /** A DN in config or from the server does not parse (RFC 4514). */
  InvalidDn: 'LDAP_INVALID_DN',
  /** caFile cannot be read, or another local precondition failed. */
  Config: 'LDAP_CONFIG',
  Unreachable: 'LDAP_UNREACHABLE',
  Timeout: 'LDAP_TIMEOUT',
  Tls: 'LDAP_TLS',
  /** The server refuses simple binds over an unencrypted connection (AD "Transport encryption required", result 8). */
  EncryptionRequired: 'LDAP_ENCRYPTION_REQUIRED',
  InvalidCredentials: 'LDAP_INVALID_CREDENTIALS',
  NoSuchObject: 'LDAP_NO_SUCH_OBJECT',
  InsufficientAccess: 'LDAP_INSUFFICIENT_ACCESS',
  PagingUnsupported: 'LDAP_PAGING_UNSUPPORTED',
  /** Transient server states (busy 51, unavailable 52): worth a retry. */
  ServerBusy: 'LDAP_SERVER_BUSY',
  /** The server sent a message larger than one entry may be (wire-guard.ts). */
  ResponseTooLarge: 'LDAP_RESPONSE_TOO_LARGE',
  /** A paged search that does not end: a page sent again, or no end of pages (wire-guard.ts). */
  PagingLoop: 'LDAP_PAGING_LOOP',
  Failed: 'LDAP_FAILED',
} as const;
export type LdapErrorCode = (typeof LdapErrorCode)[keyof typeof LdapErrorCode];

export class LdapError extends SourceError {
  override readonly code: LdapErrorCode;
  constructor(code: LdapErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, code });
    this.code = code;
  }
}
