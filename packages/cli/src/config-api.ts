import type { ConfigIssue, ConnectorDefinition, ConnectorLoader, ElderSyncConfig, SourceConfig, WorkerEnvConfig } from '@elder-sync/core';
import type { CoreModule } from './base-command.js';
import { UsageError } from './exit-codes.js';

export interface LoadedConfig {
  /** The file read, or "worker environment". */
  path: string;
  config: ElderSyncConfig;
  /** Set when there was no file and the Python worker's variables made the config (DESIGN §3). */
  workerEnv?: WorkerEnvConfig;
}

/**
 * Finds, reads and validates the config file (`--config`, else `$ELDER_SYNC_CONFIG`, else
 * ./elder-sync.yaml|yml|json); with none, the Python worker's environment variables when any is
 * set. Throws ConfigError (exit 64) listing every issue.
 */
export function loadConfig(
  core: CoreModule,
  explicit: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  /** SOURCE arguments: without a file, a connector id among them is synced on its defaults (`run aws`). */
  names: readonly string[] = [],
): LoadedConfig {
  const loaded = core.loadConfigFile({ path: explicit ?? null });
  if (loaded !== null) return loaded;
  if (core.hasWorkerEnv(env)) {
    const workerEnv = core.configFromWorkerEnv(env, { enable: names });
    return { path: core.WORKER_ENV_ORIGIN, config: workerEnv.config, workerEnv };
  }
  throw new core.ConfigError([
    {
      path: '--config',
      message: `no configuration file: none of ${core.DEFAULT_CONFIG_FILES.join(', ')} in ${process.cwd()}, and no Python worker variables (ELDER_API_URL, ELDER_API_KEY, LDAP_ENABLED, AWS_ENABLED, ...) set (write one with "elder-sync config init", or pass --config FILE)`,
    },
  ]);
}

/**
 * Checks each source's `config` block against its connector's schema, importing only the
 * connectors these sources use. Every problem of every source is collected into one ConfigError,
 * so a user fixes them all in one edit.
 */
export async function validateSources(
  core: CoreModule,
  config: ElderSyncConfig,
  sources: readonly SourceConfig[],
  loader: ConnectorLoader,
  /** Worker mode: name the variable behind each path (`LDAP_BASE_DN (sources[0].config.baseDn)`). */
  workerEnv?: WorkerEnvConfig,
): Promise<void> {
  const issues: ConfigIssue[] = [];
  for (const source of sources) {
    const index = config.sources.indexOf(source);
    let connector: ConnectorDefinition<unknown>;
    try {
      connector = await loader(source.connector);
    } catch (error) {
      // Unknown, refused or broken connector: the fix is on this line of the config, or an install.
      issues.push({ path: `sources[${index}].connector`, message: core.errorMessage(error) });
      continue;
    }
    const result = core.checkSourceConfig(index, source.config, connector, source.types);
    if (!result.ok) issues.push(...result.issues);
  }
  if (issues.length > 0) {
    throw new core.ConfigError(workerEnv ? core.workerEnvIssues(issues, workerEnv.document) : issues);
  }
}

/**
 * `--only KIND`: every kind must be one that a selected source's connector emits. A typo
 * (`users` for `user`) would otherwise read nothing and plan nothing, a healthy-looking empty sync.
 */
export async function checkOnlyKinds(sources: readonly SourceConfig[], loader: ConnectorLoader, only: readonly string[] | undefined): Promise<void> {
  if (!only?.length) return;
  const kinds = new Set<string>();
  for (const source of sources) {
    for (const kind of Object.keys((await loader(source.connector)).kinds)) kinds.add(kind);
  }
  const unknown = [...new Set(only)].filter((k) => !kinds.has(k));
  if (unknown.length === 0) return;
  const valid = [...kinds].sort().join(', ') || '(none)';
  throw new UsageError(
    `--only: ${unknown.map((k) => `"${k}"`).join(', ')} ${unknown.length === 1 ? 'is not a kind' : 'are not kinds'} of the selected sources; valid kinds: ${valid}`,
  );
}

/**
 * `loadConfig`, and when the top level of the file is wrong, the `config` block of each source is
 * checked against its connector all the same: every mistake of every level in one ConfigError
 * (DESIGN §3), not the connector's only after the top-level ones are fixed.
 */
export async function loadConfigReportingAll(
  core: CoreModule,
  explicit: string | undefined,
  loader: ConnectorLoader,
  names: readonly string[] = [],
): Promise<LoadedConfig> {
  try {
    return loadConfig(core, explicit, process.env, names);
  } catch (error) {
    const document = (error as { document?: unknown }).document;
    if (!(error instanceof core.ConfigError) || !isObject(document) || !Array.isArray(document['sources'])) throw error;
    // Already past the listing cap ("and N more"): more detail would not be printed anyway.
    if (error.issues.length > core.CONFIG_ISSUES_LISTED) throw error;
    const issues = [...error.issues];
    const seen = new Set(issues.map((i) => i.path));
    for (const [index, source] of (document['sources'] as unknown[]).entries()) {
      if (!isObject(source) || typeof source['connector'] !== 'string') continue;
      let connector: ConnectorDefinition<unknown>;
      try {
        connector = await loader(source['connector']);
      } catch (loadError) {
        const path = `sources[${index}].connector`;
        if (!seen.has(path)) issues.push({ path, message: core.errorMessage(loadError) });
        continue;
      }
      const types = isObject(source['types']) ? (source['types'] as Record<string, never>) : undefined;
      const result = core.checkSourceConfig(index, source['config'], connector, types);
      if (!result.ok) issues.push(...result.issues.filter((i) => !seen.has(i.path)));
    }
    throw new core.ConfigError(issues, { cause: error });
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
