import { secret } from '@elder-sync/connector-sdk';
import { z } from 'zod';
import { CLOUDS } from './cloud.js';
import { RESOURCES } from './resources.js';
import { loadTenantsFile } from './tenants-file.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

const httpsUrl = z
  .string()
  .url('must be a URL such as https://graph.microsoft.com')
  .refine((u) => u.startsWith('https://'), 'must be an https:// URL (tokens are never sent in clear text)');

export const certificateSchema = z.strictObject({
  privateKey: secret(z.string().min(1, 'must be the PEM private key, e.g. "${file:./contoso.key}"')).describe(
    'PEM private key of the certificate registered on the app (-----BEGIN PRIVATE KEY-----)',
  ),
  thumbprint: z
    .string()
    .transform((t) => t.replace(/[\s:]/g, ''))
    .refine((t) => /^([0-9a-f]{40}|[0-9a-f]{64})$/i.test(t), 'must be the certificate thumbprint in hex: SHA-1 (40) or SHA-256 (64 characters)')
    .describe('Hex thumbprint of the certificate as the app registration shows it (SHA-1) or its SHA-256'),
  x5c: z.string().optional().describe('PEM public certificate chain, sent for subject-name/issuer authentication'),
});

export const tenantSchema = z
  .strictObject({
    id: z
      .string()
      .trim()
      .refine((v) => GUID.test(v) || DOMAIN.test(v), 'must be the tenant id (a GUID) or its primary domain, e.g. contoso.onmicrosoft.com')
      .describe('Tenant (directory) id or primary domain'),
    name: z.string().trim().min(1).max(255).describe("Label; the tenant's organization in Elder"),
    clientId: z.string().trim().regex(GUID, 'must be the app registration\'s application (client) id, a GUID'),
    clientSecret: secret(z.string().min(1)).optional().describe('Client secret value (not its id); or give certificate'),
    certificate: certificateSchema.optional(),
  })
  .superRefine((t, ctx) => {
    if ((t.clientSecret === undefined) === (t.certificate === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give either clientSecret or certificate: { privateKey, thumbprint } (exactly one)', path: [] });
    }
  });

export type TenantConfig = z.infer<typeof tenantSchema>;

export const endpointsSchema = z.strictObject({
  login: httpsUrl.optional().describe('Microsoft identity platform, e.g. https://login.microsoftonline.com'),
  graph: httpsUrl.optional().describe('Microsoft Graph, e.g. https://graph.microsoft.com'),
  defender: httpsUrl.optional().describe('Defender for Endpoint API or a regional host, e.g. https://api.security.microsoft.com'),
});

/** The connector's config block; its type is `z.infer` of this, nowhere else. */
export const graphConfigSchema = z
  .strictObject({
    tenants: z.array(tenantSchema).optional().describe('One entry per customer tenant (its own app registration)'),
    tenantsFile: z
      .string()
      .min(1)
      .optional()
      .describe('YAML or JSON file with a tenants: list (same keys); relative to the working directory; ${ENV} and ${file:} work inside'),
    resources: z
      .array(z.enum(RESOURCES))
      .min(1)
      .default([...RESOURCES])
      .describe(`What to read: ${RESOURCES.join(', ')}`),
    cloud: z.enum(CLOUDS).default('global').describe('National cloud: global, usgov, usgov-dod, china'),
    endpoints: endpointsSchema.optional().describe('Overrides of the cloud endpoints (national clouds, proxies, test servers)'),
    caFile: z.string().min(1).optional().describe('PEM file of extra CAs to trust for login, Graph and Defender (a TLS-inspecting proxy)'),
  })
  .transform((c, ctx) => {
    const tenants = [...(c.tenants ?? [])];
    if (c.tenantsFile !== undefined) {
      const loaded = loadTenantsFile(c.tenantsFile, tenantSchema);
      for (const issue of loaded.issues) ctx.addIssue({ code: 'custom', path: ['tenantsFile'], message: issue });
      tenants.push(...loaded.tenants);
    }
    if (c.tenants === undefined && c.tenantsFile === undefined) {
      ctx.addIssue({ code: 'custom', path: ['tenants'], message: 'give tenants: [{ id, name, clientId, clientSecret }] or tenantsFile: ./tenants.yaml' });
    } else if (tenants.length === 0 && ctx.issues.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['tenants'], message: 'list at least one tenant' });
    }
    const ids = new Map<string, number>();
    const names = new Map<string, number>();
    tenants.forEach((t, i) => {
      const id = t.id.toLowerCase();
      const name = t.name.toLowerCase();
      if (ids.has(id)) ctx.addIssue({ code: 'custom', path: ['tenants', i, 'id'], message: `tenant "${t.id}" is listed twice (also entry ${ids.get(id)})` });
      else ids.set(id, i);
      if (names.has(name)) ctx.addIssue({ code: 'custom', path: ['tenants', i, 'name'], message: `name "${t.name}" is used twice (also entry ${names.get(name)}); each tenant is its own organization` });
      else names.set(name, i);
    });
    return { ...c, tenants };
  });

export type GraphConfig = z.infer<typeof graphConfigSchema>;
