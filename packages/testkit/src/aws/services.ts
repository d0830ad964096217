import {
  el,
  errorResponse,
  ec2Ok,
  jsonOk,
  list,
  node,
  pageOf,
  queryOk,
  readPageToken,
  restJsonOk,
  restXmlOk,
  type FakeResponse,
  type Protocol,
} from './wire.js';
import { regionData, type AwsTag, type AwsWorld, type FakeAccount, type FakeRole } from './world.js';

/** One request, decoded enough to name its IAM action before anything is answered. */
export interface CallContext {
  service: string;
  region: string;
  account: FakeAccount;
  /** ARN of the caller (`arn:aws:iam::1:user/x` or `arn:aws:sts::1:assumed-role/r/s`). */
  principalArn: string;
  method: string;
  path: string;
  query: URLSearchParams;
  form: URLSearchParams;
  json: Record<string, unknown>;
  target: string | undefined;
  contentType: string;
  world: AwsWorld;
  pageSize: number;
  /** Issues session credentials for AssumeRole. */
  assume(account: FakeAccount, role: FakeRole, sessionName: string): { accessKeyId: string; secretAccessKey: string; sessionToken: string; expiration: Date; arn: string };
}

export interface Call {
  /** The IAM action, e.g. `ec2:DescribeInstances`: what deny faults and the request log name. */
  action: string;
  protocol: Protocol;
  /** Regional calls fail in a region the account has not enabled. */
  regional: boolean;
  run(): FakeResponse;
}

const tagXml = (tags: readonly AwsTag[]) => list('tagSet', 'item', tags.map((t) => el('key', t.key) + el('value', t.value)));
const queryTags = (tags: readonly AwsTag[]) => list('TagList', 'Tag', tags.map((t) => el('Key', t.key) + el('Value', t.value)));

function invalid(protocol: Protocol, code: string, message: string): FakeResponse {
  return errorResponse(protocol, { status: 400, code, message });
}

/** Page size for a call: what the client asked for, capped by the fake's small page size. */
function size(ctx: CallContext, requested: string | number | undefined | null): number {
  const n = requested === undefined || requested === null || requested === '' ? Infinity : Number(requested);
  return Math.max(1, Math.min(ctx.pageSize, n));
}

function checkRange(protocol: Protocol, name: string, value: string | null | undefined, min: number, max: number): FakeResponse | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    return invalid(protocol, protocol === 'ec2' ? 'InvalidParameterValue' : 'InvalidParameterValue', `${name} must be between ${min} and ${max}.`);
  }
  return undefined;
}

// ---------------------------------------------------------------- EC2 (ec2Query)

