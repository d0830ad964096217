import { secret } from '@elder-sync/connector-sdk';
import { z } from 'zod';

/** Google's OAuth 2.0 token endpoint; google-auth-library hard-codes it (a key's `token_uri` is ignored). */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
/** Where service-account impersonation mints tokens (IAM Service Account Credentials API). */
export const GOOGLE_IAM_CREDENTIALS_URL = 'https://iamcredentials.googleapis.com';

/** How a connector asks for an authenticated Google client. */
export interface GoogleAuthOptions {
  /**
   * Key JSON text (a service-account key, or any credential file `gcloud` writes). A secret: never
   * logged or echoed. Absent: application-default credentials (GOOGLE_APPLICATION_CREDENTIALS,
   * gcloud's ADC file, workload identity / the metadata server).
   */
  credentials?: string;
  /** A service account to impersonate with the credentials above (needs roles/iam.serviceAccountTokenCreator). */
  impersonate?: string;
  /** Domain-wide delegation: the Workspace user the service account acts as. */
  subject?: string;
  /** OAuth scopes the calls need (read-only ones, please). */
  scopes: string[];
  /** Token endpoint override (Private Service Connect, a test server). Default {@link GOOGLE_TOKEN_URL}. */
  tokenUrl?: string;
  /** IAM Credentials endpoint override, for impersonation. Default {@link GOOGLE_IAM_CREDENTIALS_URL}. */
  iamCredentialsUrl?: string;
}

const httpUrl = z
  .string()
  .trim()
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'https:' || url.protocol === 'http:') && url.username === '' && url.password === '';
    } catch {
      return false;
    }
  }, 'must be an http(s) URL without credentials, e.g. https://compute.googleapis.com/');

/**
 * The `credentials` config key every Google connector shares: key JSON text, usually
 * `"${file:./sa.json}"`. Marked secret, so it is redacted everywhere.
 */
export const googleCredentialsSchema = secret(z.string().trim().min(1, 'must be key JSON text, e.g. "${file:./sa.json}"'))
  .describe('Service-account key JSON (secret), usually "${file:./sa.json}"; default: application-default credentials');

/** A service account's e-mail address (`impersonate`). */
export const serviceAccountEmailSchema = z
  .string()
  .trim()
  .regex(/^[^@\s]+@[^@\s]+\.gserviceaccount\.com$/, 'must be a service account e-mail, e.g. sync@my-project.iam.gserviceaccount.com');

/**
 * The `endpoints` block of a Google connector: `token`, `iamcredentials` and one URL per API the
 * connector calls, all optional (Private Service Connect, restricted VIPs, test servers).
 * Unknown keys are refused so that a typo does not silently talk to the public endpoint.
 */
export function googleEndpointsSchema<const A extends string>(apis: readonly A[]) {
  const shape = {
    token: httpUrl.optional().describe(`OAuth token endpoint (default ${GOOGLE_TOKEN_URL})`),
    iamcredentials: httpUrl.optional().describe(`IAM Credentials API, for impersonation (default ${GOOGLE_IAM_CREDENTIALS_URL})`),
  } as Record<'token' | 'iamcredentials' | A, z.ZodOptional<typeof httpUrl>>;
  for (const api of apis) shape[api] = httpUrl.optional().describe(`${api} API root (default https://${api}.googleapis.com/)`);
  return z.strictObject(shape).optional();
}

export type GoogleEndpoints<A extends string> = Partial<Record<'token' | 'iamcredentials' | A, string>>;

/** An endpoint as a googleapis `rootUrl` (which must end with a slash). */
export function rootUrlOf(endpoint: string): string {
  return endpoint.endsWith('/') ? endpoint : `${endpoint}/`;
}

/** The authentication part of a connector config as {@link GoogleAuthOptions}. */
export function googleAuthOptionsOf(
  config: { credentials?: string; impersonate?: string; subject?: string; endpoints?: GoogleEndpoints<string> | undefined },
  scopes: string[],
): GoogleAuthOptions {
  return {
    scopes,
    ...(config.credentials === undefined ? {} : { credentials: config.credentials }),
    ...(config.impersonate === undefined ? {} : { impersonate: config.impersonate }),
    ...(config.subject === undefined ? {} : { subject: config.subject }),
    ...(config.endpoints?.token === undefined ? {} : { tokenUrl: config.endpoints.token }),
    ...(config.endpoints?.iamcredentials === undefined ? {} : { iamCredentialsUrl: config.endpoints.iamcredentials }),
  };
}
