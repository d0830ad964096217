/**
 * The connector against the testkit's loopback AWS (real SDK clients, real wire protocols, SigV4
 * checked, pages of 2): an Organization of 3 accounts × 3 regions with several pages of everything.
 */
import { PermissionDeniedError, SourceAuthError, silentLogger, type ReadItem, type Scope, type ScopeDiscovery, type SourceRecord } from '@elder-sync/connector-sdk';
import { generateWorld, startAwsFake, type AwsFake } from '@elder-sync/testkit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import connector from './index.js';
import type { AwsConfig } from './config.js';
import { RegionDisabledError } from './errors.js';
import { resetAwsRuntime } from './runtime.js';

let fake: AwsFake;
const saved = { ...process.env };

function useFake(f: AwsFake): void {
  for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) delete process.env[k];
  Object.assign(process.env, f.env());
  resetAwsRuntime();
}

const signal = new AbortController().signal;
const config = (c: Record<string, unknown> = {}): AwsConfig => connector.configSchema.parse({ organization: { roleName: 'elder-sync-read' }, ...c });
const discover = async (c: AwsConfig) => (await connector.scopes(c, { log: silentLogger, signal })) as ScopeDiscovery;
async function read(c: AwsConfig, scope: Scope): Promise<ReadItem[]> {
  const items: ReadItem[] = [];
  for await (const item of connector.read({ config: c, scope, log: silentLogger, signal, mode: 'full', checkpoint: null })) items.push(item);
  return items;
}
const records = (items: ReadItem[]): SourceRecord[] => items.flatMap((i) => (i.type === 'record' ? [i.record] : []));
const scopeOf = (d: ScopeDiscovery, id: string) => {
  const s = d.scopes.find((x) => x.id === id);
  if (!s) throw new Error(`no scope ${id} in ${d.scopes.map((x) => x.id).join(', ')}`);
  return s;
};

beforeAll(async () => {
  fake = await startAwsFake({ world: generateWorld({ accounts: 3, perRegion: 3 }), pageSize: 2 });
});
afterAll(async () => {
  process.env = saved;
  await fake?.close();
});
beforeEach(() => {
  fake.clearFaults();
  fake.resetRequests();
  useFake(fake);
});

const [MGMT, M1, M2] = ['100000000010', '100000000011', '100000000012'];
const REGIONS = ['ap-southeast-2', 'eu-west-1', 'us-east-1'];

