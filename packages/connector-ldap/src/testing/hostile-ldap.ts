// Test support (not built): a loopback LDAP responder that speaks the wire protocol with the BER
// encoding ldapts itself uses, serving a small fixed directory honestly, or lying in one of the
// ways a broken or hostile server does (issue 13).
import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Ber, BerReader, BerWriter, FilterParser } from 'ldapts';

export type HostileMode =
  /** A real directory of `users` people, paged as asked. */
  | 'honest'
  /** The people search answers page 1, with a cookie, forever. */
  | 'endless-paging'
  /** The people search starts an entry with a 100 MB attribute and streams it. */
  | 'huge-attribute'
  /** The people search is never answered. */
  | 'stall'
  /** The people search is answered with bytes that are not BER. */
  | 'garbage';

export const BASE_DN = 'dc=example,dc=test';
const PAGED = '1.2.840.113556.1.4.319';
const HUGE = 100 * 1024 * 1024;

export interface HostileLdap {
  url: string;
  mode: HostileMode;
  close(): Promise<void>;
}

interface Entry {
  dn: string;
  attrs: Record<string, string[]>;
}

export async function startHostileLdap(options: { users?: number } = {}): Promise<HostileLdap> {
  const people: Entry[] = Array.from({ length: options.users ?? 7 }, (_, i) => ({
    dn: `uid=user${i},ou=People,${BASE_DN}`,
    attrs: {
      objectClass: ['inetOrgPerson'],
      uid: [`user${i}`],
      cn: [`User ${i}`],
      sn: [`U${i}`],
      mail: [`user${i}@example.test`],
      entryUUID: [randomUUID()],
      modifyTimestamp: ['20260101000000Z'],
    },
  }));
  const sockets = new Set<Socket>();
  const peer: HostileLdap = { url: '', mode: 'honest', close: async () => undefined };

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const size = messageSize(buffer);
        if (size === null || buffer.length < size) return;
        const message = buffer.subarray(0, size);
        buffer = buffer.subarray(size);
        handle(socket, message);
      }
    });
  });

  function handle(socket: Socket, message: Buffer): void {
    const reader = new BerReader(message);
    reader.readSequence();
    const id = reader.readInt() ?? 0;
    const op = reader.peek();
    if (op === 0x60) return void socket.write(result(id, 0x61, 0));
    if (op === 0x42) return void socket.end();
    if (op !== 0x63) return; // abandon and the rest: nothing to answer
    reader.readSequence(0x63);
    const base = reader.readString() ?? '';
    const scope = reader.readEnumeration();
    reader.readEnumeration();
    reader.readInt();
    reader.readInt();
    reader.readBoolean();
    const filter = FilterParser.parse(reader).toString().toLowerCase();
    let cookie = '';
    let pageSize = 1000;
    const paged = pagedControl(message);
    if (paged) ({ cookie, pageSize } = paged);

    if (scope === 0) {
      if (base === '') return void socket.write(Buffer.concat([entry(id, { dn: '', attrs: { objectClass: ['top'], namingContexts: [BASE_DN], supportedControl: [PAGED] } }), result(id, 0x65, 0)]));
      if (base.toLowerCase() === BASE_DN) return void socket.write(Buffer.concat([entry(id, { dn: BASE_DN, attrs: { objectClass: ['domain'], dc: ['example'] } }), result(id, 0x65, 0)]));
      return void socket.write(result(id, 0x65, 32));
    }
    const wantsPeople = !/group|organizationalunit/.test(filter);
    if (!wantsPeople) return void socket.write(result(id, 0x65, 0, ''));
    switch (peer.mode) {
      case 'honest': {
        const start = cookie === '' ? 0 : Number(cookie);
        const page = people.slice(start, start + pageSize);
        const next = start + pageSize < people.length ? String(start + pageSize) : '';
        return void socket.write(Buffer.concat([...page.map((e) => entry(id, e)), result(id, 0x65, 0, next)]));
      }
      case 'endless-paging':
        return void socket.write(Buffer.concat([...people.slice(0, pageSize).map((e) => entry(id, e)), result(id, 0x65, 0, 'again')]));
      case 'huge-attribute':
        return void streamHugeEntry(socket, id);
      case 'stall':
        return;
      case 'garbage':
        return void socket.write(Buffer.from('HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\n\r\n<html>not LDAP</html>'));
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  peer.url = `ldap://127.0.0.1:${(server.address() as AddressInfo).port}`;
  peer.close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return peer;
}

/** Total size of the first BER element in `buffer`, or null until its header is complete. */
function messageSize(buffer: Buffer): number | null {
  if (buffer.length < 2) return null;
  const first = buffer[1]!;
  if (first < 0x80) return 2 + first;
  const octets = first & 0x7f;
  if (buffer.length < 2 + octets) return null;
  let length = 0;
  for (let k = 0; k < octets; k++) length = length * 256 + buffer[2 + k]!;
  return 2 + octets + length;
}

/** The paged-results control of a request: its size and cookie. */
function pagedControl(message: Buffer): { pageSize: number; cookie: string } | null {
  const at = message.indexOf(Buffer.from(PAGED, 'latin1'));
  if (at === -1) return null;
  // controlType OCTET STRING, [criticality BOOLEAN], controlValue OCTET STRING { SEQUENCE { size, cookie } }
  let i = at + PAGED.length;
  if (message[i] === 0x01) i += 3;
  const reader = new BerReader(message.subarray(i));
  const value = reader.readString(Ber.OctetString, true);
  if (!value) return null;
  const inner = new BerReader(value);
  inner.readSequence();
  const pageSize = inner.readInt() ?? 1000;
  const cookie = inner.readString(Ber.OctetString, true)?.toString('latin1') ?? '';
  return { pageSize: pageSize > 0 ? pageSize : 1000, cookie };
}

function entry(id: number, e: Entry): Buffer {
  const w = new BerWriter();
  w.startSequence();
  w.writeInt(id);
  w.startSequence(0x64);
  w.writeString(e.dn);
  w.startSequence();
  for (const [type, values] of Object.entries(e.attrs)) {
    w.startSequence();
    w.writeString(type);
    w.startSequence(0x31);
    for (const v of values) w.writeString(v);
    w.endSequence();
    w.endSequence();
  }
  w.endSequence();
  w.endSequence();
  w.endSequence();
  return w.buffer;
}

/** An LDAPResult of operation `tag`; for a search done, the paged-results control with `cookie`. */
function result(id: number, tag: number, code: number, cookie?: string): Buffer {
  const w = new BerWriter();
  w.startSequence();
  w.writeInt(id);
  w.startSequence(tag);
  w.writeEnumeration(code);
  w.writeString('');
  w.writeString('');
  w.endSequence();
  if (cookie !== undefined) {
    const value = new BerWriter();
    value.startSequence();
    value.writeInt(0);
    value.writeBuffer(Buffer.from(cookie, 'latin1'), Ber.OctetString);
    value.endSequence();
    w.startSequence(0xa0);
    w.startSequence();
    w.writeString(PAGED);
    w.writeBuffer(value.buffer, Ber.OctetString);
    w.endSequence();
    w.endSequence();
  }
  w.endSequence();
  return w.buffer;
}

/** SearchResultEntry header announcing a 100 MB `description`, then the value streamed until the client hangs up. */
function streamHugeEntry(socket: Socket, id: number): void {
  const dn = Buffer.from(`uid=huge,ou=People,${BASE_DN}`);
  const type = Buffer.from('description');
  const len = (n: number) => Buffer.from([0x84, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
  const value = Buffer.concat([Buffer.from([0x04]), len(HUGE)]); // OCTET STRING header; content follows
  const set = (inner: number) => Buffer.concat([Buffer.from([0x31]), len(inner)]);
  const attr = (inner: number) => Buffer.concat([Buffer.from([0x30]), len(inner)]);
  const typeTlv = Buffer.concat([Buffer.from([0x04, type.length]), type]);
  const setLen = value.length + HUGE;
  const attrLen = typeTlv.length + 5 + setLen;
  const attrsLen = 5 + attrLen;
  const dnTlv = Buffer.concat([Buffer.from([0x04, dn.length]), dn]);
  const opLen = dnTlv.length + 5 + attrsLen;
  const idWriter = new BerWriter();
  idWriter.writeInt(id);
  const idTlv = idWriter.buffer;
  const msgLen = idTlv.length + 5 + opLen;
  socket.write(Buffer.concat([Buffer.from([0x30]), len(msgLen), idTlv, Buffer.from([0x64]), len(opLen), dnTlv, attr(attrsLen), attr(attrLen), typeTlv, set(setLen), value]));
  const chunk = Buffer.alloc(64 * 1024, 0x41);
  let sent = 0;
  const pump = () => {
    while (sent < HUGE && !socket.destroyed) {
      sent += chunk.length;
      if (!socket.write(chunk)) return void socket.once('drain', pump);
    }
  };
  pump();
}
