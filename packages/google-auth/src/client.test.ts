import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintServiceAccountKey, startGoogleTokenServer, type GoogleTokenServer } from '@elder-sync/testkit/google';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { googleCredentials } from './client.js';

const COMPUTE_RO = 'https://www.googleapis.com/auth/compute.readonly';
const DIRECTORY_USERS_RO = 'https://www.googleapis.com/auth/admin.directory.user.readonly';

const sync = mintServiceAccountKey({ email: 'sync@prj.iam.gserviceaccount.com' });
const reader = mintServiceAccountKey({ email: 'reader@prj.iam.gserviceaccount.com' });
const stranger = mintServiceAccountKey({ email: 'stranger@prj.iam.gserviceaccount.com' });
let tokens: GoogleTokenServer;

beforeAll(async () => {
  tokens = await startGoogleTokenServer({
    accounts: [sync, reader],
    impersonation: { 'reader@prj.iam.gserviceaccount.com': ['sync@prj.iam.gserviceaccount.com'] },
    delegation: { [sync.clientId]: [DIRECTORY_USERS_RO] },
  });
});
afterAll(() => tokens.close());
afterEach(() => {
  tokens.grants.length = 0;
});

describe('googleCredentials with a service-account key', () => {
  it('signs a JWT-bearer assertion the token endpoint verifies with the public key, and gets a token for the scopes', async () => {
    const creds = await googleCredentials({ credentials: sync.json, scopes: [COMPUTE_RO], tokenUrl: tokens.tokenUrl });
    const token = await creds.accessToken();
    expect(creds.principal).toBe('sync@prj.iam.gserviceaccount.com');
    expect(tokens.authorize(`Bearer ${token}`, [COMPUTE_RO]).ok).toBe(true);
    expect(tokens.grants).toEqual([
      expect.objectContaining({ ok: true, signatureValid: true, iss: sync.email, scopes: [COMPUTE_RO], aud: 'https://oauth2.googleapis.com/token' }),
    ]);
    expect(tokens.grants[0]!.sub).toBeUndefined();
  });

  it('is refused, without echoing the key, when the key is not the account\'s', async () => {
    const forged = JSON.stringify({ ...JSON.parse(stranger.json), client_email: sync.email });
    const creds = await googleCredentials({ credentials: forged, scopes: [COMPUTE_RO], tokenUrl: tokens.tokenUrl });
    const error = await creds.accessToken().then(() => undefined, (e: unknown) => e as Error & { code: string });
    expect(error?.code).toBe('SOURCE_AUTH');
    expect(error?.message).toContain('invalid_grant');
    expect(error?.message).toContain(sync.email);
    expect(error?.message).not.toContain('PRIVATE KEY');
    expect(JSON.stringify(error)).not.toContain(stranger.privateKeyPem.slice(40, 80));
    expect(tokens.grants).toEqual([expect.objectContaining({ ok: false, signatureValid: false, error: 'invalid_grant' })]);
  });

  it('names the field and keeps the value to itself when credentials is not a key file', async () => {
    await expect(googleCredentials({ credentials: './sa.json', scopes: [COMPUTE_RO] })).rejects.toMatchObject({
      code: 'SOURCE_AUTH',
      message: expect.stringContaining('credentials is not JSON'),
    });
    await expect(googleCredentials({ credentials: '{"type":"service_account","client_email":"x@y.iam.gserviceaccount.com"}', scopes: [COMPUTE_RO] })).rejects.toMatchObject({
      message: expect.stringContaining('without private_key'),
    });
  });
});

