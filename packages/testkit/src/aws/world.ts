/**
 * What the loopback AWS fake serves: accounts (optionally an Organization of them), each with its
 * enabled regions, assumable roles and resources per region. Tests build a world, start the fake on
 * it, and change it between runs (`terminate`, `removeAccount`, ...) through the same objects.
 */

export interface AwsTag {
  key: string;
  value: string;
}

export interface FakeInstance {
  id: string;
  type: string;
  state: 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';
  vpcId?: string;
  subnetId?: string;
  privateIp?: string;
  publicIp?: string;
  availabilityZone: string;
  launchTime: string;
  imageId: string;
  architecture: string;
  tags: AwsTag[];
}

export interface FakeVpc {
  id: string;
  /** Owner when the VPC is shared with this account from another (RAM); default: the account itself. */
  ownerId?: string;
  cidrBlock: string;
  isDefault: boolean;
  state: 'available' | 'pending';
  tags: AwsTag[];
}

export interface FakeSubnet {
  id: string;
  /** Owner when the subnet is shared with this account from another (RAM); default: the account itself. */
  ownerId?: string;
  vpcId: string;
  cidrBlock: string;
  availabilityZone: string;
  availableIpAddressCount: number;
  mapPublicIpOnLaunch: boolean;
  tags: AwsTag[];
}

export interface FakeFunction {
  name: string;
  runtime: string;
  handler: string;
  memorySize: number;
  timeout: number;
  role: string;
  lastModified: string;
  /** Values are secrets in real life: the connector must copy the keys only. */
  environment?: Record<string, string>;
  vpc?: { vpcId: string; subnetIds: string[]; securityGroupIds: string[] };
  tags: Record<string, string>;
}

export interface FakeDbInstance {
  id: string;
  engine: string;
  engineVersion: string;
  instanceClass: string;
  status: string;
  allocatedStorage: number;
  endpoint: string;
  port: number;
  multiAz: boolean;
  storageEncrypted: boolean;
  vpcId?: string;
  subnetGroup?: string;
  clusterId?: string;
  availabilityZone: string;
  resourceId: string;
  tags: AwsTag[];
}

export interface FakeDbCluster {
  id: string;
  engine: string;
  engineVersion: string;
  status: string;
  endpoint: string;
  readerEndpoint: string;
  port: number;
  subnetGroup?: string;
  members: string[];
  resourceId: string;
  tags: AwsTag[];
}

export interface FakeCacheCluster {
  id: string;
  engine: string;
  engineVersion: string;
  nodeType: string;
  status: string;
  numNodes: number;
  subnetGroup?: string;
  replicationGroupId?: string;
  tags: AwsTag[];
}

export interface FakeCacheSubnetGroup {
  name: string;
  vpcId: string;
  subnetIds: string[];
}

export interface FakeQueue {
  name: string;
  attributes: Record<string, string>;
  tags: Record<string, string>;
}

export interface FakeBucket {
  name: string;
  region: string;
  creationDate: string;
  /** Absent: GetBucketTagging answers NoSuchTagSet, as S3 does for a bucket without tags. */
  tags?: AwsTag[];
}

export interface FakeRegionData {
  instances: FakeInstance[];
  vpcs: FakeVpc[];
  subnets: FakeSubnet[];
  functions: FakeFunction[];
  dbInstances: FakeDbInstance[];
  dbClusters: FakeDbCluster[];
  cacheClusters: FakeCacheCluster[];
  cacheSubnetGroups: FakeCacheSubnetGroup[];
  queues: FakeQueue[];
}

export interface FakeRole {
  name: string;
  /** When set, AssumeRole must pass exactly this ExternalId. */
  externalId?: string;
  /** The trust policy refuses every caller: AssumeRole answers AccessDenied. */
  refuse?: boolean;
}