function ec2(ctx: CallContext): Call | undefined {
  const action = ctx.form.get('Action') ?? '';
  const p = ctx.form;
  const data = () => regionData(ctx.account, ctx.region);
  const paged = <T>(all: T[], render: (items: T[]) => string, wrapper: (inner: string) => string): FakeResponse => {
    const bad = checkRange('ec2', 'MaxResults', p.get('MaxResults'), 5, 1000);
    if (bad) return bad;
    const offset = readPageToken(`ec2:${action}:${ctx.account.id}:${ctx.region}`, p.get('NextToken'));
    if (offset === undefined) return invalid('ec2', 'InvalidParameterValue', `Invalid value for NextToken`);
    const page = pageOf(`ec2:${action}:${ctx.account.id}:${ctx.region}`, all, offset, size(ctx, p.get('MaxResults')));
    return ec2Ok(action, wrapper(render(page.items)) + el('nextToken', page.next));
  };
  const call = (run: () => FakeResponse, regional = true): Call => ({ action: `ec2:${action}`, protocol: 'ec2', regional, run });
  switch (action) {
    case 'DescribeRegions':
      return call(
        () =>
          ec2Ok(
            action,
            list(
              'regionInfo',
              'item',
              [...ctx.account.regions].sort().map((r) => el('regionName', r) + el('regionEndpoint', `ec2.${r}.amazonaws.com`) + el('optInStatus', 'opt-in-not-required')),
            ),
          ),
        false,
      );
    case 'DescribeInstances':
      return call(() =>
        paged(
          data().instances,
          (items) =>
            items
              .map(
                (i) =>
                  `<item>${el('reservationId', `r-${i.id.slice(2)}`)}${el('ownerId', ctx.account.id)}<instancesSet><item>${
                    el('instanceId', i.id) +
                    el('imageId', i.imageId) +
                    node('instanceState', el('code', i.state === 'running' ? 16 : i.state === 'terminated' ? 48 : i.state === 'stopped' ? 80 : 0) + el('name', i.state)) +
                    el('instanceType', i.type) +
                    el('launchTime', i.launchTime) +
                    node('placement', el('availabilityZone', i.availabilityZone)) +
                    el('subnetId', i.state === 'terminated' ? undefined : i.subnetId) +
                    el('vpcId', i.state === 'terminated' ? undefined : i.vpcId) +
                    el('privateIpAddress', i.privateIp) +
                    el('ipAddress', i.publicIp) +
                    el('architecture', i.architecture) +
                    tagXml(i.tags)
                  }</item></instancesSet></item>`,
              )
              .join(''),
          (inner) => node('reservationSet', inner),
        ),
      );
    case 'DescribeVpcs':
      return call(() =>
        paged(
          data().vpcs,
          (items) =>
            items
              .map((v) => `<item>${el('vpcId', v.id) + el('ownerId', v.ownerId ?? ctx.account.id) + el('state', v.state) + el('cidrBlock', v.cidrBlock) + el('isDefault', v.isDefault) + tagXml(v.tags)}</item>`)
              .join(''),
          (inner) => node('vpcSet', inner),
        ),
      );
    case 'DescribeSubnets':
      return call(() =>
        paged(
          data().subnets,
          (items) =>
            items
              .map(
                (s) =>
                  `<item>${
                    el('subnetId', s.id) +
                    el('subnetArn', `arn:aws:ec2:${ctx.region}:${s.ownerId ?? ctx.account.id}:subnet/${s.id}`) +
                    el('ownerId', s.ownerId ?? ctx.account.id) +
                    el('vpcId', s.vpcId) +
                    el('state', 'available') +
                    el('cidrBlock', s.cidrBlock) +
                    el('availabilityZone', s.availabilityZone) +
                    el('availableIpAddressCount', s.availableIpAddressCount) +
                    el('mapPublicIpOnLaunch', s.mapPublicIpOnLaunch) +
                    tagXml(s.tags)
                  }</item>`,
              )
              .join(''),
          (inner) => node('subnetSet', inner),
        ),
      );
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------- RDS, ElastiCache, STS, IAM (awsQuery)

const RDS_NS = 'http://rds.amazonaws.com/doc/2014-10-31/';
const EC_NS = 'http://elasticache.amazonaws.com/doc/2015-02-02/';

function queryPaged<T>(ctx: CallContext, service: string, action: string, ns: string, all: T[], render: (items: T[]) => string): FakeResponse {
  const p = ctx.form;
  // Real RDS and ElastiCache refuse MaxRecords outside 20..100 (the SDK does not check).
  const bad = checkRange('query', 'MaxRecords', p.get('MaxRecords'), 20, 100);
  if (bad) return bad;
  const key = `${service}:${action}:${ctx.account.id}:${ctx.region}`;
  const offset = readPageToken(key, p.get('Marker'));
  if (offset === undefined) return invalid('query', 'InvalidParameterValue', 'Invalid Marker');
  const page = pageOf(key, all, offset, size(ctx, p.get('MaxRecords')));
  return queryOk(action, ns, render(page.items) + el('Marker', page.next));
}

function rds(ctx: CallContext): Call | undefined {
  const action = ctx.form.get('Action') ?? '';
  const data = () => regionData(ctx.account, ctx.region);
  const arn = (type: string, id: string) => `arn:aws:rds:${ctx.region}:${ctx.account.id}:${type}:${id}`;
  const call = (run: () => FakeResponse): Call => ({ action: `rds:${action}`, protocol: 'query', regional: true, run });
  switch (action) {
    case 'DescribeDBInstances':
      return call(() =>
        queryPaged(ctx, 'rds', action, RDS_NS, data().dbInstances, (items) =>
          list(
            'DBInstances',
            'DBInstance',
            items.map(
              (d) =>
                el('DBInstanceIdentifier', d.id) +
                el('DBInstanceClass', d.instanceClass) +
                el('Engine', d.engine) +
                el('DBInstanceStatus', d.status) +
                node('Endpoint', el('Address', d.endpoint) + el('Port', d.port)) +
                el('AllocatedStorage', d.allocatedStorage) +
                el('AvailabilityZone', d.availabilityZone) +
                (d.subnetGroup ? node('DBSubnetGroup', el('DBSubnetGroupName', d.subnetGroup) + el('VpcId', d.vpcId) + el('SubnetGroupStatus', 'Complete')) : '') +
                el('MultiAZ', d.multiAz) +
                el('EngineVersion', d.engineVersion) +
                el('StorageEncrypted', d.storageEncrypted) +
                el('DbiResourceId', d.resourceId) +
                el('DBInstanceArn', arn('db', d.id)) +
                el('DBClusterIdentifier', d.clusterId) +
                queryTags(d.tags),
            ),
          ),
        ),
      );
    case 'DescribeDBClusters':
      return call(() =>
        queryPaged(ctx, 'rds', action, RDS_NS, data().dbClusters, (items) =>
          list(
            'DBClusters',
            'DBCluster',
            items.map(
              (c) =>
                el('DBClusterIdentifier', c.id) +
                el('DBClusterArn', arn('cluster', c.id)) +
                el('Engine', c.engine) +
                el('EngineVersion', c.engineVersion) +
                el('Status', c.status) +
                el('Endpoint', c.endpoint) +
                el('ReaderEndpoint', c.readerEndpoint) +
                el('Port', c.port) +
                el('DBSubnetGroup', c.subnetGroup) +
                el('DbClusterResourceId', c.resourceId) +
                list('DBClusterMembers', 'DBClusterMember', c.members.map((m, i) => el('DBInstanceIdentifier', m) + el('IsClusterWriter', i === 0))) +
                queryTags(c.tags),
            ),
          ),
        ),
      );
    default:
      return undefined;
  }
}

function elasticache(ctx: CallContext): Call | undefined {
  const action = ctx.form.get('Action') ?? '';
  const data = () => regionData(ctx.account, ctx.region);
  const arn = (id: string) => `arn:aws:elasticache:${ctx.region}:${ctx.account.id}:cluster:${id}`;
  const call = (run: () => FakeResponse): Call => ({ action: `elasticache:${action}`, protocol: 'query', regional: true, run });
  switch (action) {
    case 'DescribeCacheClusters':
      return call(() =>
        queryPaged(ctx, 'elasticache', action, EC_NS, data().cacheClusters, (items) =>
          list(
            'CacheClusters',
            'CacheCluster',
            items.map(
              (c) =>
                el('CacheClusterId', c.id) +
                el('ARN', arn(c.id)) +
                el('CacheNodeType', c.nodeType) +
                el('Engine', c.engine) +
                el('EngineVersion', c.engineVersion) +
                el('CacheClusterStatus', c.status) +
                el('NumCacheNodes', c.numNodes) +
                el('PreferredAvailabilityZone', `${ctx.region}a`) +
                el('CacheSubnetGroupName', c.subnetGroup) +
                el('ReplicationGroupId', c.replicationGroupId),
            ),
          ),
        ),
      );
    case 'DescribeCacheSubnetGroups':
      return call(() =>
        queryPaged(ctx, 'elasticache', action, EC_NS, data().cacheSubnetGroups, (items) =>
          list(
            'CacheSubnetGroups',
            'CacheSubnetGroup',
            items.map(
              (g) =>
                el('CacheSubnetGroupName', g.name) +
                el('VpcId', g.vpcId) +
                list('Subnets', 'Subnet', g.subnetIds.map((s) => el('SubnetIdentifier', s))) +
                el('ARN', `arn:aws:elasticache:${ctx.region}:${ctx.account.id}:subnetgroup:${g.name}`),
            ),
          ),
        ),
      );
    case 'ListTagsForResource':
      return call(() => {
        const name = ctx.form.get('ResourceName') ?? '';
        const cluster = data().cacheClusters.find((c) => arn(c.id) === name);
        if (!cluster) return errorResponse('query', { status: 404, code: 'CacheClusterNotFound', message: `CacheCluster not found: ${name}` });
        return queryOk(action, EC_NS, queryTags(cluster.tags));
      });
    default:
      return undefined;
  }
}

function sts(ctx: CallContext): Call | undefined {
  const action = ctx.form.get('Action') ?? '';
  const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
  const call = (run: () => FakeResponse): Call => ({ action: `sts:${action}`, protocol: 'query', regional: false, run });
  switch (action) {
    case 'GetCallerIdentity':
      return call(() => queryOk(action, NS, el('Arn', ctx.principalArn) + el('UserId', 'AIDAFAKEUSERID') + el('Account', ctx.account.id)));
    case 'AssumeRole':
      return call(() => {
        const roleArn = ctx.form.get('RoleArn') ?? '';
        const session = ctx.form.get('RoleSessionName') ?? '';
        const m = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([\w+=,.@-]+)$/.exec(roleArn);
        const denied = () =>
          errorResponse('query', {
            status: 403,
            code: 'AccessDenied',
            message: `User: ${ctx.principalArn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
          });
        if (!m) return invalid('query', 'ValidationError', `1 validation error detected: Value '${roleArn}' at 'roleArn' failed to satisfy constraint`);
        if (!/^[\w+=,.@-]{2,64}$/.test(session)) return invalid('query', 'ValidationError', `Value '${session}' at 'roleSessionName' failed to satisfy constraint`);
        const target = ctx.world.accounts.find((a) => a.id === m[1]);
        const role = target?.roles.find((r) => r.name === m[2]);
        if (!target || !role || role.refuse || (role.externalId !== undefined && role.externalId !== (ctx.form.get('ExternalId') ?? undefined))) return denied();
        const creds = ctx.assume(target, role, session);
        return queryOk(
          action,
          NS,
          node(
            'Credentials',
            el('AccessKeyId', creds.accessKeyId) + el('SecretAccessKey', creds.secretAccessKey) + el('SessionToken', creds.sessionToken) + el('Expiration', creds.expiration.toISOString()),
          ) + node('AssumedRoleUser', el('AssumedRoleId', `AROAFAKE:${session}`) + el('Arn', creds.arn)),
        );
      });
    default:
      return undefined;
  }
}

function iam(ctx: CallContext): Call | undefined {
  const action = ctx.form.get('Action') ?? '';
  if (action !== 'ListAccountAliases') return undefined;
  return {
    action: 'iam:ListAccountAliases',
    protocol: 'query',
    regional: false,
    run: () =>
      queryOk(
        action,
        'https://iam.amazonaws.com/doc/2010-05-08/',
        list('AccountAliases', 'member', ctx.account.alias ? [ctx.account.alias] : []) + el('IsTruncated', false),
      ),
  };
}

// ---------------------------------------------------------------- SQS (awsJson1_0), Organizations (awsJson1_1)

function sqs(ctx: CallContext): Call | undefined {
  const op = ctx.target?.replace(/^AmazonSQS\./, '') ?? '';
  const type = 'application/x-amz-json-1.0';
  const data = () => regionData(ctx.account, ctx.region);
  const urlOf = (name: string) => `https://sqs.${ctx.region}.amazonaws.com/${ctx.account.id}/${name}`;
  const queue = () => {
    const url = String(ctx.json.QueueUrl ?? '');
    return data().queues.find((q) => urlOf(q.name) === url);
  };
  const missing = () =>
    errorResponse('json', { status: 400, code: 'QueueDoesNotExist', namespace: 'com.amazonaws.sqs', message: 'The specified queue does not exist.', headers: { 'x-amzn-query-error': 'AWS.SimpleQueueService.NonExistentQueue;Sender' } }, type);
  const call = (run: () => FakeResponse): Call => ({ action: `sqs:${op}`, protocol: 'json', regional: true, run });
  switch (op) {
    case 'ListQueues':
      return call(() => {
        const max = ctx.json.MaxResults as number | undefined;
        if (max !== undefined && (max < 1 || max > 1000)) return errorResponse('json', { status: 400, code: 'InvalidParameterValue', namespace: 'com.amazonaws.sqs', message: 'MaxResults must be between 1 and 1000' }, type);
        const key = `sqs:ListQueues:${ctx.account.id}:${ctx.region}`;
        const offset = readPageToken(key, ctx.json.NextToken as string | undefined);
        if (offset === undefined) return errorResponse('json', { status: 400, code: 'InvalidParameterValue', namespace: 'com.amazonaws.sqs', message: 'Invalid NextToken value.' }, type);
        const all = [...data().queues].sort((a, b) => (a.name < b.name ? -1 : 1));
        const page = pageOf(key, all, offset, size(ctx, max));
        // SQS returns a NextToken only when MaxResults was given.
        return jsonOk({ QueueUrls: page.items.map((q) => urlOf(q.name)), ...(page.next && max !== undefined ? { NextToken: page.next } : {}) }, type);
      });
    case 'GetQueueAttributes':
      return call(() => {
        const q = queue();
        if (!q) return missing();
        return jsonOk({ Attributes: { QueueArn: `arn:aws:sqs:${ctx.region}:${ctx.account.id}:${q.name}`, ...q.attributes } }, type);
      });
    case 'ListQueueTags':
      return call(() => {
        const q = queue();
        if (!q) return missing();
        return jsonOk(Object.keys(q.tags).length > 0 ? { Tags: q.tags } : {}, type);
      });
    default:
      return undefined;
  }
}

function organizations(ctx: CallContext): Call | undefined {
  const op = ctx.target?.replace(/^AWSOrganizationsV20161128\./, '') ?? '';
  const type = 'application/x-amz-json-1.1';
  const org = ctx.world.organization;
  const notInUse = () => errorResponse('json', { status: 400, code: 'AWSOrganizationsNotInUseException', namespace: 'com.amazonaws.organizations.v20161128', message: 'Your account is not a member of an organization.' }, type);
  const denied = () =>
    errorResponse('json', { status: 400, code: 'AccessDeniedException', namespace: 'com.amazonaws.organizations.v20161128', message: "You don't have permissions to access this resource." }, type);
  const accountJson = (a: FakeAccount) => ({
    Id: a.id,
    Arn: `arn:aws:organizations::${org?.managementAccountId}:account/${org?.id}/${a.id}`,
    Email: a.email,
    Name: a.name,
    Status: a.status,
    JoinedMethod: a.id === org?.managementAccountId ? 'INVITED' : 'CREATED',
    JoinedTimestamp: 1714557600,
  });
  const paged = <T>(key: string, all: T[], map: (t: T) => unknown, field: string): FakeResponse => {
    const max = ctx.json.MaxResults as number | undefined;
    if (max !== undefined && (max < 1 || max > 20)) return errorResponse('json', { status: 400, code: 'InvalidInputException', namespace: 'com.amazonaws.organizations.v20161128', message: 'MaxResults must be between 1 and 20' }, type);
    const offset = readPageToken(key, ctx.json.NextToken as string | undefined);
    if (offset === undefined) return errorResponse('json', { status: 400, code: 'InvalidInputException', namespace: 'com.amazonaws.organizations.v20161128', message: 'The NextToken is not valid.' }, type);
    const page = pageOf(key, all, offset, size(ctx, max));
    return jsonOk({ [field]: page.items.map(map), ...(page.next ? { NextToken: page.next } : {}) }, type);
  };
  const guard = (run: () => FakeResponse) => () => {
    if (!org || ctx.account.outsideOrganization) return notInUse();
    if (ctx.account.id !== org.managementAccountId) return denied();
    return run();
  };
  const call = (run: () => FakeResponse): Call => ({ action: `organizations:${op}`, protocol: 'json', regional: false, run: guard(run) });
  const members = () => ctx.world.accounts.filter((a) => !a.outsideOrganization);
  switch (op) {
    case 'DescribeOrganization':
      return call(() =>
        jsonOk(
          {
            Organization: {
              Id: org!.id,
              Arn: `arn:aws:organizations::${org!.managementAccountId}:organization/${org!.id}`,
              FeatureSet: 'ALL',
              MasterAccountArn: `arn:aws:organizations::${org!.managementAccountId}:account/${org!.id}/${org!.managementAccountId}`,
              MasterAccountId: org!.managementAccountId,
              MasterAccountEmail: members().find((a) => a.id === org!.managementAccountId)?.email,
            },
          },
          type,
        ),
      );
    case 'ListAccounts':
      return call(() => paged(`orgs:ListAccounts`, members(), accountJson, 'Accounts'));
    case 'ListAccountsForParent':
      return call(() => {
        const parent = String(ctx.json.ParentId ?? '');
        const inParent = members().filter((a) => (a.parentId ?? org!.rootId) === parent);
        return paged(`orgs:ListAccountsForParent:${parent}`, inParent, accountJson, 'Accounts');
      });
    case 'ListOrganizationalUnitsForParent':
      return call(() => {
        const parent = String(ctx.json.ParentId ?? '');
        const ous = org!.ous.filter((o) => o.parentId === parent);
        return paged(
          `orgs:ListOUs:${parent}`,
          ous,
          (o) => ({ Id: o.id, Name: o.name, Arn: `arn:aws:organizations::${org!.managementAccountId}:ou/${org!.id}/${o.id}` }),
          'OrganizationalUnits',
        );
      });
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------- Resource Groups Tagging API (awsJson1_1)

/**
 * `GetResources` by ARN list (what the connector sends: the ARNs of one page of resources), for the
 * kinds whose listings carry no tags (Lambda functions, ElastiCache clusters, SQS queues, S3 buckets). As AWS
 * does: at most 100 ARNs, never together with the paging parameters, and resources without tags
 * (or unknown ARNs) simply absent from the answer.
 */
function tagging(ctx: CallContext): Call | undefined {
  const op = ctx.target?.replace(/^ResourceGroupsTaggingAPI_20170126\./, '') ?? '';
  if (op !== 'GetResources') return undefined;
  const type = 'application/x-amz-json-1.1';
  const NS = 'com.amazonaws.resourcegroupstaggingapi';
  const bad = (message: string) => errorResponse('json', { status: 400, code: 'InvalidParameterException', namespace: NS, message }, type);
  return {
    action: 'tag:GetResources',
    protocol: 'json',
    regional: true,
    run: () => {
      const arns = ctx.json.ResourceARNList;
      if (!Array.isArray(arns)) return bad('This fake answers GetResources by ResourceARNList only.');
      if (arns.length < 1 || arns.length > 100) return bad('ResourceARNList must hold between 1 and 100 ARNs.');
      if (ctx.json.PaginationToken !== undefined || ctx.json.ResourcesPerPage !== undefined) {
        return bad('You cannot specify both ResourceARNList and the pagination parameters in the same request.');
      }
      const data = regionData(ctx.account, ctx.region);
      const prefix = (service: string) => `arn:aws:${service}:${ctx.region}:${ctx.account.id}:`;
      const known = new Map<string, Array<{ Key: string; Value: string }>>();
      const fromMap = (tags: Record<string, string>) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
      const fromList = (tags: readonly AwsTag[]) => tags.map((t) => ({ Key: t.key, Value: t.value }));
      for (const f of data.functions) known.set(`${prefix('lambda')}function:${f.name}`, fromMap(f.tags));
      for (const c of data.cacheClusters) known.set(`${prefix('elasticache')}cluster:${c.id}`, fromList(c.tags));
      for (const q of data.queues) known.set(`${prefix('sqs')}${q.name}`, fromMap(q.tags));
      // S3 is global, but each region's tagging API answers for the buckets that live there.
      for (const b of ctx.account.buckets) if (b.region === ctx.region) known.set(`arn:aws:s3:::${b.name}`, fromList(b.tags ?? []));
      const found = arns.flatMap((arn) => {
        const tags = known.get(String(arn));
        return tags && tags.length > 0 ? [{ ResourceARN: String(arn), Tags: tags }] : [];
      });
      return jsonOk({ PaginationToken: '', ResourceTagMappingList: found }, type);
    },
  };
}

// ---------------------------------------------------------------- Lambda (restJson1)

function lambda(ctx: CallContext): Call | undefined {
  const data = () => regionData(ctx.account, ctx.region);
  const arnOf = (name: string) => `arn:aws:lambda:${ctx.region}:${ctx.account.id}:function:${name}`;
  if (ctx.method === 'GET' && /^\/2015-03-31\/functions\/?$/.test(ctx.path)) {
    return {
      action: 'lambda:ListFunctions',
      protocol: 'restJson',
      regional: true,
      run: () => {
        const max = ctx.query.get('MaxItems');
        const bad = checkRange('restJson', 'MaxItems', max, 1, 10000);
        if (bad) return errorResponse('restJson', { status: 400, code: 'InvalidParameterValueException', message: 'MaxItems must be between 1 and 10000' });
        const key = `lambda:ListFunctions:${ctx.account.id}:${ctx.region}`;
        const offset = readPageToken(key, ctx.query.get('Marker'));
        if (offset === undefined) return errorResponse('restJson', { status: 400, code: 'InvalidParameterValueException', message: 'Invalid Marker' });
        const page = pageOf(key, data().functions, offset, size(ctx, max ?? 50));
        return restJsonOk({
          Functions: page.items.map((f) => ({
            FunctionName: f.name,
            FunctionArn: arnOf(f.name),
            Runtime: f.runtime,
            Role: f.role,
            Handler: f.handler,
            CodeSize: 1024,
            Description: '',
            Timeout: f.timeout,
            MemorySize: f.memorySize,
            LastModified: f.lastModified,
            CodeSha256: 'c2hhMjU2',
            Version: '$LATEST',
            ...(f.vpc ? { VpcConfig: { SubnetIds: f.vpc.subnetIds, SecurityGroupIds: f.vpc.securityGroupIds, VpcId: f.vpc.vpcId } } : {}),
            ...(f.environment ? { Environment: { Variables: f.environment } } : {}),
            PackageType: 'Zip',
            Architectures: ['x86_64'],
          })),
          ...(page.next ? { NextMarker: page.next } : {}),
        });
      },
    };
  }
  const tags = /^\/2017-03-31\/tags\/([^/]+)$/.exec(ctx.path);
  if (ctx.method === 'GET' && tags) {
    return {
      action: 'lambda:ListTags',
      protocol: 'restJson',
      regional: true,
      run: () => {
        const arn = decodeURIComponent(tags[1]!);
        const fn = data().functions.find((f) => arnOf(f.name) === arn);
        if (!fn) return errorResponse('restJson', { status: 404, code: 'ResourceNotFoundException', message: `Function not found: ${arn}` });
        return restJsonOk({ Tags: fn.tags });
      },
    };
  }
  return undefined;
}

// ---------------------------------------------------------------- S3 (restXml, path style)

function s3(ctx: CallContext): Call | undefined {
  if (ctx.method !== 'GET') return undefined;
  const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';
  if (ctx.path === '/') {
    return {
      action: 's3:ListAllMyBuckets',
      protocol: 'restXml',
      regional: false,
      run: () => {
        const max = ctx.query.get('max-buckets');
        const bad = checkRange('restXml', 'max-buckets', max, 1, 10000);
        if (bad) return errorResponse('restXml', { status: 400, code: 'InvalidArgument', message: 'max-buckets must be between 1 and 10000' });
        const key = `s3:ListBuckets:${ctx.account.id}`;
        const offset = readPageToken(key, ctx.query.get('continuation-token'));
        if (offset === undefined) return errorResponse('restXml', { status: 400, code: 'InvalidArgument', message: 'The continuation token provided is incorrect' });
        const all = [...ctx.account.buckets].sort((a, b) => (a.name < b.name ? -1 : 1));
        // Without max-buckets S3 returns every bucket in one answer.
        const page = pageOf(key, all, offset, max === null ? all.length || 1 : size(ctx, max));
        return restXmlOk(
          `<ListAllMyBucketsResult xmlns="${S3_NS}"><Owner><ID>${'0'.repeat(64)}</ID></Owner>${list(
            'Buckets',
            'Bucket',
            page.items.map((b) => el('Name', b.name) + el('CreationDate', b.creationDate) + el('BucketRegion', b.region)),
          )}${el('ContinuationToken', page.next)}</ListAllMyBucketsResult>`,
        );
      },
    };
  }
  const m = /^\/([a-z0-9.-]{3,63})\/?$/.exec(ctx.path);
  if (!m) return undefined;
  const bucket = () => ctx.account.buckets.find((b) => b.name === m[1]);
  const noBucket = () => errorResponse('restXml', { status: 404, code: 'NoSuchBucket', message: 'The specified bucket does not exist' });
  if (ctx.query.has('tagging')) {
    return {
      action: 's3:GetBucketTagging',
      protocol: 'restXml',
      regional: false,
      run: () => {
        const b = bucket();
        if (!b) return noBucket();
        if (!b.tags) return errorResponse('restXml', { status: 404, code: 'NoSuchTagSet', message: 'The TagSet does not exist' });
        return restXmlOk(`<Tagging xmlns="${S3_NS}">${list('TagSet', 'Tag', b.tags.map((t) => el('Key', t.key) + el('Value', t.value)))}</Tagging>`);
      },
    };
  }
  if (ctx.query.has('location')) {
    return {
      action: 's3:GetBucketLocation',
      protocol: 'restXml',
      regional: false,
      run: () => {
        const b = bucket();
        if (!b) return noBucket();
        return restXmlOk(`<LocationConstraint xmlns="${S3_NS}">${b.region === 'us-east-1' ? '' : b.region}</LocationConstraint>`);
      },
    };
  }
  return undefined;
}

const SERVICES: Record<string, (ctx: CallContext) => Call | undefined> = {
  ec2,
  rds,
  elasticache,
  sts,
  iam,
  sqs,
  organizations,
  lambda,
  s3,
  tagging,
};

export function identifyCall(ctx: CallContext): Call | undefined {
  return SERVICES[ctx.service]?.(ctx);
}

/** The protocol a service answers errors in, for requests that never reach a handler. */
export function protocolOf(service: string): Protocol {
  switch (service) {
    case 'ec2':
      return 'ec2';
    case 'sqs':
    case 'organizations':
    case 'tagging':
      return 'json';
    case 'lambda':
      return 'restJson';
    case 's3':
      return 'restXml';
    default:
      return 'query';
  }
}
