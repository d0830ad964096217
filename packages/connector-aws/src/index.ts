import { CONNECTOR_API_VERSION, defineConnector, type KindSpec } from '@elder-sync/connector-sdk';
import { testAwsConnection } from './check.js';
import { awsConfigSchema, type AwsConfig } from './config.js';
import { discoverAwsScopes } from './discovery.js';
import { AWS_KINDS, KIND_ORDER } from './kinds.js';
import { readScope } from './read.js';

export type { AwsConfig } from './config.js';
export { awsConfigSchema, AWS_SERVICES } from './config.js';
export { AwsErrorCode, RegionDisabledError } from './errors.js';
export { elderTags } from './mapping.js';

/**
 * AWS → Elder: every account (the credential chain's, listed roles, or an Organization's members) ×
 * every enabled region; EC2, VPCs and subnets, Lambda, RDS, ElastiCache, SQS, and S3 per account.
 * Elder organizations: source root → account → region.
 *
 * Only zod and the connector SDK load with this module; the AWS SDK clients load when a scope is
 * discovered, checked or read.
 */
export default defineConnector<AwsConfig>({
  apiVersion: CONNECTOR_API_VERSION,
  id: 'aws',
  displayName: 'Amazon Web Services',
  description: 'EC2, VPC, Lambda, RDS, ElastiCache, SQS and S3 across accounts (or an AWS Organization) and regions.',
  configSchema: awsConfigSchema,
  kinds: Object.fromEntries(KIND_ORDER.map((k) => [k, AWS_KINDS[k].spec])) as Record<string, KindSpec>,
  scopes: (config, ctx) => discoverAwsScopes(config, ctx),
  testConnection: (ctx) => testAwsConnection(ctx),
  read: (ctx) => readScope(ctx),
});
