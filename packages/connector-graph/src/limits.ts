import { KeyedLimiter, type LimiterOptions } from '@elder-sync/connector-sdk';
import type { ApiFamily } from './resources.js';

/**
 * Request rates per (tenant, API family), from Microsoft's published limits. The limiter also halves
 * a key's pace when throttled anyway and blocks it until `Retry-After` has passed.
 * - Intune: 2,000 requests per 20 s per tenant (https://learn.microsoft.com/graph/throttling-limits#intune-service-limits).
 * - Security alerts: 150 per minute per tenant (https://learn.microsoft.com/graph/throttling-limits#security-detections-and-incidents-service-limits).
 * - Defender for Endpoint API: 100 calls per minute and 1,500 per hour per tenant
 *   (https://learn.microsoft.com/defender-endpoint/api/get-machines#limitations).
 * - Vulnerability export (SoftwareVulnerabilitiesByMachine, SoftwareVulnerabilityChangesByMachine):
 *   30 calls per minute (https://learn.microsoft.com/defender-endpoint/api/get-assessment-software-vulnerabilities).
 * - Directory (Entra ID): resource units per app and tenant; 3,000 requests per 10 s stays under
 *   the smallest tenant's budget for reads of 1 unit (https://learn.microsoft.com/graph/throttling-limits#identity-and-access-service-limits).
 * - Secure score shares the security API's 150 per minute; login is not rate-limited here.
 */
export const FAMILY_LIMITS: Record<ApiFamily, LimiterOptions> = {
  login: { concurrency: 2 },
  directory: { concurrency: 4, rates: [{ limit: 3_000, intervalMs: 10_000 }] },
  intune: { concurrency: 4, rates: [{ limit: 2_000, intervalMs: 20_000 }] },
  'security-alerts': { concurrency: 2, rates: [{ limit: 150, intervalMs: 60_000 }] },
  'security-score': { concurrency: 1, rates: [{ limit: 150, intervalMs: 60_000 }] },
  defender: { concurrency: 2, rates: [{ limit: 100, intervalMs: 60_000 }, { limit: 1_500, intervalMs: 3_600_000 }] },
  'vulnerability-export': { concurrency: 1, rates: [{ limit: 30, intervalMs: 60_000 }] },
};

/** The limiter key of a (tenant, app, family): limits are per tenant and app. */
export function limiterKey(tenantId: string, clientId: string, family: ApiFamily): string {
  return `${tenantId.toLowerCase()}/${clientId.toLowerCase()}/${family}`;
}

/**
 * One limiter for the process, shared by every source and scope: two sources that read the same
 * tenant with the same app share its budget, as Microsoft counts it.
 */
export const limiter = new KeyedLimiter((key) => FAMILY_LIMITS[key.slice(key.lastIndexOf('/') + 1) as ApiFamily] ?? { concurrency: 2 });
