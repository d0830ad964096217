import type { JsonValue } from '../json.js';
import { redact } from '../secrets.js';
import type { ConnectorLookup } from './source.js';
import type { ElderSyncConfig } from './schema.js';
import { elderSyncConfigSchema } from './schema.js';
import { replaceAtPaths, secretPaths } from './secret-paths.js';

/** What a secret looks like in plans, `config validate` and `state show` (DESIGN §5.3). */
const SENSITIVE = '(sensitive)';

/**
 * A JSON copy of the configuration safe to print: values at secret-marked paths (core's and, when
 * `connectors` is given, each connector's) and every string holding a registered secret (values
 * read from `${ENV}` or `${file:}`) become `(sensitive)`.
 */
export function describeConfigForDisplay(config: ElderSyncConfig, connectors?: ConnectorLookup): JsonValue {
  let copy = JSON.parse(JSON.stringify(config)) as unknown;
  copy = replaceAtPaths(copy, secretPaths(elderSyncConfigSchema), SENSITIVE);
  if (connectors !== undefined) {
    config.sources.forEach((source, index) => {
      const connector = connectors.get(source.connector);
      if (connector === undefined) return;
      const paths = secretPaths(connector.configSchema).map((p) => ['sources', index, 'config', ...p]);
      copy = replaceAtPaths(copy, paths, SENSITIVE);
    });
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
