import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';

/** A throwaway service account: its key file as Google writes it, and the public half to verify with. */
export interface MintedServiceAccount {
  email: string;
  clientId: string;
  keyId: string;
  /** The key file's text, what a user gives as `credentials: "${file:./sa.json}"`. */
  json: string;
  privateKeyPem: string;
  publicKey: KeyObject;
}

/**
 * A new RSA 2048 service-account key, in the exact JSON layout of a key downloaded from the Cloud
 * console. `token_uri` points at Google as real keys do (google-auth-library ignores it anyway).
 */
export function mintServiceAccountKey(options: { email?: string; projectId?: string } = {}): MintedServiceAccount {
  const projectId = options.projectId ?? 'elder-sync-test';
  const email = options.email ?? `sync@${projectId}.iam.gserviceaccount.com`;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const keyId = randomBytes(20).toString('hex');
  const clientId = String(100_000_000_000_000_000_000n + BigInt(`0x${randomBytes(8).toString('hex')}`));
  const json = JSON.stringify(
    {
      type: 'service_account',
      project_id: projectId,
      private_key_id: keyId,
      private_key: privateKeyPem,
      client_email: email,
      client_id: clientId,
      auth_uri: 'https://accounts.google.com/o/oauth2/auth',
      token_uri: 'https://oauth2.googleapis.com/token',
      auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
      client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(email)}`,
      universe_domain: 'googleapis.com',
    },
    null,
    2,
  );
  return { email, clientId, keyId, json, privateKeyPem, publicKey };
}