describe('discovery of an Organization', () => {
  it('finds every ACTIVE member × every enabled region, plus a global scope per account', async () => {
    const d = await discover(config());
    const expected = [MGMT, M1, M2].flatMap((a) => [...REGIONS, 'global'].map((r) => `${a}/${r}`)).sort();
    expect(d.scopes.map((s) => s.id)).toEqual(expected);
    expect(d.failed).toEqual([]);
    // Labels: alias (iam:ListAccountAliases), else the Organizations account name.
    expect(scopeOf(d, `${M1}/eu-west-1`).label).toBe('acme-1 eu-west-1');
    expect(scopeOf(d, `${MGMT}/global`).label).toBe('management global');
    // The management account is read with the caller's own credentials, members through the role.
    const assumed = fake.requests().filter((r) => r.action === 'sts:AssumeRole');
    expect(assumed.map((r) => r.status)).toEqual([200, 200]);
  });

  it('leaves out excluded accounts and suspended ones, and with explicit regions skips DescribeRegions', async () => {
    fake.world.accounts[2]!.status = 'SUSPENDED';
    try {
      const d = await discover(config({ organization: { roleName: 'elder-sync-read', excludeAccounts: [M1] }, regions: ['eu-west-1'], services: ['ec2'] }));
      expect(d.scopes.map((s) => s.id)).toEqual([`${MGMT}/eu-west-1`]);
      expect(fake.requests().some((r) => r.action === 'ec2:DescribeRegions')).toBe(false);
    } finally {
      fake.world.accounts[2]!.status = 'ACTIVE';
    }
  });

  it('an account that left the Organization is simply not discovered (not a failure)', async () => {
    fake.world.accounts[2]!.outsideOrganization = true;
    try {
      const d = await discover(config());
      expect(d.scopes.some((s) => s.id.startsWith(M2))).toBe(false);
      expect(d.scopes).toHaveLength(8);
      expect(d.failed).toEqual([]);
    } finally {
      fake.world.accounts[2]!.outsideOrganization = false;
    }
  });

  it('reports an account whose role cannot be assumed as failed, and still discovers the others', async () => {
    fake.world.accounts[1]!.roles[0]!.refuse = true;
    try {
      const d = await discover(config());
      expect(d.scopes.some((s) => s.id.startsWith(M1))).toBe(false);
      expect(d.scopes.filter((s) => s.id.startsWith(M2))).toHaveLength(4);
      expect(d.failed).toHaveLength(1);
      expect(d.failed![0]).toMatchObject({ id: M1 });
      expect(d.failed![0]!.label).toContain('member-1');
      expect(d.failed![0]!.error).toBeInstanceOf(SourceAuthError);
      expect(String(d.failed![0]!.error)).toMatch(/role arn:aws:iam::100000000011:role\/elder-sync-read cannot be assumed/);
    } finally {
      fake.world.accounts[1]!.roles[0]!.refuse = false;
    }
  });

  it('credentials the fake did not issue are refused (SigV4 is checked): the whole discovery fails', async () => {
    process.env.AWS_SECRET_ACCESS_KEY = 'not-the-secret';
    resetAwsRuntime();
    await expect(discover(config())).rejects.toThrow(/sts:GetCallerIdentity .*SignatureDoesNotMatch/);
    await expect(discover(config())).rejects.toBeInstanceOf(SourceAuthError);
  });

  it('endpoints: in the config reach the same services without AWS_ENDPOINT_URL (S3 path-style)', async () => {
    delete process.env.AWS_ENDPOINT_URL;
    resetAwsRuntime();
    const endpoints = Object.fromEntries(['ec2', 'lambda', 'rds', 'elasticache', 'sqs', 's3', 'sts', 'organizations', 'iam'].map((s) => [s, fake.url]));
    const c = config({ endpoints, regions: ['eu-west-1'], services: ['ec2', 's3'] });
    const d = await discover(c);
    expect(d.scopes.map((s) => s.id)).toHaveLength(6);
    expect(records(await read(c, scopeOf(d, `${M2}/global`)))).toHaveLength(3);
    expect(records(await read(c, scopeOf(d, `${M2}/eu-west-1`)))).toHaveLength(3);
    // Endpoints without one for the tagging API: bucket tags come from the S3 endpoint, bucket by bucket.
    const calls = (action: string) => fake.requests().filter((r) => r.action === action).length;
    expect([calls('tag:GetResources'), calls('s3:GetBucketTagging')]).toEqual([0, 3]);
    fake.resetRequests();
    const withTagging = config({ endpoints: { ...endpoints, tagging: fake.url }, regions: ['eu-west-1'], services: ['s3'] });
    expect(records(await read(withTagging, scopeOf(d, `${M2}/global`)))).toHaveLength(3);
    expect(calls('s3:GetBucketTagging')).toBe(0);
    expect(calls('tag:GetResources')).toBeGreaterThan(0);
  });

  it('without accounts or organization reads the credential chain\'s own account', async () => {
    const d = await discover(connector.configSchema.parse({ regions: ['us-east-1'] }));
    expect(d.scopes.map((s) => s.id)).toEqual([`${MGMT}/global`, `${MGMT}/us-east-1`]);
  });
});

