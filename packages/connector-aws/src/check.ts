import { PermissionDeniedError, errorMessage, type ConnectionCheck, type ConnectorContext } from '@elder-sync/connector-sdk';
import type { AwsConfig, AwsService } from './config.js';
import { GLOBAL_SERVICES } from './kinds.js';
import { awsRuntime, closePool, sdk, type AwsRuntime, type ClientPool, type Session } from './runtime.js';
import { taggingReachable } from './scope-api.js';
import { scopeParams, sessionFor } from './sessions.js';

interface Probe {
  action: string;
  /** The service whose kinds need the action, or `discovery` for what finding the scopes needs. */
  service: AwsService | 'discovery';
  /** The action is not required: what a denial costs instead (the check still passes). */
  withoutIt?: string;
  /** Whether a scope's read makes the call (instead of: the scope reads `service`). */
  neededBy?(scope: { services: ReadonlySet<AwsService>; global: boolean; session: Session }): boolean;
  run(runtime: AwsRuntime, session: Session, region: string, pool: ClientPool): Promise<string>;
}

/** Regional services whose tags come from the tagging API (S3 is the global one). */
const TAGGED_REGIONAL: AwsService[] = ['lambda', 'elasticache', 'sqs'];

/** One cheap read per IAM action the read of a scope needs (page size 1 where the API allows). */
const PROBES: Probe[] = [
  {
    action: 'ec2:DescribeRegions',
    service: 'discovery',
    run: async (rt, s, _region, pool) => {
      const c = await rt.client('ec2', s, rt.homeRegion, (m, cfg) => new m.EC2Client(cfg), pool);
      const { DescribeRegionsCommand } = await sdk('ec2');
      const out = await c.send(new DescribeRegionsCommand({}));
      return `${out.Regions?.length ?? 0} region(s) enabled`;
    },
  },
  {
    action: 'iam:ListAccountAliases',
    service: 'discovery',
    run: async (rt, s, _region, pool) => {
      const c = await rt.client('iam', s, 'global', (m, cfg) => new m.IAMClient(cfg), pool);
      const { ListAccountAliasesCommand } = await sdk('iam');
      const out = await c.send(new ListAccountAliasesCommand({}));
      return out.AccountAliases?.[0] ? `alias ${out.AccountAliases[0]}` : 'no alias';
    },
  },
  {
    action: 'ec2:DescribeVpcs',
    service: 'vpc',
    run: async (rt, s, region, pool) => {
      const c = await rt.client('ec2', s, region, (m, cfg) => new m.EC2Client(cfg), pool);
      const { DescribeVpcsCommand } = await sdk('ec2');
      const out = await c.send(new DescribeVpcsCommand({ MaxResults: 5 }));
      return `${out.Vpcs?.length ?? 0} VPC(s) on the first page`;
    },
  },
  {
    action: 'ec2:DescribeSubnets',
    service: 'vpc',
    run: async (rt, s, region, pool) => {
      const c = await rt.client('ec2', s, region, (m, cfg) => new m.EC2Client(cfg), pool);
      const { DescribeSubnetsCommand } = await sdk('ec2');
      await c.send(new DescribeSubnetsCommand({ MaxResults: 5 }));
      return 'allowed';
    },
  },
  {
    action: 'ec2:DescribeInstances',
    service: 'ec2',
    run: async (rt, s, region, pool) => {
      const c = await rt.client('ec2', s, region, (m, cfg) => new m.EC2Client(cfg), pool);
      const { DescribeInstancesCommand } = await sdk('ec2');
      await c.send(new DescribeInstancesCommand({ MaxResults: 5 }));
      return 'allowed';
    },
  },
  {
    action: 'lambda:ListFunctions',
    service: 'lambda',
    run: async (rt, s, region, pool) => {
      const c = await rt.client('lambda', s, region, (m, cfg) => new m.LambdaClient(cfg), pool);
      const { ListFunctionsCommand } = await sdk('lambda');
      await c.send(new ListFunctionsCommand({ MaxItems: 1 }));
      return 'allowed';
    },
  },
  {
    action: 'rds:DescribeDBInstances',
    service: 'rds',
    run: async (rt, s, region, pool) => {
      const c = await rt.client('rds', s, region, (m, cfg) => new m.RDSClient(cfg), pool);
      const { DescribeDBInstancesCommand } = await sdk('rds');
      await c.send(new DescribeDBInstancesCommand({ MaxRecords: 20 }));
      return 'allowed';
    },
  },
  {
    action: 'rds:DescribeDBClusters',
    service: 'rds',
    run: async (rt, s, region, pool) => {
      const c = await rt.client('rds', s, region, (m, cfg) => new m.RDSClient(cfg), pool);
      const { DescribeDBClustersCommand } = await sdk('rds');
      await c.send(new DescribeDBClustersCommand({ MaxRecords: 20 }));
      return 'allowed';
    },
  },
  {
    action: 'elasticache:DescribeCacheClusters',
    service: 'elasticache',
    run: async (rt, s, region, pool) => {
      const c = await rt.client('elasticache', s, region, (m, cfg) => new m.ElastiCacheClient(cfg), pool);
      const { DescribeCacheClustersCommand } = await sdk('elasticache');
      await c.send(new DescribeCacheClustersCommand({ MaxRecords: 20 }));
      return 'allowed';
    },
  },
  {
    action: 'elasticache:DescribeCacheSubnetGroups',
    service: 'elasticache',
    run: async (rt, s, region, pool) => {
      const c = await rt.client('elasticache', s, region, (m, cfg) => new m.ElastiCacheClient(cfg), pool);
      const { DescribeCacheSubnetGroupsCommand } = await sdk('elasticache');
      await c.send(new DescribeCacheSubnetGroupsCommand({ MaxRecords: 20 }));
      return 'allowed';
    },
  },
  {
    action: 'sqs:ListQueues',
    service: 'sqs',
    run: async (rt, s, region, pool) => {
      const c = await rt.client('sqs', s, region, (m, cfg) => new m.SQSClient(cfg), pool);
      const { ListQueuesCommand } = await sdk('sqs');
      await c.send(new ListQueuesCommand({ MaxResults: 1 }));
      return 'allowed';
    },
  },
  {
    action: 'tag:GetResources',
    service: 'lambda',
    withoutIt: 'Lambda, ElastiCache, SQS and S3 tags are read with one call per resource (lambda:ListTags, elasticache:ListTagsForResource, sqs:ListQueueTags, s3:GetBucketTagging)',
    // Checked once per account where it can be: in its regions' scopes, or in its global scope
    // when it reads S3 alone.
    neededBy: ({ services, global, session }) =>
      taggingReachable(session.endpoints) && (TAGGED_REGIONAL.some((x) => services.has(x)) ? !global : global && services.has('s3')),
    run: async (rt, s, region, pool) => {
      const c = await rt.client('tagging', s, region, (m, cfg) => new m.ResourceGroupsTaggingAPIClient(cfg), pool);
      const { GetResourcesCommand } = await sdk('tagging');
      const probe = region === 'global' ? 'arn:aws:s3:::elder-sync-probe' : `arn:aws:sqs:${region}:${s.accountId}:elder-sync-probe`;
      await c.send(new GetResourcesCommand({ ResourceARNList: [probe] }));
      return 'allowed';
    },
  },
  {
    action: 's3:ListAllMyBuckets',
    service: 's3',
    run: async (rt, s, _region, pool) => {
      const c = await rt.client('s3', s, rt.homeRegion, (m, cfg) => new m.S3Client(cfg), pool);
      const { ListBucketsCommand } = await sdk('s3');
      await c.send(new ListBucketsCommand({ MaxBuckets: 1 }));
      return 'allowed';
    },
  },
];

