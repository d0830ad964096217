import { SourceAuthError } from '@elder-sync/connector-sdk';

/** The fields of a service-account key file that signing a token needs. */
export interface ServiceAccountKey {
  type: 'service_account';
  project_id?: string;
  private_key_id?: string;
  private_key: string;
  client_email: string;
  client_id?: string;
}

/** Any credential file gcloud writes: a service-account key, an authorized user, an external account (workload identity federation). */
export type CredentialsJson = ServiceAccountKey | ({ type: string } & Record<string, unknown>);

/**
 * Parses the `credentials` config value. Errors say what is wrong with it and never repeat it: the
 * value is a private key.
 */
export function parseCredentialsJson(text: string): CredentialsJson {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SourceAuthError(
      'credentials is not JSON: give the contents of a service-account key file, e.g. credentials: "${file:./sa.json}" (a path alone is not read)',
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new SourceAuthError('credentials must be a JSON object (a service-account key file)');
  }
  const json = parsed as Record<string, unknown>;
  if (typeof json.type !== 'string') {
    throw new SourceAuthError('credentials has no "type": give a key file as Google writes it ("type": "service_account")');
  }
  if (json.type === 'service_account') {
    const missing = ['client_email', 'private_key'].filter((field) => typeof json[field] !== 'string' || json[field] === '');
    if (missing.length > 0) {
      throw new SourceAuthError(`credentials is a service-account key without ${missing.join(' and ')}; download a new key (IAM → Service accounts → Keys)`);
    }
    if (!String(json.private_key).includes('PRIVATE KEY-----')) {
      throw new SourceAuthError('credentials: private_key is not a PEM private key; download a new key (IAM → Service accounts → Keys)');
    }
  }
  return json as CredentialsJson;
}

export function isServiceAccountKey(json: CredentialsJson): json is ServiceAccountKey {
  return json.type === 'service_account';
}
