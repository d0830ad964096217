import { KeyedLimiter } from '@elder-sync/connector-sdk';
import { classifyGoogleError, googleAuthOptionsOf, googleCredentials, rootUrlOf, type GoogleCallContext, type GoogleCredentials } from '@elder-sync/google-auth';
import type { Storage } from '@google-cloud/storage';
import type { cloudresourcemanager_v3 } from '@googleapis/cloudresourcemanager/build/v3.js';
import type { compute_v1 } from '@googleapis/compute/build/v1.js';
import type { GcpConfig } from './config.js';
import { storageAuthClient } from './storage-auth.js';

/** Read-only access to every API this connector calls (Compute, Resource Manager, Storage). */
export const GCP_SCOPES = ['https://www.googleapis.com/auth/cloud-platform.read-only'];

/** Service names, for `gcloud services enable` and error messages. */
export const SERVICES = {
  compute: 'compute.googleapis.com',
  cloudresourcemanager: 'cloudresourcemanager.googleapis.com',
  storage: 'storage.googleapis.com',
} as const;
export type GcpApi = keyof typeof SERVICES;

/**
 * One limiter for the process: GCP quotas are per (project, API), so sources reading the same
 * project share its budget. Keys: `<project>/<api>`; Resource Manager discovery `<parent>/cloudresourcemanager`.
 */
const limiter = new KeyedLimiter({ concurrency: 4, maxRetries: 6 });

export function limiterStats() {
  return limiter.stats();
}

/** The authenticated clients of one source config, built once and shared by discovery and every scope. */
export interface GcpClients {
  credentials: GoogleCredentials;
  compute(): Promise<compute_v1.Compute>;
  resourceManager(): Promise<cloudresourcemanager_v3.Cloudresourcemanager>;
  storage(projectId: string): Promise<Storage>;
}

const opened = new WeakMap<GcpConfig, Promise<GcpClients>>();

/** The clients for a config; SDKs are imported on first use of each, never at module load. */
export function gcpClients(config: GcpConfig): Promise<GcpClients> {
  let clients = opened.get(config);
  if (!clients) {
    clients = openClients(config);
    opened.set(config, clients);
    clients.catch(() => opened.delete(config));
  }
  return clients;
}

async function openClients(config: GcpConfig): Promise<GcpClients> {
  const credentials = await googleCredentials(googleAuthOptionsOf(config, GCP_SCOPES));
  // Retries are the limiter's job: the clients' own (googleapis retries 5xx and 429 three times, Storage
  // too) would multiply its attempts and hide throttling from it.
  const common = { auth: credentials.client as never, retry: false } as const;
  let compute: Promise<compute_v1.Compute> | undefined;
  let resourceManager: Promise<cloudresourcemanager_v3.Cloudresourcemanager> | undefined;
  const storageAuth = storageAuthClient(credentials.client);
  return {
    credentials,
    compute: () =>
      (compute ??= import('@googleapis/compute/build/v1.js').then(
        ({ compute_v1 }) => new compute_v1.Compute({ ...common, ...(config.endpoints?.compute ? { rootUrl: rootUrlOf(config.endpoints.compute) } : {}) }),
      )),
    resourceManager: () =>
      (resourceManager ??= import('@googleapis/cloudresourcemanager/build/v3.js').then(
        ({ cloudresourcemanager_v3 }) =>
          new cloudresourcemanager_v3.Cloudresourcemanager({
            ...common,
            ...(config.endpoints?.cloudresourcemanager ? { rootUrl: rootUrlOf(config.endpoints.cloudresourcemanager) } : {}),
          }),
      )),
    storage: async (projectId) => {
      const { Storage } = await import('@google-cloud/storage');
      return new Storage({
        projectId,
        authClient: storageAuth as never,
        retryOptions: { autoRetry: false, maxRetries: 0 },
        // Storage sends no Authorization header to a custom endpoint unless told to.
        ...(config.endpoints?.storage ? { apiEndpoint: config.endpoints.storage.replace(/\/+$/, ''), useAuthWithCustomEndpoint: true } : {}),
      });
    },
  };
}

/**
 * One Google API call through the limiter under `<key>`, its error classified inside the task so the
 * limiter sees throttling and transient failures (and retries them) and nothing else.
 */
export function callGoogle<T>(key: string, context: GoogleCallContext, signal: AbortSignal, call: () => Promise<T>): Promise<T> {
  return limiter.run(
    key,
    async () => {
      try {
        return await call();
      } catch (error) {
        throw classifyGoogleError(error, context);
      }
    },
    { signal },
  );
}