describe('domain-wide delegation (subject)', () => {
  it('puts the delegated user in the sub claim', async () => {
    const creds = await googleCredentials({ credentials: sync.json, subject: 'admin@example.test', scopes: [DIRECTORY_USERS_RO], tokenUrl: tokens.tokenUrl });
    const token = await creds.accessToken();
    expect(tokens.grants.map((g) => [g.ok, g.sub, g.scopes])).toEqual([[true, 'admin@example.test', [DIRECTORY_USERS_RO]]]);
    expect(tokens.authorize(`Bearer ${token}`)).toMatchObject({ ok: true, token: { subject: 'admin@example.test', principal: sync.email } });
  });

  it('says where to grant a scope the delegation lacks', async () => {
    const creds = await googleCredentials({
      credentials: sync.json,
      subject: 'admin@example.test',
      scopes: [DIRECTORY_USERS_RO, 'https://www.googleapis.com/auth/admin.directory.group.readonly'],
      tokenUrl: tokens.tokenUrl,
    });
    await expect(creds.accessToken()).rejects.toMatchObject({
      code: 'SOURCE_AUTH',
      message: expect.stringMatching(new RegExp(`acting as admin@example\\.test.*unauthorized_client.*client id ${sync.clientId} the scopes .*Manage domain-wide delegation`, 's')),
    });
  });
});

describe('impersonation', () => {
  it('mints the target account\'s token through the IAM Credentials API with the source token', async () => {
    const creds = await googleCredentials({
      credentials: sync.json,
      impersonate: 'reader@prj.iam.gserviceaccount.com',
      scopes: [COMPUTE_RO],
      tokenUrl: tokens.tokenUrl,
      iamCredentialsUrl: tokens.iamCredentialsUrl,
    });
    const token = await creds.accessToken();
    expect(creds.principal).toBe('reader@prj.iam.gserviceaccount.com (impersonated by sync@prj.iam.gserviceaccount.com)');
    expect(tokens.authorize(`Bearer ${token}`, [COMPUTE_RO])).toMatchObject({ ok: true, token: { principal: 'reader@prj.iam.gserviceaccount.com', impersonatedBy: sync.email } });
    // The source credentials ask only for what impersonation needs.
    expect(tokens.grants.map((g) => g.scopes)).toEqual([['https://www.googleapis.com/auth/cloud-platform']]);
  });

  it('names the missing iam.serviceAccounts.getAccessToken permission', async () => {
    const creds = await googleCredentials({
      credentials: reader.json,
      impersonate: 'sync@prj.iam.gserviceaccount.com',
      scopes: [COMPUTE_RO],
      tokenUrl: tokens.tokenUrl,
      iamCredentialsUrl: tokens.iamCredentialsUrl,
    });
    await expect(creds.accessToken()).rejects.toMatchObject({
      code: 'SOURCE_PERMISSION_DENIED',
      permission: 'iam.serviceAccounts.getAccessToken',
    });
  });

  it('refuses subject together with impersonate', async () => {
    await expect(googleCredentials({ credentials: sync.json, impersonate: reader.email, subject: 'a@example.test', scopes: [] })).rejects.toMatchObject({ code: 'SOURCE_AUTH' });
  });
});

describe('application-default credentials', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const name of ['GOOGLE_APPLICATION_CREDENTIALS', 'HOME', 'CLOUDSDK_CONFIG', 'GCE_METADATA_HOST', 'METADATA_SERVER_DETECTION']) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  it('uses the key file GOOGLE_APPLICATION_CREDENTIALS names', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'adc-'));
    try {
      writeFileSync(join(dir, 'sa.json'), sync.json);
      process.env.GOOGLE_APPLICATION_CREDENTIALS = join(dir, 'sa.json');
      const creds = await googleCredentials({ scopes: [COMPUTE_RO], tokenUrl: tokens.tokenUrl });
      const token = await creds.accessToken();
      expect(creds.principal).toBe(sync.email);
      expect(tokens.authorize(`Bearer ${token}`, [COMPUTE_RO]).ok).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says how to provide credentials when there are none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'no-adc-'));
    try {
      delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
      process.env.HOME = dir;
      process.env.CLOUDSDK_CONFIG = dir;
      process.env.METADATA_SERVER_DETECTION = 'none';
      await expect(googleCredentials({ scopes: [COMPUTE_RO] })).rejects.toMatchObject({
        code: 'SOURCE_AUTH',
        message: expect.stringContaining('GOOGLE_APPLICATION_CREDENTIALS'),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
