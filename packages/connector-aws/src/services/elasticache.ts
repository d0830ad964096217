import type { SourceRecord } from '@elder-sync/connector-sdk';
import { attributes, elderTags, orgPath, tagMap } from '../mapping.js';
import type { ScopeApi } from '../scope-api.js';

const MAX_RECORDS = 100;

/**
 * ElastiCache clusters. The VPC is known only through the cluster's cache subnet group, so the
 * region's subnet groups are read first (few; name → VPC id); tags come a page at a time (`ScopeApi.tagsOf`).
 */
export async function* readCacheClusters(api: ScopeApi): AsyncGenerator<SourceRecord> {
  const ec = await api.client('elasticache', (m, c) => new m.ElastiCacheClient(c));
  const { DescribeCacheClustersCommand, DescribeCacheSubnetGroupsCommand, ListTagsForResourceCommand } = await import('@aws-sdk/client-elasticache');
  const vpcOfGroup = new Map<string, string>();
  const groups = api.pages(
    'elasticache:DescribeCacheSubnetGroups',
    (token) => ec.send(new DescribeCacheSubnetGroupsCommand({ MaxRecords: MAX_RECORDS, ...(token ? { Marker: token } : {}) })),
    (p) => p.Marker,
  );
  for await (const page of groups) {
    for (const g of page.CacheSubnetGroups ?? []) if (g.CacheSubnetGroupName && g.VpcId) vpcOfGroup.set(g.CacheSubnetGroupName, g.VpcId);
  }
  const pages = api.pages(
    'elasticache:DescribeCacheClusters',
    (token) => ec.send(new DescribeCacheClustersCommand({ MaxRecords: MAX_RECORDS, ...(token ? { Marker: token } : {}) })),
    (p) => p.Marker,
  );
  for await (const page of pages) {
    const clusters = (page.CacheClusters ?? []).filter((c) => c.ARN && c.CacheClusterId);
    const tagsOf = await api.tagsOf(
      clusters.map((c) => c.ARN!),
      async (arn) => tagMap((await api.call('elasticache:ListTagsForResource', () => ec.send(new ListTagsForResourceCommand({ ResourceName: arn })))).TagList),
    );
    for (const c of clusters) {
      const tags = tagsOf.get(c.ARN!)!;
      const vpcId = c.CacheSubnetGroupName ? vpcOfGroup.get(c.CacheSubnetGroupName) : undefined;
      yield {
        kind: 'elasticache_cluster',
        externalId: c.ARN!,
        name: `ElastiCache: ${c.CacheClusterId}`,
        attributes: attributes(api, c.ARN!, tags, {
          cluster_id: c.CacheClusterId,
          engine: c.Engine,
          engine_version: c.EngineVersion,
          node_type: c.CacheNodeType,
          status: c.CacheClusterStatus,
          num_cache_nodes: c.NumCacheNodes,
          subnet_group: c.CacheSubnetGroupName,
          replication_group_id: c.ReplicationGroupId,
          availability_zone: c.PreferredAvailabilityZone,
          endpoint: c.ConfigurationEndpoint?.Address,
          port: c.ConfigurationEndpoint?.Port,
          vpc_id: vpcId,
          is_active: c.CacheClusterStatus === 'available',
        }),
        organizationPath: orgPath(api),
        tags: elderTags('elasticache', api.region, tags),
        relations: api.relationTo('vpc', vpcId ? api.ec2Arn('vpc', vpcId) : undefined),
      };
    }
  }
}