describe('reading a region of a member account', () => {
  let items: ReadItem[];
  let recs: SourceRecord[];
  let requests: ReturnType<AwsFake['requests']>;
  beforeAll(async () => {
    useFake(fake);
    const d = await discover(config());
    fake.resetRequests();
    items = await read(config(), scopeOf(d, `${M1}/eu-west-1`));
    requests = fake.requests();
    recs = records(items);
  });

  it('yields every resource of every kind, keyed by ARN, paging each listing to its end', () => {
    const count = (kind: string) => recs.filter((r) => r.kind === kind).length;
    expect(Object.fromEntries(['vpc', 'subnet', 'ec2_instance', 'lambda_function', 'rds_cluster', 'rds_instance', 'elasticache_cluster', 'sqs_queue'].map((k) => [k, count(k)]))).toEqual({
      vpc: 3,
      subnet: 3,
      ec2_instance: 3,
      lambda_function: 3,
      rds_cluster: 1,
      rds_instance: 3,
      elasticache_cluster: 3,
      sqs_queue: 3,
    });
    expect(items.some((i) => i.type === 'incomplete')).toBe(false);
    for (const r of recs) expect(r.externalId).toMatch(/^arn:aws:/);
    // Pages of 2 for 3 items: every listing took two calls.
    const calls = (action: string) => requests.filter((r) => r.action === action && r.status === 200).length;
    for (const action of ['ec2:DescribeInstances', 'ec2:DescribeVpcs', 'ec2:DescribeSubnets', 'lambda:ListFunctions', 'rds:DescribeDBInstances', 'elasticache:DescribeCacheClusters', 'sqs:ListQueues']) {
      expect(calls(action), action).toBe(2);
    }
  });

  it('maps an instance with the worker\'s keys, AWS tags as a map and Elder tags, under account → region', () => {
    const i = recs.find((r) => r.kind === 'ec2_instance')!;
    expect(i.externalId).toMatch(new RegExp(`^arn:aws:ec2:eu-west-1:${M1}:instance/i-`));
    expect(i.name).toBe('EC2: web-0');
    expect(i.organizationPath).toEqual(['acme-1', 'eu-west-1']);
    expect(i.attributes).toMatchObject({
      instance_id: expect.stringMatching(/^i-/),
      instance_type: 't3.micro',
      state: 'running',
      private_ip: expect.any(String),
      public_ip: '203.0.113.0',
      account_id: M1,
      region: 'eu-west-1',
      launch_time: '2024-05-01T10:00:00.000Z',
      aws_tags: { Name: 'web-0', 'aws:cloudformation:stack-name': 'stack', team: 'platform' },
    });
    expect(i.tags).toEqual(['Name:web-0', 'aws', 'ec2', 'eu-west-1', 'team:platform']);
  });

  it('relates instance → subnet → VPC, and Lambda, RDS and ElastiCache → their VPC', () => {
    const ids = new Set(recs.map((r) => `${r.kind}/${r.externalId}`));
    const rel = (kind: string) => recs.filter((r) => r.kind === kind).flatMap((r) => r.relations ?? []);
    for (const kind of ['ec2_instance', 'subnet', 'lambda_function', 'rds_instance', 'elasticache_cluster']) {
      for (const r of rel(kind)) expect(ids.has(`${r.kind}/${r.externalId}`), `${kind} → ${r.kind}/${r.externalId}`).toBe(true);
    }
    expect(rel('ec2_instance').map((r) => r.kind)).toEqual(['subnet', 'subnet', 'subnet']);
    expect(rel('subnet').map((r) => r.kind)).toEqual(['vpc', 'vpc', 'vpc']);
    expect(rel('lambda_function').map((r) => r.kind)).toEqual(['vpc', 'vpc']); // 2 of 3 functions are in a VPC
    expect(rel('rds_instance').every((r) => r.kind === 'vpc')).toBe(true);
    expect(rel('elasticache_cluster')).toHaveLength(3);
  });

  it('leaves out a VPC and subnet shared from another account (its owner\'s records), and links nothing to them', async () => {
    const data = fake.world.accounts.find((a) => a.id === M1)!.data['ap-southeast-2']!;
    data.vpcs.push({ id: 'vpc-shared', ownerId: M2, cidrBlock: '10.9.0.0/16', isDefault: false, state: 'available', tags: [] });
    data.subnets.push({ id: 'subnet-shared', ownerId: M2, vpcId: 'vpc-shared', cidrBlock: '10.9.1.0/24', availabilityZone: 'ap-southeast-2a', availableIpAddressCount: 9, mapPublicIpOnLaunch: false, tags: [] });
    data.instances.push({ ...data.instances[0]!, id: 'i-inshared', vpcId: 'vpc-shared', subnetId: 'subnet-shared' });
    try {
      const d = await discover(config({ services: ['ec2', 'vpc'] }));
      const got = records(await read(config({ services: ['ec2', 'vpc'] }), scopeOf(d, `${M1}/ap-southeast-2`)));
      expect(got.filter((r) => r.kind === 'vpc')).toHaveLength(3);
      expect(got.filter((r) => r.kind === 'subnet')).toHaveLength(3);
      expect(got.some((r) => String(r.externalId).includes('shared') && r.kind !== 'ec2_instance')).toBe(false);
      expect(got.find((r) => r.attributes.instance_id === 'i-inshared')!.relations).toEqual([]);
      expect(got.find((r) => r.attributes.instance_id !== 'i-inshared' && r.kind === 'ec2_instance')!.relations).toHaveLength(1);
    } finally {
      data.vpcs.pop();
      data.subnets.pop();
      data.instances.pop();
    }
  });

  it('copies Lambda environment variable names, never their values', () => {
    const f = recs.find((r) => r.kind === 'lambda_function')!;
    expect(f.attributes.environment_variable_keys).toEqual(['DB_PASSWORD', 'STAGE']);
    expect(JSON.stringify(items)).not.toContain('secret-value-');
  });

  it('reads SQS attributes and tags per queue, keyed by the queue URL', () => {
    const q = recs.find((r) => r.kind === 'sqs_queue' && String(r.attributes.queue_name).endsWith('.fifo'))!;
    expect(q.attributes).toMatchObject({ queue_url: `https://sqs.eu-west-1.amazonaws.com/${M1}/${q.attributes.queue_name}`, is_fifo: true, visibility_timeout: 30, aws_tags: { team: 'platform' } });
    expect(q.externalId).toBe(`arn:aws:sqs:eu-west-1:${M1}:${q.attributes.queue_name}`);
  });

  it('gives the same records in the same order on a second read', async () => {
    const d = await discover(config());
    expect(records(await read(config(), scopeOf(d, `${M1}/eu-west-1`)))).toEqual(recs);
  });
});

