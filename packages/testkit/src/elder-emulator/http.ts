/** Response values and the typed errors route handlers throw to produce them. */

export interface EmulatorResponse {
  status: number;
  contentType?: string;
  /** A JSON value (serialised Flask-style), or a ready string body, or nothing (204). */
  json?: unknown;
  text?: string;
  headers?: Record<string, string>;
}

export function jsonResponse(status: number, value: unknown, headers?: Record<string, string>): EmulatorResponse {
  return headers ? { status, json: value, headers } : { status, json: value };
}

export function errorResponse(status: number, message: string): EmulatorResponse {
  return { status, json: { error: message } };
}

export function noContent(): EmulatorResponse {
  return { status: 204, text: '' };
}

/** Uvicorn's answer when the Flask app raises with DEBUG=True (elder-api.md §7.1, last row). */
export function plainInternalServerError(): EmulatorResponse {
  return { status: 500, contentType: 'text/plain; charset=utf-8', text: 'Internal Server Error' };
}

const REASONS: Record<number, string> = {
  308: 'Permanent Redirect',
  405: 'Method Not Allowed',
  415: 'Unsupported Media Type',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Werkzeug's default HTML error page, used where Elder registers no JSON handler (405, 415; §7.1). */
export function werkzeugHtmlError(status: number, description: string, headers?: Record<string, string>): EmulatorResponse {
  const reason = REASONS[status] ?? 'Error';
  const text =
    `<!doctype html>\n<html lang=en>\n<title>${status} ${reason}</title>\n` +
    `<h1>${reason}</h1>\n<p>${escapeHtml(description)}</p>\n`;
  return { status, contentType: 'text/html; charset=utf-8', text, ...(headers ? { headers } : {}) };
}

/** An nginx-style gateway page, the kind of 502/503 a reverse proxy in front of Elder produces. */
export function gatewayHtmlError(status: 502 | 503): EmulatorResponse {
  const reason = REASONS[status] ?? 'Error';
  const text =
    `<html>\r\n<head><title>${status} ${reason}</title></head>\r\n<body>\r\n` +
    `<center><h1>${status} ${reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
  return { status, contentType: 'text/html', text };
}

export function redirectResponse(location: string): EmulatorResponse {
  const href = escapeHtml(location);
  const text =
    `<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n<h1>Redirecting...</h1>\n` +
    `<p>You should be redirected automatically to the target URL: <a href="${href}">${href}</a>. If not, click the link.\n`;
  return { status: 308, contentType: 'text/html; charset=utf-8', text, headers: { Location: location } };
}

/** Thrown by handlers to answer with a given response (auth failures, 404s, validation errors…). */
export class HttpError extends Error {
  readonly response: EmulatorResponse;
  constructor(response: EmulatorResponse) {
    super(`HTTP ${response.status}`);
    this.name = 'HttpError';
    this.response = response;
  }
}

/**
 * What PostgreSQL would have refused (FK violation, value too long, integer out of range, negative LIMIT).
 * Each route decides, as Elder's handler does, whether that surfaces as a caught JSON 500, a 404, or an
 * uncaught plain-text 500.
 */
export class DatabaseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseError';
  }
}
