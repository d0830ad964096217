import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { LdapError, LdapErrorCode } from './errors.js';

/**
 * Guards against a directory server that lies on the wire. ldapts buffers each LDAP message whole
 * before parsing it, so a single 100 MB attribute would be held (and re-copied per chunk) in
 * memory; and its paged search follows the server's cookie for as long as the server sends one.
 */

/** An LDAP message (one entry, with all its values) larger than this is refused. */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
/** Pages of one paged search before it is called endless (50 million entries at 500 a page). */
export const MAX_SEARCH_PAGES = 100_000;

/**
 * Follows the BER framing of the bytes a server sends (each LDAPMessage is a SEQUENCE with a
 * definite length) and trips as soon as a message *announces* more than `limit` bytes, before
 * they arrive: the socket is destroyed and the pending operation fails with `tripped`.
 */
export class MessageSizeGuard {
  tripped: LdapError | null = null;
  private readonly released = new WeakSet<Socket>();

  constructor(
    private readonly server: string,
    private readonly limit = MAX_MESSAGE_BYTES,
  ) {}

  /** Follows `socket`'s bytes (each socket its own framing). */
  watch(socket: Socket): Socket {
    const framing = new Framing(this.limit);
    socket.on('data', (chunk: Buffer) => {
      if (this.tripped !== null || this.released.has(socket)) return;
      const problem = framing.feed(chunk);
      if (problem !== null) {
        this.tripped = new LdapError(LdapErrorCode.ResponseTooLarge, `the LDAP server at ${this.server} sent ${problem}; stopped reading (a huge attribute, or not an LDAP server)`);
        socket.destroy(this.tripped);
      }
    });
    return socket;
  }

  /** StartTLS: the plain socket now carries TLS records; its upgraded socket is watched instead. */
  release(socket: Socket): void {
    this.released.add(socket);
  }
}

class Framing {
  private remaining = 0;
  private header: number[] = [];

  constructor(private readonly limit: number) {}

  /** Null while every message announced fits the limit; else what was wrong. */
  feed(chunk: Buffer): string | null {
    let i = 0;
    while (i < chunk.length) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - i);
        this.remaining -= take;
        i += take;
        continue;
      }
      this.header.push(chunk[i++]!);
      if (this.header.length < 2) continue;
      const first = this.header[1]!;
      let length: number;
      if (first < 0x80) length = first;
      else {
        const octets = first & 0x7f;
        if (octets === 0 || octets > 4) return `a message with a length BER does not allow here (0x${first.toString(16)})`;
        if (this.header.length < 2 + octets) continue;
        length = 0;
        for (let k = 0; k < octets; k++) length = length * 256 + this.header[2 + k]!;
      }
      if (length > this.limit) return `an entry of ${(length / 1024 / 1024).toFixed(1)} MiB, above the ${this.limit / 1024 / 1024} MiB one entry may take`;
      this.remaining = length;
      this.header = [];
    }
    return null;
  }
}

/**
 * A paged search that does not end: the server sends a page it sent before (the same entries, in
 * the same order) or more pages than any directory has. Pages are remembered by a hash of their
 * DNs, never by their entries (a read stays streaming).
 */
export class PageLoopGuard {
  private readonly seen = new Set<string>();
  private pages = 0;

  constructor(private readonly search: string) {}

  check(dns: readonly string[]): void {
    this.pages++;
    if (this.pages > MAX_SEARCH_PAGES) {
      throw new LdapError(LdapErrorCode.PagingLoop, `${this.search}: the server sent more than ${MAX_SEARCH_PAGES} pages; its paged search does not end`);
    }
    if (dns.length === 0) return;
    const fingerprint = createHash('sha256').update(dns.join('\u0000')).digest('base64');
    if (this.seen.has(fingerprint)) {
      throw new LdapError(
        LdapErrorCode.PagingLoop,
        `${this.search}: page ${this.pages} repeats a page the server already sent (from ${dns[0]}); its paged search does not end, stopped`,
      );
    }
    this.seen.add(fingerprint);
  }
}