export interface FakeAccount {
  id: string;
  name: string;
  email: string;
  status: 'ACTIVE' | 'SUSPENDED';
  /** The account left the Organization: it still exists (its roles work) but Organizations no longer lists it. */
  outsideOrganization?: boolean;
  /** Organizational unit the account sits in (`r-xxxx` root when absent). */
  parentId?: string;
  alias?: string;
  /** Regions enabled for this account (DescribeRegions lists these; others answer OptInRequired). */
  regions: string[];
  roles: FakeRole[];
  data: Record<string, FakeRegionData>;
  buckets: FakeBucket[];
}

export interface FakeOu {
  id: string;
  name: string;
  parentId: string;
}

export interface FakeOrganization {
  id: string;
  rootId: string;
  managementAccountId: string;
  ous: FakeOu[];
}

export interface AwsWorld {
  accounts: FakeAccount[];
  organization?: FakeOrganization;
}

export function emptyRegion(): FakeRegionData {
  return { instances: [], vpcs: [], subnets: [], functions: [], dbInstances: [], dbClusters: [], cacheClusters: [], cacheSubnetGroups: [], queues: [] };
}

export function regionData(account: FakeAccount, region: string): FakeRegionData {
  let data = account.data[region];
  if (data === undefined) {
    data = emptyRegion();
    account.data[region] = data;
  }
  return data;
}

