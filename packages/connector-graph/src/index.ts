import { CONNECTOR_API_VERSION, defineConnector } from '@elder-sync/connector-sdk';
import { testTenant } from './check.js';
import { graphConfigSchema, type GraphConfig } from './config.js';
import { readTenant } from './read.js';
import { tenantScopes } from './tenants.js';

export type { GraphConfig, TenantConfig } from './config.js';
export { graphConfigSchema, tenantSchema } from './config.js';
export { RESOURCES, RESOURCE_SPECS, type Resource, type ApiFamily } from './resources.js';
export { CLOUDS, CLOUD_ENDPOINTS, endpointsFor, type Cloud } from './cloud.js';
export { FAMILY_LIMITS, limiter } from './limits.js';
export { DeltaExpiredError, UnexpectedResponseError } from './errors.js';

/** Delta reads between full reconciles, unless the source sets `fullEvery`: a day at a 15-minute schedule. */
export const DEFAULT_FULL_EVERY = 96;

/**
 * Microsoft Entra ID, Intune and Defender for Endpoint → Elder, for many tenants. Each tenant is a
 * scope with its own app registration and its own organization (named by `name`); a failure in one
 * never touches another. Only zod and the SDK load with this module: msal-node and undici are
 * imported when a tenant is first read.
 */
export default defineConnector<GraphConfig>({
  apiVersion: CONNECTOR_API_VERSION,
  id: 'graph',
  displayName: 'Microsoft Graph (Entra ID, Intune, Defender)',
  description: 'Users, groups, devices, Intune devices and compliance, Defender machines, alerts, vulnerabilities and secure score, per tenant.',
  configSchema: graphConfigSchema,
  defaults: { fullEvery: DEFAULT_FULL_EVERY },
  kinds: {
    user: { target: 'entity', entityType: 'user', subType: 'person', description: 'Entra users', naturalKeys: ['email'] },
    group: { target: 'entity', entityType: 'user', subType: 'group', description: 'Entra groups; members link to them with member_of' },
    device: { target: 'entity', entityType: 'compute', subType: 'other', description: 'Entra devices' },
    managed_device: { target: 'entity', entityType: 'compute', subType: 'other', description: 'Intune managed devices with their compliance state' },
    machine: { target: 'entity', entityType: 'compute', subType: 'other', description: 'Defender for Endpoint machines' },
    alert: { target: 'entity', entityType: 'security', subType: 'other', description: 'Security alerts (alerts_v2)' },
    vulnerability: { target: 'entity', entityType: 'security', subType: 'vulnerability', description: 'Vulnerabilities per machine (Defender)' },
    secure_score: { target: 'entity', entityType: 'security', subType: 'compliance', description: "The tenant's latest Microsoft Secure Score" },
  },
  scopes: (config) => tenantScopes(config),
  testConnection: (ctx) => testTenant(ctx),
  read: (ctx) => readTenant(ctx),
});
