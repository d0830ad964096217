import type { Scope } from '@elder-sync/connector-sdk';
import { SourceError } from '@elder-sync/connector-sdk';
import type { GraphConfig, TenantConfig } from './config.js';

/** One scope per tenant: its id is the tenant id or domain as configured (lower case), its label the name. */
export function tenantScopes(config: GraphConfig): Scope[] {
  return config.tenants
    .map((t) => ({ id: t.id.toLowerCase(), label: t.name, params: { tenant: t.id, name: t.name, clientId: t.clientId } }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function tenantOf(config: GraphConfig, scope: Scope): TenantConfig {
  const t = config.tenants.find((x) => x.id.toLowerCase() === scope.id);
  if (!t) throw new SourceError(`no tenant "${scope.id}" in this source's tenants (was it removed from the config?)`, { code: 'GRAPH_UNKNOWN_TENANT' });
  return t;
}
