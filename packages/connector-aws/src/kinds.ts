import type { KindSpec, SourceRecord } from '@elder-sync/connector-sdk';
import type { AwsService } from './config.js';
import type { ScopeApi } from './scope-api.js';
import { readCacheClusters } from './services/elasticache.js';
import { readInstances } from './services/ec2.js';
import { readFunctions } from './services/lambda.js';
import { readDbClusters, readDbInstances } from './services/rds.js';
import { readBuckets } from './services/s3.js';
import { readQueues } from './services/sqs.js';
import { readSubnets, readVpcs } from './services/vpc.js';

/**
 * Every kind: where it lands in Elder (DESIGN §6 defaults, overridable per source with `types:`), its
 * natural key (the Python worker's match key, so `--adopt` takes over its data), the service that
 * switches it on, and its reader. Read in this order: targets of relations before their sources.
 */
export const AWS_KINDS = {
  vpc: {
    spec: { target: 'entity', entityType: 'datacenter', subType: 'private_vpc', description: 'VPCs', naturalKeys: ['vpc_id'] },
    service: 'vpc',
    read: readVpcs,
  },
  subnet: {
    spec: { target: 'entity', entityType: 'network', subType: 'subnet', description: 'VPC subnets (depend on their VPC)', naturalKeys: ['subnet_id'] },
    service: 'vpc',
    read: readSubnets,
  },
  ec2_instance: {
    spec: { target: 'entity', entityType: 'compute', subType: 'virtual_machine', description: 'EC2 instances (depend on their subnet)', naturalKeys: ['instance_id'] },
    service: 'ec2',
    read: readInstances,
  },
  lambda_function: {
    spec: { target: 'entity', entityType: 'compute', subType: 'serverless', description: 'Lambda functions (depend on their VPC)', naturalKeys: ['function_arn'] },
    service: 'lambda',
    read: readFunctions,
  },
  rds_cluster: {
    spec: { target: 'entity', entityType: 'storage', subType: 'database', description: 'Aurora and Multi-AZ DB clusters', naturalKeys: ['cluster_id'] },
    service: 'rds',
    read: readDbClusters,
  },
  rds_instance: {
    spec: { target: 'entity', entityType: 'storage', subType: 'database', description: 'RDS DB instances (depend on their VPC and cluster)', naturalKeys: ['instance_id'] },
    service: 'rds',
    read: readDbInstances,
  },
  elasticache_cluster: {
    spec: { target: 'entity', entityType: 'storage', subType: 'caching', description: 'ElastiCache clusters (depend on their VPC)', naturalKeys: ['cluster_id'] },
    service: 'elasticache',
    read: readCacheClusters,
  },
  sqs_queue: {
    spec: { target: 'entity', entityType: 'storage', subType: 'queue_system', description: 'SQS queues', naturalKeys: ['queue_url'] },
    service: 'sqs',
    read: readQueues,
  },
  s3_bucket: {
    spec: { target: 'entity', entityType: 'storage', subType: 'other', description: 'S3 buckets (one scope per account: <account>/global)', naturalKeys: ['bucket_name'] },
    service: 's3',
    read: readBuckets,
  },
} as const satisfies Record<string, { spec: KindSpec; service: AwsService; read: (api: ScopeApi) => AsyncGenerator<SourceRecord> }>;

export type AwsKind = keyof typeof AWS_KINDS;
export const KIND_ORDER = Object.keys(AWS_KINDS) as AwsKind[];

/** Services read once per account rather than per region. */
export const GLOBAL_SERVICES: ReadonlySet<AwsService> = new Set(['s3']);
