import type { JsonValue } from '../json.js';
import { redact, SENSITIVE } from '../secrets.js';
import type { ConnectorLookup } from './source.js';
import type { ElderSyncConfig } from './schema.js';
import { elderSyncConfigSchema } from './schema.js';
import { mapSecrets } from './secret-paths.js';

/** What a secret looks like in plans, `config validate` and `state show` (DESIGN §5.3). */

/**
 * A JSON copy of the configuration safe to print: values at secret-marked paths (core's and, when
 * `connectors` is given, each connector's) and every string holding a registered secret (values
 * read from `${ENV}` or `${file:}`) become `(sensitive)`.
 */
export function describeConfigForDisplay(config: ElderSyncConfig, connectors?: ConnectorLookup): JsonValue {
  const copy = mapSecrets(elderSyncConfigSchema, JSON.parse(JSON.stringify(config)), () => SENSITIVE) as {
    sources: Array<{ connector: string; config?: unknown }>;
  };
  if (connectors !== undefined) {
    for (const source of copy.sources) {
      const connector = connectors.get(source.connector);
      if (connector !== undefined && source.config !== undefined) {
        source.config = mapSecrets(connector.configSchema, source.config, () => SENSITIVE);
      }
    }
  }
  return hideRegisteredSecrets(copy) as JsonValue;
}

function hideRegisteredSecrets(value: unknown): unknown {
  // Whole value, not the redacted text: half a URL with "[REDACTED]" in it reads like a real value.
  if (typeof value === 'string') return redact(value) === value ? value : SENSITIVE;
  if (Array.isArray(value)) return value.map(hideRegisteredSecrets);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, hideRegisteredSecrets(v)]));
  }
  return value;
}
