import type { SourceRecord } from '@elder-sync/connector-sdk';
import { attributes, displayName, elderTags, orgPath, tagMap } from '../mapping.js';
import type { ScopeApi } from '../scope-api.js';

export async function* readVpcs(api: ScopeApi): AsyncGenerator<SourceRecord> {
  const ec2 = await api.client('ec2', (m, c) => new m.EC2Client(c));
  const { DescribeVpcsCommand } = await import('@aws-sdk/client-ec2');
  const pages = api.pages(
    'ec2:DescribeVpcs',
    (token) => ec2.send(new DescribeVpcsCommand({ MaxResults: 1000, ...(token ? { NextToken: token } : {}) })),
    (p) => p.NextToken,
  );
  for await (const page of pages) {
    for (const v of page.Vpcs ?? []) {
      // VPCs shared with this account (RAM) are listed too; they are their owner account's records.
      if (!v.VpcId || (v.OwnerId && v.OwnerId !== api.accountId)) continue;
      const tags = tagMap(v.Tags);
      const arn = api.ec2Arn('vpc', v.VpcId);
      api.remember('vpc', arn);
      yield {
        kind: 'vpc',
        externalId: arn,
        name: `VPC: ${displayName(tags, v.VpcId)}`,
        attributes: attributes(api, arn, tags, {
          vpc_id: v.VpcId,
          cidr_block: v.CidrBlock,
          state: v.State,
          is_default: v.IsDefault ?? false,
          owner_id: v.OwnerId,
        }),
        organizationPath: orgPath(api),
        tags: elderTags('vpc', api.region, tags),
      };
    }
  }
}

export async function* readSubnets(api: ScopeApi): AsyncGenerator<SourceRecord> {
  const ec2 = await api.client('ec2', (m, c) => new m.EC2Client(c));
  const { DescribeSubnetsCommand } = await import('@aws-sdk/client-ec2');
  const pages = api.pages(
    'ec2:DescribeSubnets',
    (token) => ec2.send(new DescribeSubnetsCommand({ MaxResults: 1000, ...(token ? { NextToken: token } : {}) })),
    (p) => p.NextToken,
  );
  for await (const page of pages) {
    for (const s of page.Subnets ?? []) {
      if (!s.SubnetId || (s.OwnerId && s.OwnerId !== api.accountId)) continue;
      const tags = tagMap(s.Tags);
      const arn = s.SubnetArn ?? api.ec2Arn('subnet', s.SubnetId);
      api.remember('subnet', arn);
      yield {
        kind: 'subnet',
        externalId: arn,
        name: `Subnet: ${displayName(tags, s.SubnetId)}`,
        attributes: attributes(api, arn, tags, {
          subnet_id: s.SubnetId,
          vpc_id: s.VpcId,
          cidr_block: s.CidrBlock,
          availability_zone: s.AvailabilityZone,
          state: s.State,
          available_ip_addresses: s.AvailableIpAddressCount,
          map_public_ip_on_launch: s.MapPublicIpOnLaunch ?? false,
        }),
        organizationPath: orgPath(api),
        tags: elderTags('vpc', api.region, tags),
        relations: api.relationTo('vpc', s.VpcId ? api.ec2Arn('vpc', s.VpcId) : undefined),
      };
    }
  }
}
