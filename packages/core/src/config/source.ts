import type { ConnectorDefinition } from '../connector.js';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { registerPublicName, registerSecret } from '../secrets.js';
import { closest, configIssuesFromZod, formatPath } from './issues.js';
import type { ElderSyncConfig, KindOverride, SourceConfig } from './schema.js';
import { secretPaths, secretValues } from './secret-paths.js';

export type SourceConfigResult<C> = { ok: true; config: C } | { ok: false; issues: ConfigIssue[] };

interface SafeParseLike {
  safeParse(input: unknown): { success: true; data: unknown } | { success: false; error: { issues: readonly unknown[] } };
}

/**
 * Checks one source's `config` block against its connector's own schema (and, given `types`, the
 * source's type overrides against the connector's kinds) and returns the parsed config.
 * Throws `ConfigError` with every issue, located at `sources[i].config.<path>` / `sources[i].types.<kind>`.
 * Registers every value at a path the connector marks `secret()`.
 *
 * Synchronous: a connector's config schema must not need I/O (`config validate` is offline).
 */
export function validateSourceConfig<C>(
  sourceIndex: number,
  rawConfig: unknown,
  connector: ConnectorDefinition<C>,
  types?: Record<string, KindOverride>,
): C {
  const result = checkSourceConfig(sourceIndex, rawConfig, connector, types);
  if (!result.ok) throw new ConfigError(result.issues);
  return result.config;
}

/** `validateSourceConfig` returning the issues instead of throwing, to collect them over many sources. */
export function checkSourceConfig<C>(
  sourceIndex: number,
  rawConfig: unknown,
  connector: ConnectorDefinition<C>,
  types?: Record<string, KindOverride>,
): SourceConfigResult<C> {
  const prefix = ['sources', sourceIndex, 'config'] as const;
  const input = rawConfig ?? {};
  const secrets = secretPaths(connector.configSchema);
  // Register before parsing: an issue message may quote the input.
  secretValues(connector.configSchema, input).forEach(registerSecret);

  const issues: ConfigIssue[] = [];
  let parsed: ReturnType<SafeParseLike['safeParse']>;
  try {
    parsed = (connector.configSchema as unknown as SafeParseLike).safeParse(input);
  } catch (error) {
    // e.g. an async refinement in a plugin's schema.
    return {
      ok: false,
      issues: [
        {
          path: formatPath(prefix),
          message: `the ${connector.id} connector's config schema failed: ${error instanceof Error ? error.message : String(error)}`,
        },
      ],
    };
  }
  if (!parsed.success) {
    issues.push(
      ...configIssuesFromZod(parsed.error.issues, { prefix, input, schema: connector.configSchema, secretPaths: secrets }),
    );
  }
  issues.push(...typeOverrideIssues(sourceIndex, types, connector));
  if (issues.length > 0 || !parsed.success) return { ok: false, issues };

  const secretsOfSource = secretValues(connector.configSchema, parsed.data);
  secretsOfSource.forEach(registerSecret);
  registerPublicNames(parsed.data, new Set(secretsOfSource.filter((v): v is string => typeof v === 'string')));
  return { ok: true, config: parsed.data as C };
}

/**
 * The source's non-secret DN-shaped values (bind DN, base DN) are public names: printed whole even
 * when a short password happens to be one of their parts (see secrets.ts).
 */
function registerPublicNames(value: unknown, secrets: ReadonlySet<string>): void {
  if (typeof value === 'string') {
    if (!secrets.has(value)) registerPublicName(value);
  } else if (Array.isArray(value)) {
    for (const item of value) registerPublicNames(item, secrets);
  } else if (value !== null && typeof value === 'object') {
    for (const item of Object.values(value)) registerPublicNames(item, secrets);
  }
}

function typeOverrideIssues(
  sourceIndex: number,
  types: Record<string, KindOverride> | undefined,
  connector: Pick<ConnectorDefinition, 'id' | 'kinds'>,
): ConfigIssue[] {
  if (types === undefined) return [];
  const kinds = Object.keys(connector.kinds).sort();
  const issues: ConfigIssue[] = [];
  for (const kind of Object.keys(types).sort()) {
    const path = formatPath(['sources', sourceIndex, 'types', kind]);
    const spec = connector.kinds[kind];
    if (spec === undefined) {
      const suggestion = closest(kind, kinds);
      issues.push({
        path,
        message: `the ${connector.id} connector has no kind "${kind}"${suggestion ? `; did you mean "${suggestion}"?` : ''} (kinds: ${kinds.join(', ')})`,
      });
    } else if (spec.target !== 'entity') {
      issues.push({ path, message: `"${kind}" becomes an Elder organization, which has no entityType or subType` });
    }
  }
  return issues;
}

/** Connectors by id, as the CLI discovered them. */
export type ConnectorLookup = ReadonlyMap<string, ConnectorDefinition<unknown>>;

export interface ValidatedSource {
  index: number;
  source: SourceConfig;
  connector: ConnectorDefinition<unknown>;
  /** The source's `config`, parsed by the connector's schema. */
  config: unknown;
}

/**
 * Every source's connector and connector config, all checked before anything runs.
 * Throws one `ConfigError` with every issue (unknown connectors included).
 */
export function validateSources(config: ElderSyncConfig, connectors: ConnectorLookup): ValidatedSource[] {
  const issues: ConfigIssue[] = [];
  const out: ValidatedSource[] = [];
  const known = [...connectors.keys()].sort();
  config.sources.forEach((source, index) => {
    const connector = connectors.get(source.connector);
    if (connector === undefined) {
      const suggestion = closest(source.connector, known);
      issues.push({
        path: formatPath(['sources', index, 'connector']),
        message:
          `no connector "${source.connector}" is installed` +
          (suggestion ? `; did you mean "${suggestion}"?` : '') +
          (known.length > 0 ? ` (installed: ${known.join(', ')}; more with "elder-sync plugins install <name>")` : ''),
      });
      return;
    }
    const result = checkSourceConfig(index, source.config, connector, source.types);
    if (result.ok) out.push({ index, source, connector, config: result.config });
    else issues.push(...result.issues);
  });
  if (issues.length > 0) throw new ConfigError(issues);
  return out;
}

/**
 * Commands that read sources (run, diff, apply, test-connectivity, daemon) refuse a configuration
 * without any: `sources: []` would otherwise do nothing and exit 0, which in cron looks healthy.
 */
export function requireSources(config: Pick<ElderSyncConfig, 'sources'>): void {
  if (config.sources.length > 0) return;
  throw new ConfigError([
    {
      path: 'sources',
      message:
        'no sources are configured, so there is nothing to sync; add one under sources: (e.g. - { name: corp-ldap, connector: ldap, config: {...} }; "elder-sync config init" writes an example)',
    },
  ]);
}
