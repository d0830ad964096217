import { secret } from '@elder-sync/connector-sdk';
import { z } from 'zod';

/** The seven services, as users name them in `services:`. `vpc` covers VPCs and their subnets. */
export const AWS_SERVICES = ['ec2', 'vpc', 'lambda', 'rds', 'elasticache', 'sqs', 's3'] as const;
export type AwsService = (typeof AWS_SERVICES)[number];

/** The AWS services the connector calls, as `endpoints:` keys (the SDK's own names). */
export const ENDPOINT_SERVICES = ['ec2', 'lambda', 'rds', 'elasticache', 'sqs', 's3', 'sts', 'organizations', 'iam', 'tagging'] as const;

const ACCOUNT_ID = /^\d{12}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

/** The account id inside an IAM role ARN. */
export function accountOfRoleArn(roleArn: string): string {
  return ROLE_ARN.exec(roleArn)?.[1] ?? '';
}

const accountSchema = z.object({
  roleArn: z
    .string()
    .regex(ROLE_ARN, 'must be an IAM role ARN, e.g. arn:aws:iam::123456789012:role/elder-sync-read')
    .describe('Role assumed in the account (sts:AssumeRole) to read it'),
  externalId: secret(z.string().min(2).max(1224)).optional().describe("The role trust policy's sts:ExternalId, if it asks for one"),
  name: z.string().min(1).max(128).optional().describe('Label of the account in Elder (else its alias, else its Organizations name, else its id)'),
});

const organizationSchema = z.object({
  roleName: z
    .string()
    .regex(/^[\w+=,.@-]{1,64}$/, 'must be an IAM role name (no ARN), e.g. elder-sync-read')
    .describe('Role assumed in every member account'),
  includeOus: z
    .array(z.string().regex(/^(ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}|r-[0-9a-z]{4,32})$/, 'must be an OU id (ou-ab12-cdef3456) or the root id (r-ab12)'))
    .min(1)
    .optional()
    .describe('Only accounts in these OUs (and the OUs below them); default: the whole Organization'),
  excludeAccounts: z.array(z.string().regex(ACCOUNT_ID, 'must be a 12-digit account id (quote it in YAML)')).optional().describe('Account ids to leave out'),
});

/** The connector's config block; its type is `z.infer` of this, nowhere else. */
export const awsConfigSchema = z
  .object({
    accounts: z.array(accountSchema).min(1).optional().describe("Accounts to read through a role; default: the credential chain's own account"),
    organization: organizationSchema.optional().describe('Read every ACTIVE member account of the AWS Organization'),
    regions: z
      .array(z.union([z.literal('*'), z.string().regex(REGION, 'must be a region name like eu-west-1, or "*"')]))
      .min(1)
      .default(['*'])
      .describe('Regions to read; "*" = every region enabled for each account (ec2:DescribeRegions)'),
    services: z.array(z.enum(AWS_SERVICES)).min(1).default([...AWS_SERVICES]).describe(`Services to read: ${AWS_SERVICES.join(', ')}`),
    endpoints: z
      .partialRecord(
        z.enum(ENDPOINT_SERVICES),
        z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL, e.g. https://ec2.eu-west-1.amazonaws.com' }),
      )
      .optional()
      .describe('Endpoint URL per AWS service (private endpoints, test servers), for every region; AWS_ENDPOINT_URL_<SERVICE> works too'),
  })
  .superRefine((c, ctx) => {
    if (c.regions.includes('*') && c.regions.length > 1) {
      ctx.addIssue({ code: 'custom', path: ['regions'], message: '"*" already means every enabled region; give either ["*"] or a list of regions' });
    }
    const seen = new Set<string>();
    c.accounts?.forEach((a, i) => {
      const id = accountOfRoleArn(a.roleArn);
      if (seen.has(id)) ctx.addIssue({ code: 'custom', path: ['accounts', i, 'roleArn'], message: `account ${id} is listed twice; give each account once` });
      seen.add(id);
    });
  });

export type AwsConfig = z.infer<typeof awsConfigSchema>;
