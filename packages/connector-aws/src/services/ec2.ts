import type { SourceRecord } from '@elder-sync/connector-sdk';
import { attributes, displayName, elderTags, iso, orgPath, tagMap } from '../mapping.js';
import type { ScopeApi } from '../scope-api.js';

/** EC2 instances (terminated ones are gone: AWS lists them for about an hour after termination). */
export async function* readInstances(api: ScopeApi): AsyncGenerator<SourceRecord> {
  const ec2 = await api.client('ec2', (m, c) => new m.EC2Client(c));
  const { DescribeInstancesCommand } = await import('@aws-sdk/client-ec2');
  const pages = api.pages(
    'ec2:DescribeInstances',
    (token) => ec2.send(new DescribeInstancesCommand({ MaxResults: 1000, ...(token ? { NextToken: token } : {}) })),
    (p) => p.NextToken,
  );
  for await (const page of pages) {
    for (const reservation of page.Reservations ?? []) {
      for (const i of reservation.Instances ?? []) {
        if (!i.InstanceId || i.State?.Name === 'terminated') continue;
        const tags = tagMap(i.Tags);
        const subnetArn = i.SubnetId ? api.ec2Arn('subnet', i.SubnetId) : undefined;
        yield {
          kind: 'ec2_instance',
          externalId: api.ec2Arn('instance', i.InstanceId),
          name: `EC2: ${displayName(tags, i.InstanceId)}`,
          attributes: attributes(api, api.ec2Arn('instance', i.InstanceId), tags, {
            instance_id: i.InstanceId,
            instance_type: i.InstanceType,
            state: i.State?.Name,
            private_ip: i.PrivateIpAddress,
            public_ip: i.PublicIpAddress,
            private_dns: i.PrivateDnsName || undefined,
            public_dns: i.PublicDnsName || undefined,
            vpc_id: i.VpcId,
            subnet_id: i.SubnetId,
            availability_zone: i.Placement?.AvailabilityZone,
            image_id: i.ImageId,
            architecture: i.Architecture,
            platform: i.PlatformDetails,
            launch_time: iso(i.LaunchTime),
            is_active: i.State?.Name === 'running',
          }),
          organizationPath: orgPath(api),
          tags: elderTags('ec2', api.region, tags),
          relations: api.relationTo('subnet', subnetArn),
        };
      }
    }
  }
}