export interface GeneratedWorldOptions {
  /** Number of accounts (the first is the Organization's management account). */
  accounts?: number;
  regions?: string[];
  /** Resources of each kind per (account, region); buckets per account. */
  perRegion?: number;
  roleName?: string;
  /** Put the accounts into an Organization (default true). */
  organization?: boolean;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/**
 * A deterministic world: `accounts` accounts × `regions`, each region with `perRegion` VPCs, subnets,
 * instances, functions, DB instances, one Aurora cluster, cache clusters and queues; `perRegion`
 * buckets per account. Ids are derived from (account, region, index) so two worlds built with the same
 * options are equal.
 */
export function generateWorld(options: GeneratedWorldOptions = {}): AwsWorld {
  const count = options.accounts ?? 3;
  const regions = options.regions ?? ['us-east-1', 'eu-west-1', 'ap-southeast-2'];
  const n = options.perRegion ?? 3;
  const roleName = options.roleName ?? 'elder-sync-read';
  const accounts: FakeAccount[] = [];
  for (let a = 0; a < count; a++) {
    const id = `1000000000${pad(a + 10, 2)}`.slice(-12);
    const account: FakeAccount = {
      id,
      name: a === 0 ? 'management' : `member-${a}`,
      email: `aws+${a}@example.test`,
      status: 'ACTIVE',
      alias: a === 0 ? undefined : `acme-${a}`,
      regions: [...regions],
      roles: [{ name: roleName }],
      data: {},
      buckets: [],
    };
    regions.forEach((region, r) => {
      const data = regionData(account, region);
      const h = `${pad(a, 2)}${pad(r, 2)}`;
      for (let i = 0; i < n; i++) {
        const k = `${h}${pad(i, 4)}`;
        const vpcId = `vpc-${k}aaaa`;
        const subnetId = `subnet-${k}bbbb`;
        data.vpcs.push({ id: vpcId, cidrBlock: `10.${i % 256}.0.0/16`, isDefault: i === 0, state: 'available', tags: [{ key: 'Name', value: `vpc-${i}` }, { key: 'env', value: 'prod' }] });
        data.subnets.push({
          id: subnetId,
          vpcId,
          cidrBlock: `10.${i % 256}.1.0/24`,
          availabilityZone: `${region}a`,
          availableIpAddressCount: 250,
          mapPublicIpOnLaunch: false,
          tags: [{ key: 'Name', value: `subnet-${i}` }],
        });
        data.instances.push({
          id: `i-${k}00000000`,
          type: 't3.micro',
          state: 'running',
          vpcId,
          subnetId,
          privateIp: `10.${i % 256}.1.${10 + (i % 200)}`,
          ...(i % 2 === 0 ? { publicIp: `203.0.113.${i % 250}` } : {}),
          availabilityZone: `${region}a`,
          launchTime: '2024-05-01T10:00:00.000Z',
          imageId: 'ami-0123456789abcdef0',
          architecture: 'x86_64',
          tags: [{ key: 'Name', value: `web-${i}` }, { key: 'team', value: 'platform' }, { key: 'aws:cloudformation:stack-name', value: 'stack' }],
        });
        data.functions.push({
          name: `fn-${h}-${i}`,
          runtime: 'nodejs20.x',
          handler: 'index.handler',
          memorySize: 128,
          timeout: 30,
          role: `arn:aws:iam::${id}:role/fn-role`,
          lastModified: '2024-05-01T10:00:00.000+0000',
          environment: { DB_PASSWORD: `secret-value-${k}`, STAGE: 'prod' },
          ...(i % 2 === 0 ? { vpc: { vpcId, subnetIds: [subnetId], securityGroupIds: ['sg-0123'] } } : {}),
          tags: { team: 'platform' },
        });
        data.dbInstances.push({
          id: `db-${h}-${i}`,
          engine: 'postgres',
          engineVersion: '16.3',
          instanceClass: 'db.t3.micro',
          status: 'available',
          allocatedStorage: 20,
          endpoint: `db-${h}-${i}.abc.${region}.rds.amazonaws.com`,
          port: 5432,
          multiAz: false,
          storageEncrypted: true,
          vpcId,
          subnetGroup: `dbsg-${i}`,
          availabilityZone: `${region}a`,
          resourceId: `db-RES${k}`,
          tags: [{ key: 'team', value: 'data' }],
        });
        data.cacheSubnetGroups.push({ name: `cachesg-${h}-${i}`, vpcId, subnetIds: [subnetId] });
        data.cacheClusters.push({
          id: `cache-${h}-${i}`,
          engine: 'redis',
          engineVersion: '7.1',
          nodeType: 'cache.t3.micro',
          status: 'available',
          numNodes: 1,
          subnetGroup: `cachesg-${h}-${i}`,
          tags: [{ key: 'team', value: 'platform' }],
        });
        data.queues.push({
          name: `queue-${h}-${i}${i % 3 === 2 ? '.fifo' : ''}`,
          attributes: {
            ApproximateNumberOfMessages: String(i),
            VisibilityTimeout: '30',
            MessageRetentionPeriod: '345600',
            CreatedTimestamp: '1714557600',
            ...(i % 3 === 2 ? { FifoQueue: 'true' } : {}),
          },
          tags: { team: 'platform' },
        });
      }
      const clusterId = `aurora-${h}`;
      data.dbClusters.push({
        id: clusterId,
        engine: 'aurora-postgresql',
        engineVersion: '16.2',
        status: 'available',
        endpoint: `${clusterId}.cluster-abc.${region}.rds.amazonaws.com`,
        readerEndpoint: `${clusterId}.cluster-ro-abc.${region}.rds.amazonaws.com`,
        port: 5432,
        subnetGroup: 'dbsg-0',
        members: [],
        resourceId: `cluster-RES${h}`,
        tags: [{ key: 'team', value: 'data' }],
      });
    });
    for (let i = 0; i < n; i++) {
      account.buckets.push({
        name: `bucket-${id}-${pad(i, 4)}`,
        region: regions[i % regions.length]!,
        creationDate: '2024-01-02T03:04:05.000Z',
        ...(i % 2 === 0 ? { tags: [{ key: 'team', value: 'platform' }] } : {}),
      });
    }
    accounts.push(account);
  }
  const world: AwsWorld = { accounts };
  if (options.organization ?? true) {
    world.organization = { id: 'o-abc123def4', rootId: 'r-ab12', managementAccountId: accounts[0]!.id, ous: [] };
  }
  return world;
}