describe('tags of Lambda functions, ElastiCache clusters and SQS queues', () => {
  // Each resource its own tags (the generated world gives them all the same), one with none.
  const data = () => fake.world.accounts.find((a) => a.id === M2)!.data['eu-west-1']!;
  let saved: { functions: Array<Record<string, string>>; clusters: Array<Array<{ key: string; value: string }>>; queues: Array<Record<string, string>> };
  beforeEach(() => {
    const d = data();
    saved = { functions: d.functions.map((f) => f.tags), clusters: d.cacheClusters.map((c) => c.tags), queues: d.queues.map((q) => q.tags) };
    d.functions.forEach((f, i) => (f.tags = i === 0 ? {} : { owner: f.name }));
    d.cacheClusters.forEach((c, i) => (c.tags = i === 0 ? [] : [{ key: 'owner', value: c.id }]));
    d.queues.forEach((q, i) => (q.tags = i === 0 ? {} : { owner: q.name }));
  });
  afterEach(() => {
    const d = data();
    d.functions.forEach((f, i) => (f.tags = saved.functions[i]!));
    d.cacheClusters.forEach((c, i) => (c.tags = saved.clusters[i]!));
    d.queues.forEach((q, i) => (q.tags = saved.queues[i]!));
  });
  const services = ['lambda', 'elasticache', 'sqs'];
  const PER_RESOURCE = ['lambda:ListTags', 'elasticache:ListTagsForResource', 'sqs:ListQueueTags'];

  it('come a page at a time from tag:GetResources, each resource with its own (none when it has none)', async () => {
    const c = config({ services });
    const d = await discover(c);
    fake.resetRequests();
    const recs = records(await read(c, scopeOf(d, `${M2}/eu-west-1`)));
    const calls = (action: string) => fake.requests().filter((r) => r.action === action).length;
    // Pages of 2 for 3 resources of each of the three kinds: 6 pages, one GetResources each.
    expect(calls('tag:GetResources')).toBe(6);
    for (const action of PER_RESOURCE) expect(calls(action), action).toBe(0);
    expect(recs).toHaveLength(9);
    for (const r of recs) {
      const name = String(r.attributes.function_name ?? r.attributes.cluster_id ?? r.attributes.queue_name);
      const first = name.endsWith('-0') || name.endsWith('-0.fifo');
      expect(r.attributes.aws_tags, name).toEqual(first ? {} : { owner: name });
      expect(r.tags!.filter((t) => t.startsWith('owner:')), name).toEqual(first ? [] : [`owner:${name}`]);
    }
  });

  it('without tag:GetResources come one call per resource, after one warning; the records are the same', async () => {
    const c = config({ services });
    const d = await discover(c);
    const expected = records(await read(c, scopeOf(d, `${M2}/eu-west-1`)));
    resetAwsRuntime();
    fake.deny({ action: 'tag:GetResources', account: M2 });
    fake.resetRequests();
    const warnings: Array<{ msg: string; fields?: Record<string, unknown> }> = [];
    const log = { ...silentLogger, warn: (msg: string, fields?: Record<string, unknown>) => warnings.push({ msg, ...(fields ? { fields } : {}) }) };
    const items: ReadItem[] = [];
    for await (const item of connector.read({ config: c, scope: scopeOf(d, `${M2}/eu-west-1`), log, signal, mode: 'full', checkpoint: null })) items.push(item);
    expect(items.some((i) => i.type === 'incomplete')).toBe(false);
    expect(records(items)).toEqual(expected);
    const calls = (action: string) => fake.requests().filter((r) => r.action === action).length;
    // Denied once; the account's later pages go straight to the per-resource calls.
    expect(calls('tag:GetResources')).toBe(1);
    for (const action of PER_RESOURCE) expect(calls(action), action).toBe(3);
    expect(warnings).toEqual([{ msg: expect.stringContaining('tag:GetResources denied'), fields: { account: M2, region: 'eu-west-1' } }]);
  });
});

