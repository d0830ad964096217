/**
 * The five AWS wire protocols the fake answers in, with their real error shapes
 * (https://smithy.io/2.0/aws/protocols/): ec2Query, awsQuery, awsJson1_0/1_1, restJson1, restXml.
 */

export interface FakeResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type Protocol = 'ec2' | 'query' | 'json' | 'restJson' | 'restXml';

let requestCounter = 0;
export function requestId(): string {
  requestCounter += 1;
  return `00000000-0000-4000-8000-${String(requestCounter).padStart(12, '0')}`;
}

export function esc(value: unknown): string {
  return String(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** `<name>value</name>`, or nothing when the value is absent. */
export function el(name: string, value: unknown): string {
  if (value === undefined || value === null) return '';
  return `<${name}>${typeof value === 'string' && value.startsWith('<') ? value : esc(value)}</${name}>`;
}

/** A nested element whose content is already XML. */
export function node(name: string, inner: string): string {
  return `<${name}>${inner}</${name}>`;
}

export function list(wrapper: string, member: string, items: readonly string[]): string {
  return `<${wrapper}>${items.map((i) => `<${member}>${i}</${member}>`).join('')}</${wrapper}>`;
}

const XML = 'text/xml;charset=UTF-8';

export function ec2Ok(action: string, inner: string): FakeResponse {
  return {
    status: 200,
    headers: { 'content-type': XML },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>${requestId()}</requestId>${inner}</${action}Response>`,
  };
}

export function queryOk(action: string, namespace: string, inner: string): FakeResponse {
  return {
    status: 200,
    headers: { 'content-type': XML },
    body: `<${action}Response xmlns="${namespace}"><${action}Result>${inner}</${action}Result><ResponseMetadata><RequestId>${requestId()}</RequestId></ResponseMetadata></${action}Response>`,
  };
}

export function jsonOk(body: unknown, contentType: string): FakeResponse {
  return { status: 200, headers: { 'content-type': contentType }, body: JSON.stringify(body) };
}

export function restJsonOk(body: unknown): FakeResponse {
  return { status: 200, headers: { 'content-type': 'application/json', 'x-amzn-requestid': requestId() }, body: JSON.stringify(body) };
}

export function restXmlOk(inner: string): FakeResponse {
  return {
    status: 200,
    headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId() },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n${inner}`,
  };
}

export interface ErrorSpec {
  status: number;
  code: string;
  message: string;
  /** awsJson error namespace (`com.amazonaws.sqs`). */
  namespace?: string;
  headers?: Record<string, string>;
}

/** An error in the protocol's own shape, which the SDK turns into an exception named `code`. */
export function errorResponse(protocol: Protocol, spec: ErrorSpec, jsonContentType = 'application/x-amz-json-1.0'): FakeResponse {
  const id = requestId();
  const headers = spec.headers ?? {};
  switch (protocol) {
    case 'ec2':
      return {
        status: spec.status,
        headers: { 'content-type': XML, ...headers },
        body: `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${esc(spec.code)}</Code><Message>${esc(spec.message)}</Message></Error></Errors><RequestID>${id}</RequestID></Response>`,
      };
    case 'query':
      return {
        status: spec.status,
        headers: { 'content-type': XML, ...headers },
        body: `<ErrorResponse><Error><Type>${spec.status >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${esc(spec.code)}</Code><Message>${esc(spec.message)}</Message></Error><RequestId>${id}</RequestId></ErrorResponse>`,
      };
    case 'json':
      return {
        status: spec.status,
        headers: { 'content-type': jsonContentType, 'x-amzn-requestid': id, ...headers },
        body: JSON.stringify({ __type: spec.namespace ? `${spec.namespace}#${spec.code}` : spec.code, message: spec.message }),
      };
    case 'restJson':
      return {
        status: spec.status,
        headers: { 'content-type': 'application/json', 'x-amzn-errortype': `${spec.code}:`, 'x-amzn-requestid': id, ...headers },
        body: JSON.stringify({ Type: spec.status >= 500 ? 'Service' : 'User', message: spec.message }),
      };
    case 'restXml':
      return {
        status: spec.status,
        headers: { 'content-type': 'application/xml', 'x-amz-request-id': id, ...headers },
        body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${esc(spec.code)}</Code><Message>${esc(spec.message)}</Message><RequestId>${id}</RequestId></Error>`,
      };
  }
}

/** Opaque page tokens bound to the call that issued them, as AWS's are; a foreign token is refused. */
export function pageToken(call: string, offset: number): string {
  return Buffer.from(JSON.stringify({ c: call, o: offset })).toString('base64');
}

export function readPageToken(call: string, token: string | undefined | null): number | undefined {
  if (token === undefined || token === null || token === '') return 0;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { c?: unknown; o?: unknown };
    if (parsed.c === call && typeof parsed.o === 'number' && Number.isInteger(parsed.o) && parsed.o >= 0) return parsed.o;
  } catch {
    // fall through
  }
  return undefined;
}

export interface Page<T> {
  items: T[];
  next: string | undefined;
}

export function pageOf<T>(call: string, all: readonly T[], offset: number, size: number): Page<T> {
  const end = Math.min(all.length, offset + size);
  return { items: all.slice(offset, end), next: end < all.length ? pageToken(call, end) : undefined };
}
