import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { registerSecret } from '../secrets.js';
import { readConfigDocument } from './document.js';
import { configIssuesFromZod } from './issues.js';
import { DEFAULT_STATE_PATH, elderSyncConfigSchema, type ElderSyncConfig } from './schema.js';
import { secretPaths, secretValues } from './secret-paths.js';
import { substitute, type Environment } from './substitute.js';

/** Looked for, in this order, in the working directory when no path is given. */
export const DEFAULT_CONFIG_FILES = ['elder-sync.yaml', 'elder-sync.yml', 'elder-sync.json'] as const;

/** Schema problems put into words; beyond them only a count is kept (a file may hold 100 000 broken entries). */
const ISSUES_FORMATTED = 200;

export interface LoadConfigOptions {
  /** `--config`; a path given here (or in `$ELDER_SYNC_CONFIG`) must exist. `null` = not given. */
  path?: string | null | undefined;
  env?: Environment;
  cwd?: string;
}

export interface LoadedConfig {
  /** Absolute path of the file that was read. */
  path: string;
  /** Validated, with defaults applied; `state.path` is absolute (or a URL). */
  config: ElderSyncConfig;
}

/**
 * Finds, reads, substitutes and validates the configuration file.
 * Returns `null` when no path was given and no default file exists (the CLI then builds sources
 * from the Python worker's environment variables). Throws `ConfigError` listing every problem.
 */
export function loadConfig(options: LoadConfigOptions = {}): ElderSyncConfig | null {
  return loadConfigFile(options)?.config ?? null;
}

/** `loadConfig`, also saying which file was read. */
export function loadConfigFile(options: LoadConfigOptions = {}): LoadedConfig | null {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const file = findConfigFile(options.path ?? undefined, env, cwd);
  if (file === null) return null;
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new ConfigError([{ path: file, message: `cannot read the configuration file: ${errorReason(error)}` }], {
      cause: error,
    });
  }
  return { path: file, config: parseConfigText(bytes, { file, env, cwd }) };
}

export interface ParseConfigOptions {
  /** Where the text came from: names it in errors and anchors relative paths. */
  file: string;
  env?: Environment;
  cwd?: string;
}

/**
 * `loadConfig` without the file system lookup (also for `config validate` of piped text and tests).
 * Bytes are decoded strictly (decode.ts); a `.json` file is read as JSON, anything else as YAML.
 */
export function parseConfigText(text: string | Uint8Array, options: ParseConfigOptions): ElderSyncConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const file = resolve(cwd, options.file);
  const raw = parseDocument(text, file);

  const substituted = substitute(raw, { env, baseDir: dirname(file) });
  // Registered even when validation fails below: the error text must not show them either.
  for (const value of substituted.secrets) registerSecret(value);

  const input = substituted.value as Record<string, unknown>;
  // An empty path is left to the schema ("must not be empty"); resolved, it would name the config's directory.
  const statePathGiven = isObject(input.state) && typeof input.state.path === 'string' && input.state.path !== '';
  if (statePathGiven && isObject(input.state)) {
    input.state = { ...input.state, path: resolvePath(input.state.path as string, dirname(file)) };
  }

  const parsed = elderSyncConfigSchema.safeParse(input);
  let issues: ConfigIssue[] = substituted.issues.slice(0, ISSUES_FORMATTED);
  let unlisted = substituted.issues.length - issues.length;
  if (!parsed.success) {
    // Only the first ones are worded (ConfigError lists 50); the rest are counted.
    const raw = parsed.error.issues;
    const schemaIssues = configIssuesFromZod(raw.slice(0, ISSUES_FORMATTED), {
      input,
      schema: elderSyncConfigSchema,
      secretPaths: secretPaths(elderSyncConfigSchema),
    });
    unlisted += Math.max(0, raw.length - ISSUES_FORMATTED);
    // A failed `${...}` already explains its path; zod's complaint about the unsubstituted text would not help.
    issues = issues.concat(schemaIssues.filter((i) => !substituted.failedPaths.has(i.path)));
  }
  if (issues.length > 0 || !parsed.success) {
    throw new ConfigError(issues.length > 0 ? issues : [{ path: basename(file), message: 'invalid configuration' }], { document: input, unlisted });
  }

  const config = parsed.data;
  secretValues(elderSyncConfigSchema, config).forEach(registerSecret);
  // nats://user:password@host is accepted too: the password is as secret as nats.password.
  for (const url of [config.state.url, config.nats?.servers].flat()) registerSecret(url && /^\w+:\/\/[^:@/]*:([^@/]+)@/.exec(url)?.[1]);
  if (!statePathGiven) {
    const fromEnv = env.ELDER_SYNC_STATE;
    config.state.path = resolvePath(fromEnv !== undefined && fromEnv !== '' ? fromEnv : DEFAULT_STATE_PATH, cwd);
  }
  return config;
}