describe('clients', () => {
  it('are closed when a scope\'s read, its check or the discovery ends (only the caller\'s STS client stays)', async () => {
    const c = config();
    const d = await discover(c);
    for (const id of [`${M1}/eu-west-1`, `${M2}/us-east-1`, `${M2}/global`]) await read(c, scopeOf(d, id));
    await connector.testConnection({ config: c, scope: scopeOf(d, `${M1}/us-east-1`), log: silentLogger, signal });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fake.openConnections()).toBeLessThanOrEqual(4);
  });
});

describe('the global scope', () => {
  it('reads the account\'s S3 buckets with their region and tags, from the tagging API of each bucket\'s region', async () => {
    const d = await discover(config());
    fake.resetRequests();
    const recs = records(await read(config(), scopeOf(d, `${M2}/global`)));
    expect(recs.map((r) => r.externalId)).toEqual([0, 1, 2].map((i) => `arn:aws:s3:::bucket-${M2}-000${i}`));
    expect(recs[0]!.attributes).toMatchObject({ bucket_name: `bucket-${M2}-0000`, region: 'us-east-1', aws_tags: { team: 'platform' } });
    expect(recs[1]!.attributes.aws_tags).toEqual({});
    expect(recs[0]!.organizationPath).toEqual(['acme-2']);
    const regions = new Set(recs.map((r) => r.attributes.region));
    const tagCalls = fake.requests().filter((r) => r.action === 'tag:GetResources');
    expect(new Set(tagCalls.map((r) => r.region))).toEqual(regions);
    // Without tag:GetResources: GetBucketTagging per bucket (NoSuchTagSet = none), the same records.
    resetAwsRuntime();
    fake.deny({ action: 'tag:GetResources', account: M2 });
    fake.resetRequests();
    expect(records(await read(config(), scopeOf(d, `${M2}/global`)))).toEqual(recs);
    expect(fake.requests().filter((r) => r.action === 's3:GetBucketTagging')).toHaveLength(3);
  });
});

