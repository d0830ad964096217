import { describe, expect, it } from 'vitest';
import { awsConfigSchema } from './config.js';

const issues = (input: unknown) => {
  const r = awsConfigSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('the aws config block', () => {
  it('defaults to every enabled region and all seven services of the credential chain\'s own account', () => {
    expect(awsConfigSchema.parse({})).toEqual({ regions: ['*'], services: ['ec2', 'vpc', 'lambda', 'rds', 'elasticache', 'sqs', 's3'] });
  });

  it('accepts the issue\'s example as written', () => {
    expect(
      issues({
        accounts: [{ roleArn: 'arn:aws:iam::123456789012:role/elder-sync-read', externalId: 'ext-123', name: 'prod' }],
        organization: { roleName: 'elder-sync-read', includeOus: ['ou-ab12-cdef3456'], excludeAccounts: ['111111111111'] },
        regions: ['*'],
        services: ['ec2', 'vpc', 'lambda', 'rds', 'elasticache', 'sqs', 's3'],
      }),
    ).toEqual([]);
  });

  it('names each bad field and how to write it', () => {
    expect(
      issues({
        accounts: [{ roleArn: 'elder-sync-read' }],
        organization: { roleName: 'arn:aws:iam::1:role/x', excludeAccounts: [111111111111] },
        regions: ['*', 'eu-west-1'],
        services: ['ec2', 'dynamodb'],
      }),
    ).toEqual([
      'accounts.0.roleArn: must be an IAM role ARN, e.g. arn:aws:iam::123456789012:role/elder-sync-read',
      'organization.roleName: must be an IAM role name (no ARN), e.g. elder-sync-read',
      'organization.excludeAccounts.0: Invalid input: expected string, received number',
      expect.stringMatching(/^services\.1: Invalid option: expected one of "ec2"\|"vpc"/),
    ]);
    expect(issues({ regions: ['*', 'eu-west-1'] })).toEqual(['regions: "*" already means every enabled region; give either ["*"] or a list of regions']);
    expect(issues({ regions: ['Frankfurt'] })).toEqual(['regions.0: must be a region name like eu-west-1, or "*"']);
  });

  it('takes an endpoint URL per AWS service, and names a bad one', () => {
    expect(issues({ endpoints: { ec2: 'https://vpce-1.ec2.eu-west-1.vpce.amazonaws.com', s3: 'http://127.0.0.1:9000' } })).toEqual([]);
    expect(issues({ endpoints: { ec2: 'ec2.internal' } })).toEqual(['endpoints.ec2: must be an http:// or https:// URL, e.g. https://ec2.eu-west-1.amazonaws.com']);
    expect(issues({ endpoints: { dynamodb: 'https://x' } })).toHaveLength(1);
  });

  it('refuses an account listed twice', () => {
    const arn = 'arn:aws:iam::123456789012:role/a';
    expect(issues({ accounts: [{ roleArn: arn }, { roleArn: 'arn:aws:iam::123456789012:role/b' }] })).toEqual([
      'accounts.1.roleArn: account 123456789012 is listed twice; give each account once',
    ]);
  });
});
