/**
 * Shared by this package's tests (excluded from the build's public surface by name only; it imports
 * the testkit, a devDependency): a fake with tenants, the config that points the connector at it,
 * and a read of one tenant collected into a list.
 */
import { silentLogger, type JsonValue, type ReadItem, type SourceRecord } from '@elder-sync/connector-sdk';
import { seedTenant, startMicrosoftFake, type FakeTenantOptions, type MicrosoftFake, type SeedSizes } from '@elder-sync/testkit';
import connector from './index.js';
import { graphConfigSchema, type GraphConfig } from './config.js';

export const TENANTS = [
  { id: '11111111-1111-4111-8111-111111111111', domain: 'contoso.onmicrosoft.com', name: 'Contoso', clientId: 'aaaaaaaa-0000-4000-8000-000000000001', clientSecret: 'contoso-secret-value' },
  { id: '22222222-2222-4222-8222-222222222222', domain: 'fabrikam.onmicrosoft.com', name: 'Fabrikam', clientId: 'aaaaaaaa-0000-4000-8000-000000000002', clientSecret: 'fabrikam-secret-value' },
  { id: '33333333-3333-4333-8333-333333333333', domain: 'woodgrove.onmicrosoft.com', name: 'Woodgrove', clientId: 'aaaaaaaa-0000-4000-8000-000000000003', clientSecret: 'woodgrove-secret-value' },
] as const;

export async function startFake(
  tenants: readonly (FakeTenantOptions & { name: string })[] = TENANTS,
  sizes: SeedSizes = {},
  options: { pageSize?: number } = {},
): Promise<MicrosoftFake> {
  const fake = await startMicrosoftFake({ pageSize: options.pageSize ?? 2 });
  for (const t of tenants) seedTenant(fake.addTenant(t), sizes, t.name.toLowerCase());
  return fake;
}

export function configFor(fake: MicrosoftFake, tenants: readonly { id: string; name: string; clientId: string; clientSecret?: string }[] = TENANTS, extra: Record<string, unknown> = {}) {
  return {
    tenants: tenants.map((t) => ({ id: t.id, name: t.name, clientId: t.clientId, clientSecret: t.clientSecret })),
    endpoints: fake.endpoints,
    caFile: fake.caFile,
    ...extra,
  };
}

export function parse(raw: unknown): GraphConfig {
  return graphConfigSchema.parse(raw);
}

export async function readTenant(config: GraphConfig, tenantId: string, mode: 'full' | 'incremental' = 'full', checkpoint: JsonValue | null = null): Promise<ReadItem[]> {
  const scope = connector.scopes(config, { log: silentLogger, signal: new AbortController().signal }) as { id: string; label: string }[];
  const s = scope.find((x) => x.id === tenantId.toLowerCase());
  if (!s) throw new Error(`no scope for ${tenantId}`);
  const items: ReadItem[] = [];
  for await (const item of connector.read({ config, scope: s, log: silentLogger, signal: new AbortController().signal, mode, checkpoint })) items.push(item);
  return items;
}

export const records = (items: ReadItem[], kind?: string): SourceRecord[] =>
  items.flatMap((i) => (i.type === 'record' && (kind === undefined || i.record.kind === kind) ? [i.record] : []));

export const lastCursor = (items: ReadItem[]): JsonValue | null => {
  const c = items.filter((i) => i.type === 'checkpoint').pop();
  return c && c.type === 'checkpoint' ? c.cursor : null;
};
