import { CONNECTOR_API_VERSION, defineConnector } from '@elder-sync/connector-sdk';
import { testGcpConnection } from './check.js';
import { gcpConfigSchema, type GcpConfig } from './config.js';
import { discoverProjects } from './discovery.js';
import { readProject } from './read.js';

export type { GcpConfig } from './config.js';
export { gcpConfigSchema, GCP_RESOURCES, GCP_APIS, DEFAULT_PAGE_SIZE, projectMatcher } from './config.js';
export { GCP_SCOPES, SERVICES } from './clients.js';
export { labelsOf } from './mapping.js';

/**
 * Google Cloud → Elder: every ACTIVE project under the configured organizations and folders (or the
 * named projects) is a scope; the folder path becomes organizations, each project an organization
 * keyed by its number (a moved project moves in place); Compute Engine instances, VPC networks and
 * subnetworks, and Cloud Storage buckets are entities keyed by GCP's ids.
 *
 * Only zod, the SDK and google-auth's config pieces load with this module; googleapis, Storage and
 * google-auth-library are imported on first use.
 */
export default defineConnector<GcpConfig>({
  apiVersion: CONNECTOR_API_VERSION,
  id: 'gcp',
  displayName: 'Google Cloud',
  description: 'Compute Engine instances, VPC networks and subnetworks, Cloud Storage buckets, for every project under an organization or folder.',
  configSchema: gcpConfigSchema,
  kinds: {
    project: { target: 'organization', description: 'projects, below organizations named after the organization and folder path' },
    network: {
      target: 'entity',
      entityType: 'datacenter',
      subType: 'private_vpc',
      description: 'VPC networks',
      naturalKeys: ['network_id'],
    },
    subnetwork: {
      target: 'entity',
      entityType: 'network',
      subType: 'subnet',
      description: 'VPC subnetworks, member_of their network',
      naturalKeys: ['subnetwork_id'],
    },
    instance: {
      target: 'entity',
      entityType: 'compute',
      subType: 'virtual_machine',
      description: 'Compute Engine instances, member_of their subnetworks',
      naturalKeys: ['instance_id'],
    },
    bucket: {
      target: 'entity',
      entityType: 'storage',
      subType: 'other',
      description: 'Cloud Storage buckets',
      naturalKeys: ['bucket_name'],
    },
  },
  scopes: (config, context) => discoverProjects(config, context),
  testConnection: (ctx) => testGcpConnection(ctx),
  read: (ctx) => readProject(ctx),
});
