// The connector contract lives in @elder-sync/connector-sdk; the core re-exports it for plugins built against the core.
export {
  CONNECTOR_API_VERSION,
  defineConnector,
  discoverScopes,
  secret,
  validateConnector,
  type ConnectionCheck,
  type ConnectorContext,
  type ConnectorDefinition,
  type DiscoveryContext,
  type KindSpec,
  type ReadContext,
  type Scope,
  type ScopeDiscovery,
  type ScopeDiscoveryFailure,
} from '@elder-sync/connector-sdk';