/** What the `state` commands need from the configuration. */
export interface StateSettings {
  /** Absolute path of the file that was read. */
  path: string;
  /** Absolute path of the state file (`state.path`, else $ELDER_SYNC_STATE, else the default). */
  statePath: string;
  /** The names of the configured sources. */
  sources: string[];
}

/**
 * The state file's path and the source names, read from the config file without resolving or
 * validating anything else: inspecting the state needs none of the sources' secrets, so unset
 * `${VAR}`s elsewhere in the file are no error here. `null` when there is no config file.
 */
export function loadStateSettings(options: LoadConfigOptions = {}): StateSettings | null {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const file = findConfigFile(options.path ?? undefined, env, cwd);
  if (file === null) return null;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError([{ path: file, message: `cannot read the configuration file: ${errorReason(error)}` }], { cause: error });
  }
  const raw = parseDocument(text, file);
  const state = isObject(raw.state) ? raw.state : {};
  const substituted = substitute(state.path ?? null, { env, baseDir: dirname(file), prefix: ['state', 'path'] });
  if (substituted.issues.length > 0) throw new ConfigError(substituted.issues);
  const given = substituted.value;
  if (given !== null && typeof given !== 'string') throw new ConfigError([{ path: 'state.path', message: 'must be a file path' }]);
  const fromEnv = env.ELDER_SYNC_STATE;
  const statePath =
    typeof given === 'string' && given !== ''
      ? resolvePath(given, dirname(file))
      : resolvePath(fromEnv !== undefined && fromEnv !== '' ? fromEnv : DEFAULT_STATE_PATH, cwd);
  const sources = Array.isArray(raw.sources)
    ? raw.sources.flatMap((s) => (isObject(s) && typeof s.name === 'string' ? [s.name] : []))
    : [];
  return { path: file, statePath, sources };
}

/** The config file to read, or `null` when none was asked for and none exists. */
export function findConfigFile(explicit: string | undefined, env: Environment, cwd: string): string | null {
  const fromEnv = env.ELDER_SYNC_CONFIG;
  const asked = explicit ?? (fromEnv !== undefined && fromEnv !== '' ? fromEnv : undefined);
  if (asked !== undefined) {
    const file = resolve(cwd, asked);
    const origin = explicit !== undefined ? '--config' : '$ELDER_SYNC_CONFIG';
    if (!existsSync(file)) {
      throw new ConfigError([
        { path: origin, message: `${file} does not exist (run "elder-sync config init" to write an example)` },
      ]);
    }
    if (statSync(file).isDirectory()) {
      throw new ConfigError([{ path: origin, message: `${file} is a directory; give the configuration file itself` }]);
    }
    return file;
  }
  for (const name of DEFAULT_CONFIG_FILES) {
    const file = resolve(cwd, name);
    if (existsSync(file)) return file;
  }
  return null;
}

function parseDocument(input: string | Uint8Array, file: string): Record<string, unknown> {
  const name = basename(file);
  const document = readConfigDocument(input, name);
  if (!document.ok) throw new ConfigError(document.issues);
  const value = document.value;
  if (value === null || value === undefined) {
    throw new ConfigError([
      { path: name, message: 'the configuration file is empty (run "elder-sync config init" for a commented example)' },
    ]);
  }
  if (!isObject(value)) {
    const what = Array.isArray(value) ? 'a list' : `a single ${typeof value === 'string' ? 'text' : typeof value} value`;
    throw new ConfigError([{ path: name, message: `holds ${what}; it must be a mapping with elder, state and sources at the top (see "elder-sync config init")` }]);
  }
  // Like docker compose: top-level `x-` keys hold YAML anchors for reuse and are not configuration.
  return Object.fromEntries(Object.entries(value).filter(([key]) => !key.startsWith('x-')));
}

function resolvePath(path: string, base: string): string {
  // `nats://...` and similar state back ends (DESIGN §8) are not file paths.
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) return path;
  return isAbsolute(path) ? path : resolve(base, path);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function errorReason(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return error instanceof Error ? error.message : String(error);
}
