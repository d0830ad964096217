import { SourceAuthError, SourceError } from '@elder-sync/connector-sdk';
import type { AuthClient } from 'google-auth-library';
import { isServiceAccountKey, parseCredentialsJson } from './credentials-json.js';
import { classifyGoogleError } from './errors.js';
import { GOOGLE_TOKEN_URL, type GoogleAuthOptions } from './options.js';

/** The scope impersonation's source credentials need to call the IAM Credentials API. */
const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
/** Lifetime asked for impersonated tokens (the API's default maximum without an org policy). */
const IMPERSONATION_LIFETIME_SECONDS = 3600;

/** An authenticated Google client and who it acts as. */
export interface GoogleCredentials {
  /** google-auth-library 10 client: give it to `@googleapis/*` clients as `auth`. */
  client: AuthClient;
  /** Who the calls run as, for messages (no secret): a service-account e-mail or `application-default credentials`. */
  principal: string;
  /** A current access token; failures are `SourceAuthError`s that say what to fix, never containing the key. */
  accessToken(): Promise<string>;
}

/**
 * One authenticated client from a connector's auth options: a key JSON (`credentials`), else
 * application-default credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud's ADC file, workload identity
 * via the metadata server); then optionally impersonation of another service account, or domain-wide
 * delegation (`subject`). google-auth-library is imported here, on first use, never at CLI start.
 */
export async function googleCredentials(options: GoogleAuthOptions): Promise<GoogleCredentials> {
  if (options.subject !== undefined && options.impersonate !== undefined) {
    throw new SourceAuthError('subject (domain-wide delegation) and impersonate cannot be combined: give the delegated service account\'s own key');
  }
  const gal = await import('google-auth-library');
  const json = options.credentials === undefined ? undefined : parseCredentialsJson(options.credentials);
  const baseScopes = options.impersonate === undefined ? options.scopes : [CLOUD_PLATFORM_SCOPE];
  let client: AuthClient;
  let principal: string;
  if (json !== undefined && isServiceAccountKey(json)) {
    client = new gal.JWT({
      email: json.client_email,
      key: json.private_key,
      ...(json.private_key_id === undefined ? {} : { keyId: json.private_key_id }),
      scopes: baseScopes,
      ...(options.subject === undefined ? {} : { subject: options.subject }),
    });
    principal = json.client_email;
  } else {
    const auth = new gal.GoogleAuth({
      scopes: baseScopes,
      ...(json === undefined ? {} : { credentials: json as never }),
      ...(options.subject === undefined ? {} : { clientOptions: { subject: options.subject } }),
    });
    try {
      client = (await auth.getClient()) as AuthClient;
    } catch (error) {
      throw new SourceAuthError(
        json === undefined
          ? `no Google credentials: application-default credentials were not found (${firstLine(error)}); set credentials in the source config, GOOGLE_APPLICATION_CREDENTIALS, or run where workload identity provides them`
          : `credentials of type "${json.type}" could not be used: ${firstLine(error)}`,
      );
    }
    principal = json === undefined ? 'application-default credentials' : `${json.type} credentials`;
    const email = (client as { email?: unknown }).email;
    if (typeof email === 'string' && email !== '') principal = email;
  }
  if (options.tokenUrl !== undefined) redirectTokenEndpoint(client, options.tokenUrl);
  if (options.impersonate !== undefined) {
    const source = client;
    client = new gal.Impersonated({
      sourceClient: source as never,
      targetPrincipal: options.impersonate,
      targetScopes: options.scopes,
      lifetime: IMPERSONATION_LIFETIME_SECONDS,
      delegates: [],
      ...(options.iamCredentialsUrl === undefined ? {} : { endpoint: options.iamCredentialsUrl.replace(/\/+$/, '') }),
    });
    principal = `${options.impersonate} (impersonated by ${principal})`;
  }
  const subject = options.subject;
  const clientId = json !== undefined && isServiceAccountKey(json) ? json.client_id : undefined;
  const what = `Google token for ${principal}${subject === undefined ? '' : ` acting as ${subject}`}`;
  return {
    client,
    principal,
    async accessToken() {
      try {
        const { token } = await client.getAccessToken();
        if (!token) throw new SourceAuthError(`${what}: the token endpoint returned no access token`);
        return token;
      } catch (error) {
        throw tokenError(error, what, { subject, scopes: options.scopes, clientId });
      }
    },
  };
}

/**
 * google-auth-library posts the JWT-bearer grant to a hard-coded https://oauth2.googleapis.com/token
 * (gtoken/getToken.js; a key's `token_uri` is ignored), through the client's own gaxios transporter, so
 * an interceptor there is the one seam for Private Service Connect endpoints and test servers.
 */
function redirectTokenEndpoint(client: AuthClient, tokenUrl: string): void {
  client.transporter.interceptors.request.add({
    resolved: async (request) => {
      if (String(request.url).startsWith(GOOGLE_TOKEN_URL)) request.url = new URL(tokenUrl);
      return request;
    },
  });
}

function tokenError(error: unknown, what: string, hints: { subject: string | undefined; scopes: string[]; clientId: string | undefined }): SourceError {
  const classified = classifyGoogleError(error, { what });
  if (classified.code !== 'SOURCE_AUTH' || hints.subject === undefined) return classified;
  // unauthorized_client with a subject: the delegation itself is missing or lacks a scope.
  return new SourceAuthError(
    `${classified.message}. Domain-wide delegation must allow the service account's client id${hints.clientId === undefined ? '' : ` ${hints.clientId}`} the scopes ${hints.scopes.join(', ')} (Google Admin console → Security → Access and data control → API controls → Manage domain-wide delegation)`,
  );
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}
