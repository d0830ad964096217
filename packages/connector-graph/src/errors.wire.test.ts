/**
 * What a tenant's operator sees when its app cannot read: revoked consent, an expired or wrong
 * secret, one missing application permission. Each error names the tenant and what to fix; each
 * fails only its own tenant. Also certificate credentials and testConnection.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PermissionDeniedError, SourceAuthError, silentLogger } from '@elder-sync/connector-sdk';
import { ALL_PERMISSIONS, seedTenant, startMicrosoftFake, type MicrosoftFake } from '@elder-sync/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import connector from './index.js';
import { TENANTS, configFor, parse, readTenant, records } from './test-support.js';

const [CONTOSO, FABRIKAM, WOODGROVE] = TENANTS;
const CERT_TENANT = { id: '44444444-4444-4444-8444-444444444444', name: 'Northwind', clientId: 'aaaaaaaa-0000-4000-8000-000000000004' };

describe('tenant failures and credentials', () => {
  let fake: MicrosoftFake;
  const dir = mkdtempSync(join(tmpdir(), 'graph-cert-'));
  let keyPem = '';
  let thumbprint = '';
  beforeAll(async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=elder-sync test app', '-keyout', join(dir, 'app.key'), '-out', join(dir, 'app.crt')], { stdio: 'ignore' });
    keyPem = readFileSync(join(dir, 'app.key'), 'utf8');
    thumbprint = execFileSync('openssl', ['x509', '-in', join(dir, 'app.crt'), '-noout', '-fingerprint', '-sha1'], { encoding: 'utf8' }).split('=')[1]!.trim();
    fake = await startMicrosoftFake({ pageSize: 2 });
    seedTenant(fake.addTenant({ ...CONTOSO, roles: [] }), {}, 'contoso'); // consent revoked: the token carries no app role
    seedTenant(fake.addTenant({ ...FABRIKAM, secretExpired: true }), {}, 'fabrikam');
    seedTenant(fake.addTenant({ ...WOODGROVE, roles: ALL_PERMISSIONS.filter((p) => p !== 'SecurityAlert.Read.All') }), {}, 'woodgrove');
    seedTenant(fake.addTenant({ ...CERT_TENANT, certificatePem: readFileSync(join(dir, 'app.crt'), 'utf8') }), {}, 'northwind');
  });
  afterAll(async () => {
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const config = (tenants: { id: string; name: string; clientId: string; clientSecret?: string }[], extra = {}) => parse(configFor(fake, tenants, extra));

  it('revoked consent: the read fails with the tenant and the missing application permission', async () => {
    const error = await readTenant(config([CONTOSO]), CONTOSO.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermissionDeniedError);
    expect((error as PermissionDeniedError).permission).toBe([...ALL_PERMISSIONS].sort().join(', '));
    expect((error as Error).message).toMatch(/tenant Contoso \(11111111-.*\).*lacks the application permissions .*SecurityAlert\.Read\.All.*User\.Read\.All/);
  });

  it('one missing permission names it (SecurityAlert.Read.All), after the resources it could read', async () => {
    const error = await readTenant(config([WOODGROVE]), WOODGROVE.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermissionDeniedError);
    expect((error as PermissionDeniedError).permission).toBe('SecurityAlert.Read.All');
    expect((error as Error).message).toContain('remove "alerts" from resources');
    // Without alerts the same tenant reads.
    const items = await readTenant(config([WOODGROVE], { resources: ['users', 'machines'] }), WOODGROVE.id);
    expect(records(items, 'machine')).toHaveLength(fake.tenant(WOODGROVE.id).machines.size);
  });

  it('an expired secret is an authentication error naming the tenant and the fix, and never the secret', async () => {
    const error = await readTenant(config([FABRIKAM]), FABRIKAM.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceAuthError);
    expect((error as Error).message).toMatch(/tenant Fabrikam .*AADSTS7000222.*expired.*create a new one/);
    expect((error as Error).message).not.toContain(FABRIKAM.clientSecret);
  });

  it('a failing tenant does not touch another: scopes are read independently', async () => {
    const cfg = config([CONTOSO, FABRIKAM, WOODGROVE, { ...CERT_TENANT, clientSecret: 'unused' }]);
    const scopes = (await connector.scopes(cfg, { log: silentLogger, signal: new AbortController().signal })) as { id: string }[];
    expect(scopes.map((s) => s.id)).toEqual([CONTOSO.id, FABRIKAM.id, WOODGROVE.id, CERT_TENANT.id].sort());
    const outcomes = await Promise.allSettled([readTenant(cfg, CONTOSO.id), readTenant(config([WOODGROVE], { resources: ['users'] }), WOODGROVE.id)]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'fulfilled']);
  });

  it('signs in with a certificate (a client assertion msal-node signs with the private key)', async () => {
    const cfg = parse({ ...configFor(fake, []), tenants: [{ ...CERT_TENANT, certificate: { privateKey: keyPem, thumbprint } }] });
    const items = await readTenant(cfg, CERT_TENANT.id);
    expect(records(items, 'user')).toHaveLength(fake.tenant(CERT_TENANT.id).users.size);
  });

  it('testConnection gets a token per audience, reads once per resource and names each missing permission', async () => {
    const check = async (t: { id: string; name: string; clientId: string; clientSecret?: string }) => {
      const cfg = config([t]);
      const [scope] = (await connector.scopes(cfg, { log: silentLogger, signal: new AbortController().signal })) as { id: string; label: string }[];
      return connector.testConnection({ config: cfg, scope: scope!, log: silentLogger, signal: new AbortController().signal });
    };
    const woodgrove = await check(WOODGROVE);
    expect(woodgrove.filter((c) => !c.ok).map((c) => [c.name, c.missing])).toEqual([['read alerts', ['SecurityAlert.Read.All']]]);
    expect(woodgrove.filter((c) => c.ok).map((c) => c.name)).toEqual(
      expect.arrayContaining(['token graph', 'token defender', 'read users', 'read machines', 'read vulnerabilities', 'read secureScore']),
    );
    const contoso = await check(CONTOSO);
    expect(contoso.filter((c) => !c.ok).flatMap((c) => c.missing ?? []).sort()).toEqual([...ALL_PERMISSIONS].sort());
    const fabrikam = await check(FABRIKAM);
    expect(fabrikam.find((c) => c.name === 'token graph')).toMatchObject({ ok: false, detail: expect.stringMatching(/AADSTS7000222/) });
    expect(fabrikam.find((c) => c.name === 'read users')).toMatchObject({ ok: false, detail: 'not checked: no graph token' });
  });

  it('reads tenants from tenantsFile, with ${file:} secrets relative to it', () => {
    writeFileSync(join(dir, 'woodgrove.secret'), `${WOODGROVE.clientSecret}\n`);
    writeFileSync(join(dir, 'tenants.yaml'), `tenants:\n  - id: ${WOODGROVE.id}\n    name: Woodgrove\n    clientId: ${WOODGROVE.clientId}\n    clientSecret: "\${file:./woodgrove.secret}"\n`);
    const cfg = parse({ tenantsFile: join(dir, 'tenants.yaml'), endpoints: fake.endpoints, caFile: fake.caFile });
    expect(cfg.tenants).toEqual([{ id: WOODGROVE.id, name: 'Woodgrove', clientId: WOODGROVE.clientId, clientSecret: WOODGROVE.clientSecret }]);
    writeFileSync(join(dir, 'bad.yaml'), `tenants:\n  - id: not a tenant\n    name: X\n    clientId: nope\n`);
    const bad = connector.configSchema.safeParse({ tenantsFile: join(dir, 'bad.yaml') });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      expect.stringMatching(/^tenantsFile: .*bad\.yaml tenants\[0\]\.id: must be the tenant id/),
      expect.stringMatching(/^tenantsFile: .*bad\.yaml tenants\[0\]\.clientId: must be the app registration/),
      expect.stringMatching(/^tenantsFile: .*bad\.yaml tenants\[0\]: give either clientSecret or certificate/),
    ]);
  });
});
