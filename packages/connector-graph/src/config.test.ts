import { describe, expect, it } from 'vitest';
import { graphConfigSchema } from './config.js';

const tenant = { id: 'contoso.onmicrosoft.com', name: 'Contoso', clientId: '11111111-2222-3333-4444-555555555555', clientSecret: 's3cret-value' };
const issues = (input: unknown) => {
  const r = graphConfigSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('graph config', () => {
  it('takes the documented example with its defaults', () => {
    const c = graphConfigSchema.parse({ tenants: [tenant] });
    expect(c.cloud).toBe('global');
    expect(c.resources).toEqual(['users', 'groups', 'devices', 'managedDevices', 'machines', 'alerts', 'vulnerabilities', 'secureScore']);
  });

  it('says what is wrong with a tenant, by path', () => {
    expect(issues({ tenants: [{ ...tenant, id: 'not a tenant', clientId: 'app', clientSecret: undefined }] })).toEqual([
      'tenants.0.id: must be the tenant id (a GUID) or its primary domain, e.g. contoso.onmicrosoft.com',
      "tenants.0.clientId: must be the app registration's application (client) id, a GUID",
      'tenants.0: give either clientSecret or certificate: { privateKey, thumbprint } (exactly one)',
    ]);
    expect(issues({ tenants: [{ ...tenant, certificate: { privateKey: 'k', thumbprint: 'AB:CD' } }] })).toEqual([
      'tenants.0.certificate.thumbprint: must be the certificate thumbprint in hex: SHA-1 (40) or SHA-256 (64 characters)',
      'tenants.0: give either clientSecret or certificate: { privateKey, thumbprint } (exactly one)',
    ]);
  });

  it('refuses a tenant listed twice or two tenants of one name (each is its own organization)', () => {
    expect(issues({ tenants: [tenant, { ...tenant, id: 'CONTOSO.onmicrosoft.com' }, { ...tenant, id: 'fabrikam.com', name: 'contoso' }] })).toEqual([
      'tenants.1.id: tenant "CONTOSO.onmicrosoft.com" is listed twice (also entry 0)',
      'tenants.1.name: name "Contoso" is used twice (also entry 0); each tenant is its own organization',
      'tenants.2.name: name "contoso" is used twice (also entry 0); each tenant is its own organization',
    ]);
  });

  it('needs tenants or tenantsFile, https endpoints and known resources', () => {
    expect(issues({})).toEqual(['tenants: give tenants: [{ id, name, clientId, clientSecret }] or tenantsFile: ./tenants.yaml']);
    expect(issues({ tenants: [tenant], endpoints: { graph: 'http://127.0.0.1:8080' } })).toEqual([
      'endpoints.graph: must be an https:// URL (tokens are never sent in clear text)',
    ]);
    expect(issues({ tenants: [tenant], resources: ['users', 'mailboxes'] })[0]).toMatch(/^resources\.1: /);
  });

  it('accepts a SHA-1 thumbprint as the portal shows it, with colons or spaces', () => {
    const c = graphConfigSchema.parse({ tenants: [{ ...tenant, clientSecret: undefined, certificate: { privateKey: 'pem', thumbprint: 'ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01' } }] });
    expect(c.tenants[0]!.certificate!.thumbprint).toBe('abcdef0123456789abcdef0123456789abcdef01');
  });
});
