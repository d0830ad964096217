import { googleCredentialsSchema, googleEndpointsSchema, serviceAccountEmailSchema } from '@elder-sync/google-auth';
import { z } from 'zod';

export const GCP_RESOURCES = ['instances', 'networks', 'subnetworks', 'buckets'] as const;
export type GcpResource = (typeof GCP_RESOURCES)[number];

/** The APIs `endpoints` may redirect (besides `token` and `iamcredentials`). */
export const GCP_APIS = ['compute', 'cloudresourcemanager', 'storage'] as const;

/** Items per page asked of every list call; Compute and Storage cap at 500, Resource Manager at 1000. */
export const DEFAULT_PAGE_SIZE = 500;

/**
 * Project ids: 6-30 characters, lower-case letters, digits and hyphens, starting with a letter; old
 * domain-scoped projects carry their domain (`example.com:web-prod`).
 */
const projectIdSchema = z
  .string()
  .trim()
  .regex(
    /^(?:[a-z0-9][a-z0-9.-]*:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/,
    'must be a project id (6-30 lower-case letters, digits and hyphens, e.g. web-prod; example.com:web-prod for a domain-scoped project), not a name or number',
  );

const parentSchema = z
  .string()
  .trim()
  .regex(/^(organizations|folders)\/\d+$/, 'must be organizations/<number> or folders/<number>, e.g. folders/987654321');

const globSchema = z
  .string()
  .trim()
  .min(1)
  .regex(/^[a-z0-9*?.:-]+$/, 'must be a project id pattern: lower-case letters, digits, hyphens, * and ?');

/** The `config` block of a `gcp` source; its type is `z.infer` of this, nowhere else. */
export const gcpConfigSchema = z
  .strictObject({
    credentials: googleCredentialsSchema.optional(),
    impersonate: serviceAccountEmailSchema.optional().describe('Service account to impersonate (needs roles/iam.serviceAccountTokenCreator on it)'),
    projects: z.array(projectIdSchema).optional().describe('Project ids to read'),
    parents: z.array(parentSchema).optional().describe('Organizations or folders: every ACTIVE project below them, recursively'),
    excludeProjects: z.array(globSchema).default([]).describe('Project id globs to leave out, e.g. sandbox-*'),
    resources: z
      .array(z.enum(GCP_RESOURCES))
      .min(1)
      .default([...GCP_RESOURCES])
      .describe('What to read: instances, networks, subnetworks, buckets'),
    endpoints: googleEndpointsSchema(GCP_APIS).describe('API endpoint overrides: Private Service Connect, restricted VIPs, test servers'),
    pageSize: z.number().int().min(1).max(500).default(DEFAULT_PAGE_SIZE).describe('Items per page of every list call'),
  })
  .superRefine((c, ctx) => {
    if ((c.projects?.length ?? 0) === 0 && (c.parents?.length ?? 0) === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['projects'],
        message: 'give projects (project ids) and/or parents (organizations/<n>, folders/<n>): there is nothing to read otherwise',
      });
    }
  });

export type GcpConfig = z.infer<typeof gcpConfigSchema>;

/** `sandbox-*` as a whole-id matcher (`*` any run of characters, `?` one). */
export function projectMatcher(globs: readonly string[]): (projectId: string) => boolean {
  if (globs.length === 0) return () => false;
  const patterns = globs.map((g) => new RegExp(`^${g.replace(/[-.]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`));
  return (projectId) => patterns.some((p) => p.test(projectId));
}
