import type { RecordRelation, SourceRecord } from '@elder-sync/connector-sdk';
import { attributes, elderTags, orgPath, tagMap } from '../mapping.js';
import type { ScopeApi } from '../scope-api.js';

/** RDS's page size bounds: MaxRecords must be 20..100 (the SDK does not check; AWS refuses others). */
const MAX_RECORDS = 100;

/** Aurora (and Multi-AZ DB) clusters. */
export async function* readDbClusters(api: ScopeApi): AsyncGenerator<SourceRecord> {
  const rds = await api.client('rds', (m, c) => new m.RDSClient(c));
  const { DescribeDBClustersCommand } = await import('@aws-sdk/client-rds');
  const pages = api.pages(
    'rds:DescribeDBClusters',
    (token) => rds.send(new DescribeDBClustersCommand({ MaxRecords: MAX_RECORDS, ...(token ? { Marker: token } : {}) })),
    (p) => p.Marker,
  );
  for await (const page of pages) {
    for (const c of page.DBClusters ?? []) {
      if (!c.DBClusterArn || !c.DBClusterIdentifier) continue;
      const tags = tagMap(c.TagList);
      api.remember('rds_cluster', c.DBClusterArn);
      yield {
        kind: 'rds_cluster',
        externalId: c.DBClusterArn,
        name: `${c.Engine?.startsWith('aurora') ? 'Aurora' : 'RDS cluster'}: ${c.DBClusterIdentifier}`,
        attributes: attributes(api, c.DBClusterArn, tags, {
          cluster_id: c.DBClusterIdentifier,
          engine: c.Engine,
          engine_version: c.EngineVersion,
          status: c.Status,
          endpoint: c.Endpoint,
          reader_endpoint: c.ReaderEndpoint,
          port: c.Port,
          subnet_group: c.DBSubnetGroup,
          members: (c.DBClusterMembers ?? []).map((m) => m.DBInstanceIdentifier ?? '').filter(Boolean).sort(),
          is_aurora: c.Engine?.startsWith('aurora') ?? false,
          is_active: c.Status === 'available',
        }),
        organizationPath: orgPath(api),
        tags: elderTags('rds', api.region, tags),
      };
    }
  }
}

/** RDS DB instances; an Aurora member depends on its cluster, every instance on its VPC. */
export async function* readDbInstances(api: ScopeApi): AsyncGenerator<SourceRecord> {
  const rds = await api.client('rds', (m, c) => new m.RDSClient(c));
  const { DescribeDBInstancesCommand } = await import('@aws-sdk/client-rds');
  const pages = api.pages(
    'rds:DescribeDBInstances',
    (token) => rds.send(new DescribeDBInstancesCommand({ MaxRecords: MAX_RECORDS, ...(token ? { Marker: token } : {}) })),
    (p) => p.Marker,
  );
  for await (const page of pages) {
    for (const d of page.DBInstances ?? []) {
      if (!d.DBInstanceArn || !d.DBInstanceIdentifier) continue;
      const tags = tagMap(d.TagList);
      const vpcId = d.DBSubnetGroup?.VpcId || undefined;
      const relations: RecordRelation[] = [
        ...api.relationTo('rds_cluster', d.DBClusterIdentifier ? `arn:aws:rds:${api.region}:${api.accountId}:cluster:${d.DBClusterIdentifier}` : undefined),
        ...api.relationTo('vpc', vpcId ? api.ec2Arn('vpc', vpcId) : undefined),
      ];
      yield {
        kind: 'rds_instance',
        externalId: d.DBInstanceArn,
        name: `RDS: ${d.DBInstanceIdentifier}${d.Engine?.startsWith('aurora') ? ' (Aurora)' : ''}`,
        attributes: attributes(api, d.DBInstanceArn, tags, {
          instance_id: d.DBInstanceIdentifier,
          engine: d.Engine,
          engine_version: d.EngineVersion,
          instance_class: d.DBInstanceClass,
          status: d.DBInstanceStatus,
          allocated_storage_gb: d.AllocatedStorage,
          endpoint: d.Endpoint?.Address,
          port: d.Endpoint?.Port,
          multi_az: d.MultiAZ ?? false,
          storage_encrypted: d.StorageEncrypted ?? false,
          vpc_id: vpcId,
          availability_zone: d.AvailabilityZone,
          cluster_id: d.DBClusterIdentifier,
          is_aurora: d.Engine?.startsWith('aurora') ?? false,
          is_active: d.DBInstanceStatus === 'available',
        }),
        organizationPath: orgPath(api),
        tags: elderTags('rds', api.region, tags),
        relations,
      };
    }
  }
}