/**
 * For one scope: the account's identity (sts:GetCallerIdentity, after assuming its role), then one
 * cheap read per IAM action the scope's kinds need. A denied action is reported by its IAM name in
 * `missing`; nothing is written anywhere.
 */
export async function testAwsConnection(ctx: ConnectorContext<AwsConfig>): Promise<ConnectionCheck[]> {
  const pool: ClientPool = new Map();
  try {
    return await runChecks(ctx, awsRuntime(ctx.log), pool, []);
  } finally {
    await closePool(pool);
  }
}

async function runChecks(ctx: ConnectorContext<AwsConfig>, runtime: AwsRuntime, pool: ClientPool, checks: ConnectionCheck[]): Promise<ConnectionCheck[]> {
  const { config, signal } = ctx;
  const params = scopeParams(ctx.scope);
  let session: Session;
  try {
    session = await sessionFor(runtime, config, params, signal);
    const sts = await runtime.client('sts', session, runtime.homeRegion, (m, c) => new m.STSClient(c), pool);
    const { GetCallerIdentityCommand } = await sdk('sts');
    const who = await runtime.call(session, runtime.homeRegion, 'sts:GetCallerIdentity', () => sts.send(new GetCallerIdentityCommand({})), signal);
    checks.push({ name: 'sts:GetCallerIdentity', ok: true, detail: `${who.Arn} in account ${who.Account}` });
  } catch (error) {
    const action = params.roleArn ? 'sts:AssumeRole' : 'sts:GetCallerIdentity';
    checks.push({
      name: action,
      ok: false,
      detail: errorMessage(error),
      missing: [params.roleArn ? `sts:AssumeRole on ${params.roleArn}` : 'working AWS credentials (env, profile, SSO, container or instance role)'],
    });
    return checks;
  }
  const global = params.region === 'global';
  const services = new Set<AwsService>(config.services);
  // What discovery needs is checked once per account: in its global scope, else in its home-region scope.
  const discoveryHere = services.has('s3') ? global : params.sample;
  const probes: Probe[] = [...PROBES];
  if (config.organization && params.roleArn === null && discoveryHere) {
    probes.unshift({
      action: 'organizations:ListAccounts',
      service: 'discovery',
      run: async (rt, s, _region, pool) => {
        const c = await rt.client('organizations', s, 'global', (m, cfg) => new m.OrganizationsClient(cfg), pool);
        const { ListAccountsCommand } = await sdk('organizations');
        const out = await c.send(new ListAccountsCommand({ MaxResults: 1 }));
        return `${out.Accounts?.length ?? 0} account(s) on the first page`;
      },
    });
  }
  let probed = 0;
  for (const probe of probes) {
    if (probe.neededBy ? !probe.neededBy({ services, global, session }) : probe.service === 'discovery' ? !discoveryHere : !services.has(probe.service) || GLOBAL_SERVICES.has(probe.service) !== global) continue;
    // Outside the account's sample region one read shows the region answers; permissions are the account's.
    if (!params.sample && probed++ > 0) {
      checks.push({ name: 'permissions', ok: true, detail: `checked in the account's sample region; here only that ${params.region} answers` });
      break;
    }
    try {
      const detail = await runtime.call(session, probe.service === 'discovery' ? 'global' : params.region, probe.action, () => probe.run(runtime, session, params.region, pool), signal);
      checks.push({ name: probe.action, ok: true, detail });
    } catch (error) {
      const denied = error instanceof PermissionDeniedError;
      if (denied && probe.withoutIt) {
        checks.push({ name: probe.action, ok: true, detail: `not granted (optional): ${probe.withoutIt}; grant it for far fewer calls` });
        continue;
      }
      checks.push({ name: probe.action, ok: false, detail: errorMessage(error), ...(denied ? { missing: [error.permission ?? probe.action] } : {}) });
    }
  }
  return checks;
}