describe('throttling and errors', () => {
  it('a throttling storm on one service in one region is waited out; the scope still reads everything', async () => {
    const d = await discover(config({ services: ['ec2'] }));
    fake.throttle({ service: 'ec2', region: 'eu-west-1', account: M2, count: 4 });
    const recs = records(await read(config({ services: ['ec2'] }), scopeOf(d, `${M2}/eu-west-1`)));
    expect(recs).toHaveLength(3);
    const throttled = fake.requests().filter((r) => r.code === 'RequestLimitExceeded');
    expect(throttled).toHaveLength(4);
  });

  it('a denied action marks its kind incomplete, naming the IAM action; the other kinds still sync', async () => {
    const c = config({ services: ['ec2', 'vpc'] });
    const d = await discover(c);
    fake.deny({ action: 'ec2:DescribeSubnets', account: M1 });
    const items = await read(c, scopeOf(d, `${M1}/us-east-1`));
    const incomplete = items.filter((i) => i.type === 'incomplete');
    expect(incomplete).toEqual([{ type: 'incomplete', kind: 'subnet', reason: expect.stringContaining('ec2:DescribeSubnets') }]);
    const instances = records(items).filter((r) => r.kind === 'ec2_instance');
    expect(instances).toHaveLength(3);
    expect(records(items).filter((r) => r.kind === 'vpc')).toHaveLength(3);
    // The engine links only to objects it has: no relation to the subnets that were not read.
    expect(instances.flatMap((r) => r.relations ?? [])).toEqual([]);
  });

  it('a region that is not enabled for the account fails only that scope, saying so', async () => {
    const c = config({ regions: ['eu-west-1', 'me-south-1'], services: ['ec2'] });
    const d = await discover(c);
    expect(records(await read(c, scopeOf(d, `${M1}/eu-west-1`)))).toHaveLength(3);
    await expect(read(c, scopeOf(d, `${M1}/me-south-1`))).rejects.toThrow(RegionDisabledError);
    await expect(read(c, scopeOf(d, `${M1}/me-south-1`))).rejects.toThrow(/region me-south-1 is not enabled for account 100000000011/);
  });

  it('testConnection names a denied permission by its IAM action', async () => {
    const c = config();
    const d = await discover(c);
    fake.deny({ action: 'rds:DescribeDBInstances' });
    const checks = await connector.testConnection({ config: c, scope: scopeOf(d, `${M2}/us-east-1`), log: silentLogger, signal });
    expect(checks[0]).toMatchObject({ name: 'sts:GetCallerIdentity', ok: true });
    const failed = checks.filter((x) => !x.ok);
    expect(failed).toEqual([expect.objectContaining({ name: 'rds:DescribeDBInstances', missing: ['rds:DescribeDBInstances'] })]);
    expect(checks.filter((x) => x.ok).map((x) => x.name)).toContain('ec2:DescribeInstances');
  });

  it('testConnection checks what discovery needs once per account, in its global scope', async () => {
    const c = config();
    const d = await discover(c);
    fake.deny({ action: 'iam:ListAccountAliases', account: MGMT });
    const checks = await connector.testConnection({ config: c, scope: scopeOf(d, `${MGMT}/global`), log: silentLogger, signal });
    expect(checks.map((x) => `${x.name}:${x.ok}`)).toEqual([
      'sts:GetCallerIdentity:true',
      'organizations:ListAccounts:true',
      'ec2:DescribeRegions:true',
      'iam:ListAccountAliases:false',
      's3:ListAllMyBuckets:true',
    ]);
    // us-east-1 (the home region) is each account's sample region; elsewhere one read shows the region answers.
    const other = await connector.testConnection({ config: c, scope: scopeOf(d, `${MGMT}/eu-west-1`), log: silentLogger, signal });
    expect(other.map((x) => `${x.name}:${x.ok}`)).toEqual(['sts:GetCallerIdentity:true', 'ec2:DescribeVpcs:true', 'permissions:true']);
    const sample = await connector.testConnection({ config: c, scope: scopeOf(d, `${MGMT}/us-east-1`), log: silentLogger, signal });
    expect(sample.map((x) => x.name)).toEqual([
      'sts:GetCallerIdentity',
      'ec2:DescribeVpcs',
      'ec2:DescribeSubnets',
      'ec2:DescribeInstances',
      'lambda:ListFunctions',
      'rds:DescribeDBInstances',
      'rds:DescribeDBClusters',
      'elasticache:DescribeCacheClusters',
      'elasticache:DescribeCacheSubnetGroups',
      'sqs:ListQueues',
      'tag:GetResources',
    ]);
  });

  it('testConnection passes without tag:GetResources, saying what its absence costs', async () => {
    const c = config({ services: ['sqs'] });
    const d = await discover(c);
    fake.deny({ action: 'tag:GetResources', account: M1 });
    const checks = await connector.testConnection({ config: c, scope: scopeOf(d, `${M1}/us-east-1`), log: silentLogger, signal });
    expect(checks.every((x) => x.ok)).toBe(true);
    expect(checks.find((x) => x.name === 'tag:GetResources')).toEqual({
      name: 'tag:GetResources',
      ok: true,
      detail: expect.stringMatching(/^not granted \(optional\): .*one call per resource/),
    });
    expect(fake.requests().filter((r) => r.action === 'tag:GetResources').map((r) => r.status)).toEqual([400]);
  });

  it('testConnection checks tag:GetResources in the global scope of an account that reads S3 alone', async () => {
    const c = config({ services: ['s3'] });
    const d = await discover(c);
    const checks = await connector.testConnection({ config: c, scope: scopeOf(d, `${M1}/global`), log: silentLogger, signal });
    expect(checks.find((x) => x.name === 'tag:GetResources')).toEqual({ name: 'tag:GetResources', ok: true, detail: 'allowed' });
    const everything = await connector.testConnection({ config: config(), scope: scopeOf(await discover(config()), `${M1}/global`), log: silentLogger, signal });
    expect(everything.map((x) => x.name)).not.toContain('tag:GetResources');
  });

  it('a denial is a PermissionDeniedError carrying the action (what the summary names)', async () => {
    const c = config({ services: ['sqs'] });
    const d = await discover(c);
    fake.deny({ action: 'sqs:ListQueues' });
    const items = await read(c, scopeOf(d, `${M1}/us-east-1`));
    expect(items).toEqual([{ type: 'incomplete', kind: 'sqs_queue', reason: expect.stringMatching(/sqs:ListQueues in account 100000000011, region us-east-1 was denied/) }]);
    expect(PermissionDeniedError).toBeDefined();
  });
});
