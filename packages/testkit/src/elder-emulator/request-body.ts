/** Request-body handling as Flask's `request.get_json()` and penguin-libs' `validated_request` do it. */
import { HttpError, werkzeugHtmlError } from './http.js';
import { validateModel } from './validation.js';
import type { RouteContext } from './app.js';
import type { ModelSpec } from './validation.js';

/** Werkzeug's `is_json`: `application/json` or `application/*+json`, parameters ignored. */
export function isJsonContentType(header: string | undefined): boolean {
  if (!header) return false;
  const mimetype = header.split(';')[0]?.trim().toLowerCase() ?? '';
  return mimetype === 'application/json' || (mimetype.startsWith('application/') && mimetype.endsWith('+json'));
}

/**
 * Flask 3 `get_json()`: a non-JSON content type is a 415 with Werkzeug's HTML page (Elder has no JSON
 * handler for it, §7.1); malformed JSON is a 400 that Elder's app-level handler turns into JSON.
 */
export function jsonBody(ctx: RouteContext): unknown {
  if (!isJsonContentType(ctx.headers['content-type'])) {
    throw new HttpError(
      werkzeugHtmlError(415, "Did not attempt to load JSON data because the request Content-Type was not 'application/json'."),
    );
  }
  try {
    return JSON.parse(ctx.body.toString('utf8'));
  } catch {
    throw new HttpError({ status: 400, json: { error: 'Bad Request', message: 'Invalid request' } });
  }
}

/** `@validated_request(body_model=…)`: 400 `{"error":"Validation failed","validation_errors":[…]}`. */
export function validatedBody(ctx: RouteContext, spec: ModelSpec): { values: Record<string, unknown>; present: Set<string> } {
  const result = validateModel(jsonBody(ctx), spec);
  if (!result.ok) throw new HttpError({ status: 400, json: { error: 'Validation failed', validation_errors: result.issues } });
  return { values: result.values, present: result.present };
}
