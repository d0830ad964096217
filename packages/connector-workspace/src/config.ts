import { googleCredentialsSchema, googleEndpointsSchema } from '@elder-sync/google-auth';
import { z } from 'zod';

export const WORKSPACE_KINDS = ['orgunit', 'user', 'group'] as const;
export type WorkspaceKind = (typeof WORKSPACE_KINDS)[number];

const email = (example: string) =>
  z
    .string()
    .trim()
    .regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, `must be an e-mail address, e.g. ${example}`);

/** The connector's config block; its type is `z.infer` of this, nowhere else. */
export const workspaceConfigSchema = z.object({
  credentials: googleCredentialsSchema.optional(),
  subject: email('admin@example.com').describe(
    'The administrator the service account acts as (domain-wide delegation); a super admin or a delegated admin with read access to users, groups and org units',
  ),
  customer: z
    .string()
    .trim()
    .regex(/^(my_customer|C[0-9a-z]+)$/i, 'must be my_customer or a customer id such as C03az79cb (Admin console → Account → Account settings)')
    .default('my_customer')
    .describe('Customer id, or my_customer: the customer of the subject'),
  domain: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z0-9.-]+\.[a-z]{2,}$/, 'must be a domain name such as example.com')
    .optional()
    .describe('Only the users and groups of this domain of a multi-domain customer (org units are customer-wide)'),
  kinds: z
    .array(z.enum(WORKSPACE_KINDS))
    .min(1)
    .default([...WORKSPACE_KINDS])
    .describe('Which kinds to read: orgunit, user, group'),
  endpoints: googleEndpointsSchema(['admin']).describe(
    'Optional overrides: token (OAuth token endpoint) and admin (Admin SDK root, default https://admin.googleapis.com/)',
  ),
});

export type WorkspaceConfig = z.infer<typeof workspaceConfigSchema>;

/** One scope per customer (and domain): the unit the runner schedules and keys ownership by. */
export function scopeIdOf(config: Pick<WorkspaceConfig, 'customer' | 'domain'>): string {
  return config.domain === undefined ? config.customer : `${config.customer}/${config.domain}`;
}

export function scopeLabelOf(config: Pick<WorkspaceConfig, 'customer' | 'domain' | 'subject'>): string {
  return `Google Workspace ${config.domain ?? config.customer} as ${config.subject}`;
}
