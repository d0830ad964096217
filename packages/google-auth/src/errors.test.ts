import {
  errorInfo,
  googleError,
  json,
  mintServiceAccountKey,
  serveGoogle,
  startGoogleTokenServer,
  type GoogleResponse,
  type GoogleTokenServer,
  type RunningGoogleServer,
} from '@elder-sync/testkit/google';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { googleCredentials, type GoogleCredentials } from './client.js';
import { classifyGoogleError } from './errors.js';

// Error bodies as Google's APIs return them (captured from compute, storage and cloudresourcemanager docs and responses).
const ANSWERS: Record<string, GoogleResponse> = {
  '/rate': googleError(403, 'Rate Limit Exceeded', { reason: 'rateLimitExceeded', domain: 'usageLimits' }),
  '/user-rate': googleError(403, 'User Rate Limit Exceeded', { reason: 'userRateLimitExceeded', domain: 'usageLimits' }),
  '/quota': googleError(403, 'Quota exceeded for quota metric', { reason: 'quotaExceeded', domain: 'usageLimits' }),
  '/429': googleError(429, "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute'", {
    reason: 'rateLimitExceeded',
    headers: { 'retry-after': '7' },
  }),
  '/disabled': googleError(
    403,
    'Compute Engine API has not been used in project 111111111111 before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/compute.googleapis.com/overview?project=111111111111 then retry.',
    {
      reason: 'accessNotConfigured',
      domain: 'usageLimits',
      details: [errorInfo('SERVICE_DISABLED', 'googleapis.com', { service: 'compute.googleapis.com', consumer: 'projects/111111111111' })],
    },
  ),
  '/compute-forbidden': googleError(403, "Required 'compute.instances.list' permission for 'projects/web-prod'", { reason: 'forbidden' }),
  '/storage-forbidden': googleError(
    403,
    "sync@prj.iam.gserviceaccount.com does not have storage.buckets.list access to the Google Cloud project. Permission 'storage.buckets.list' denied on resource (or it may not exist).",
    { reason: 'forbidden' },
  ),
  '/rm-forbidden': googleError(403, 'The caller does not have permission', { legacy: false }),
  '/iam-forbidden': googleError(403, 'Permission denied', {
    legacy: false,
    details: [errorInfo('IAM_PERMISSION_DENIED', 'cloudresourcemanager.googleapis.com', { permission: 'resourcemanager.folders.get' })],
  }),
  '/unavailable': googleError(503, 'The service is currently unavailable.', { reason: 'backendError' }),
  '/missing': googleError(404, "The resource 'projects/gone' was not found", { reason: 'notFound' }),
  '/bad': googleError(400, "Invalid value for field 'maxResults': '0'.", { reason: 'invalid' }),
  '/html-502': { status: 502, body: '<html>Bad Gateway</html>' },
};

let tokens: GoogleTokenServer;
let api: RunningGoogleServer;
let creds: GoogleCredentials;

beforeAll(async () => {
  const sa = mintServiceAccountKey();
  tokens = await startGoogleTokenServer({ accounts: [sa] });
  api = await serveGoogle((request) => ANSWERS[request.url.pathname] ?? json(200, {}));
  creds = await googleCredentials({ credentials: sa.json, scopes: ['https://www.googleapis.com/auth/cloud-platform.read-only'], tokenUrl: tokens.tokenUrl });
});
afterAll(async () => {
  await api.close();
  await tokens.close();
});

/** The error the real client (gaxios 7 through google-auth-library 10) raises for a path, classified. */
async function classified(path: string, context: Parameters<typeof classifyGoogleError>[1] = { what: `GET ${path}` }) {
  try {
    await creds.client.request({ url: `${api.url}${path}`, retry: false });
  } catch (error) {
    return classifyGoogleError(error, context);
  }
  throw new Error(`GET ${path} succeeded`);
}

describe('classifyGoogleError on errors from the real client', () => {
  it.each(['/rate', '/user-rate', '/quota'])('takes a 403 %s as throttling, not as a missing permission', async (path) => {
    expect(await classified(path)).toMatchObject({ code: 'SOURCE_THROTTLED' });
  });

  it('takes a 429 as throttling and keeps its Retry-After', async () => {
    expect(await classified('/429')).toMatchObject({ code: 'SOURCE_THROTTLED', retryAfterMs: 7000 });
  });

  it('names the disabled API and the gcloud command that enables it in that project', async () => {
    const error = await classified('/disabled', { what: 'compute.instances.aggregatedList', project: 'web-prod' });
    expect(error).toMatchObject({
      code: 'SOURCE_API_DISABLED',
      api: 'compute.googleapis.com',
      fix: 'gcloud services enable compute.googleapis.com --project web-prod',
    });
    expect(error.message).toContain('enable it with: gcloud services enable compute.googleapis.com --project web-prod');
  });

  it.each([
    ['/compute-forbidden', 'compute.instances.list'],
    ['/storage-forbidden', 'storage.buckets.list'],
    ['/iam-forbidden', 'resourcemanager.folders.get'],
  ])('names the permission Google says is missing (%s)', async (path, permission) => {
    const error = await classified(path, { what: 'list', project: 'web-prod' });
    expect(error).toMatchObject({ code: 'SOURCE_PERMISSION_DENIED', permission });
    expect(error.message).toContain(`the credentials lack ${permission} on project web-prod`);
  });

  it('names the permission the caller knows the call needs when Google does not say', async () => {
    const error = await classified('/rm-forbidden', { what: 'projects.list under folders/1', permission: 'resourcemanager.projects.list' });
    expect(error).toMatchObject({ code: 'SOURCE_PERMISSION_DENIED', permission: 'resourcemanager.projects.list' });
  });

  it('retries what may pass: 5xx, even when the body is not JSON', async () => {
    expect(await classified('/unavailable')).toMatchObject({ code: 'SOURCE_TRANSIENT' });
    expect(await classified('/html-502')).toMatchObject({ code: 'SOURCE_TRANSIENT' });
  });

  it('does not retry a 404 or a 400', async () => {
    expect(await classified('/missing')).toMatchObject({ code: 'SOURCE_NOT_FOUND' });
    expect(await classified('/bad')).toMatchObject({ code: 'SOURCE_GOOGLE_API', message: expect.stringContaining("Invalid value for field 'maxResults'") });
  });

  it('takes an unreachable endpoint as transient and a bearer token never reaches the message', async () => {
    let error: unknown;
    try {
      await creds.client.request({ url: 'http://127.0.0.1:9/x', retry: false });
    } catch (e) {
      error = e;
    }
    const result = classifyGoogleError(error, { what: 'GET /x' });
    expect(result).toMatchObject({ code: 'SOURCE_TRANSIENT', message: expect.stringContaining('ECONNREFUSED') });
    expect(result.cause).toBeUndefined();
    expect(JSON.stringify({ ...result, message: result.message })).not.toMatch(/ya29\./);
  });
});
