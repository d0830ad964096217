/** A minimal fetch wrapper for talking to the emulator in tests: JSON in, status + parsed body out. */

export interface ApiResult<T = unknown> {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed body when the response is JSON, else undefined. */
  body: T;
}

export interface ApiRequest {
  token?: string;
  json?: unknown;
  headers?: Record<string, string>;
  /** Raw body, sent as-is (use with a custom content-type). */
  raw?: string;
}

export async function callApi<T = any>(baseUrl: string, method: string, path: string, request: ApiRequest = {}): Promise<ApiResult<T>> {
  const headers: Record<string, string> = { ...request.headers };
  if (request.token) headers['authorization'] = `Bearer ${request.token}`;
  let body: string | undefined;
  if (request.json !== undefined) {
    body = JSON.stringify(request.json);
    headers['content-type'] ??= 'application/json';
  } else if (request.raw !== undefined) body = request.raw;
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body, redirect: 'manual' });
  const text = await response.text();
  const isJson = (response.headers.get('content-type') ?? '').startsWith('application/json');
  return { status: response.status, headers: response.headers, text, body: (isJson && text ? JSON.parse(text) : undefined) as T };
}

/** Log in as the default admin and return the access token. */
export async function loginAsAdmin(baseUrl: string, email = 'admin@localhost.local', password = 'admin123'): Promise<string> {
  const result = await callApi<{ access_token: string }>(baseUrl, 'POST', '/api/v1/portal-auth/login', { json: { email, password } });
  if (result.status !== 200) throw new Error(`login failed: ${result.status} ${result.text}`);
  return result.body.access_token;
}
