import YAML from 'yaml';
import { ConfigError, type ConfigIssue } from '../errors.js';
import type { LogLevel } from '../logger.js';
import { parseConfigText } from './load.js';
import type { ElderSyncConfig } from './schema.js';
import type { Environment } from './substitute.js';

/**
 * The Python worker's environment variables (its `.env.example`, elder-api.md §12) as an
 * elder-sync configuration, so an existing deployment migrates without a YAML file (DESIGN §3).
 *
 * The mapping builds a config *document* (what `config init --from-env` writes: secrets stay
 * `${VAR}` references) and validates it through `parseConfigText`, the same path a file takes:
 * one schema, one secret registry, one set of defaults.
 *
 * Connectors the worker had and elder-sync does not (yet) are a warning naming the connector, not a
 * failure: a worker that synced LDAP and AWS keeps its LDAP sync. A later connector adds its entry
 * to `WORKER_CONNECTORS`.
 */

/** The name `worker-env` errors and logs use for where the configuration came from. */
export const WORKER_ENV_ORIGIN = 'worker environment';

/** `LDAP_USER_FILTER` / `LDAP_GROUP_FILTER` when the worker's .env left them at its defaults. */
const WORKER_DEFAULT_USER_FILTER = '(objectClass=person)';
const WORKER_DEFAULT_GROUP_FILTER = '(objectClass=group)';
/** The worker's `ELDER_API_URL` default (its docker-compose service name). */
const WORKER_DEFAULT_ELDER_URL = 'http://api:5000';
/** The worker's health server port default (`HEALTH_CHECK_PORT`). */
const WORKER_DEFAULT_HEALTH_PORT = 8000;

interface WorkerConnector {
  /** The worker's variable prefix: `LDAP` → `LDAP_ENABLED`, `LDAP_SYNC_INTERVAL`. */
  prefix: string;
  /** elder-sync's connector id, also the source name. */
  connector: string;
  /** The source's `config` block, or null while elder-sync has no such connector. */
  build: ((env: Reader) => Record<string, unknown>) | null;
  /** Which variable set each key of the `config` block, to name it in errors. */
  variables?: Record<string, string>;
}

/** Every connector the worker wires (elder-api.md §10.1), in the worker's order. */
export const WORKER_CONNECTORS: readonly WorkerConnector[] = [
  { prefix: 'AWS', connector: 'aws', build: awsConfig, variables: { regions: 'AWS_REGIONS' } },
  {
    prefix: 'GCP',
    connector: 'gcp',
    build: gcpConfig,
    variables: { projects: 'GCP_PROJECT_ID', credentials: 'GCP_CREDENTIALS_PATH' },
  },
  {
    prefix: 'GOOGLE_WORKSPACE',
    connector: 'workspace',
    build: workspaceConfig,
    variables: { credentials: 'GOOGLE_WORKSPACE_CREDENTIALS_PATH', subject: 'GOOGLE_WORKSPACE_ADMIN_EMAIL', customer: 'GOOGLE_WORKSPACE_CUSTOMER_ID' },
  },
  {
    prefix: 'LDAP',
    connector: 'ldap',
    build: ldapConfig,
    variables: {
      url: 'LDAP_SERVER',
      bindDn: 'LDAP_BIND_DN',
      bindPassword: 'LDAP_BIND_PASSWORD',
      baseDn: 'LDAP_BASE_DN',
      tlsVerify: 'LDAP_VERIFY_CERT',
      userFilter: 'LDAP_USER_FILTER',
      groupFilter: 'LDAP_GROUP_FILTER',
    },
  },
  { prefix: 'OKTA', connector: 'okta', build: null },
  { prefix: 'AUTHENTIK', connector: 'authentik', build: null },
  { prefix: 'LXD', connector: 'lxd', build: null },
];

/** Variables whose presence says "this environment is a worker's": any one of them switches the fallback on. */
export function hasWorkerEnv(env: Environment = process.env): boolean {
  const set = (name: string) => (env[name] ?? '') !== '';
  return (
    set('ELDER_API_URL') ||
    set('ELDER_URL') ||
    set('ELDER_API_KEY') ||
    WORKER_CONNECTORS.some((c) => set(`${c.prefix}_ENABLED`))
  );
}

export interface WorkerEnvDocument {
  /** The configuration as a file would hold it; secrets are `${VAR}` references. */
  document: Record<string, unknown>;
  /** Things a person should know: ignored variables, connectors not available, changed defaults. */
  warnings: string[];
  /** `LOG_LEVEL` / `LOG_FORMAT`, for the CLI when its own flags are not given. */
  logging: { level?: Exclude<LogLevel, 'silent'>; format?: 'json' | 'pretty' };
}

export interface WorkerEnvConfig extends WorkerEnvDocument {
  /** Validated exactly as a file would be, defaults applied. */
  config: ElderSyncConfig;
}

export interface WorkerEnvOptions {
  cwd?: string;
  /**
   * Connector ids named on the command line (`elder-sync run aws`): each is synced as if its
   * `<PREFIX>_ENABLED` were true, on its defaults and variables (DESIGN §2: with no config file,
   * `run aws --dry-run` works on the credential chain alone).
   */
  enable?: readonly string[];
}

/** The worker's variables as a validated config. Throws `ConfigError` whose paths name the variables. */
export function configFromWorkerEnv(env: Environment = process.env, options: WorkerEnvOptions = {}): WorkerEnvConfig {
  const built = workerEnvDocument(env, options.enable);
  try {
    const config = parseConfigText(YAML.stringify(built.document), {
      file: WORKER_ENV_ORIGIN,
      env,
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    });
    return { ...built, config };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(workerEnvIssues(error.issues, built.document, env), { cause: error });
  }
}

/**
 * Config paths in issues (`sources[0].config.baseDn`) rewritten to the variable that set them
 * (`LDAP_BASE_DN (sources[0].config.baseDn)`): in worker mode there is no file to look at.
 */
export function workerEnvIssues(
  issues: readonly ConfigIssue[],
  document: Record<string, unknown>,
  env: Environment = process.env,
): ConfigIssue[] {
  const sources = Array.isArray(document.sources) ? (document.sources as Array<{ connector?: unknown }>) : [];
  const top: Record<string, string> = {
    'elder.url': env.ELDER_API_URL ? 'ELDER_API_URL' : 'ELDER_URL',
    'elder.token': 'ELDER_API_KEY',
    'elder.email': 'ELDER_EMAIL',
    'elder.password': 'ELDER_PASSWORD',
    'elder.organization': 'DEFAULT_ORGANIZATION_ID',
    'elder.maxAttempts': 'SYNC_MAX_RETRIES',
    'daemon.listen': 'HEALTH_CHECK_PORT',
  };
  return issues.map((issue) => {
    let variable = Object.entries(top).find(([path]) => issue.path === path || issue.path.startsWith(`${path}.`))?.[1];
    const m = /^sources\[(\d+)\](?:\.(\w+))?(?:\.(\w+))?/.exec(issue.path);
    if (variable === undefined && m) {
      const worker = WORKER_CONNECTORS.find((c) => c.connector === sources[Number(m[1])]?.connector);
      if (worker && m[2] === 'interval') variable = `${worker.prefix}_SYNC_INTERVAL`;
      else if (worker && m[2] === 'config' && m[3] !== undefined) variable = worker.variables?.[m[3]];
    }
    return variable === undefined ? issue : { ...issue, path: `${variable} (${issue.path})` };
  });
}

/** The YAML `config init --from-env` writes: the document with a header saying where it came from. */
export function workerEnvYaml(built: WorkerEnvDocument): string {
  const header = [
    '# elder-sync configuration written by "elder-sync config init --from-env" from the Python worker\'s',
    '# environment variables. Secrets are ${VAR} references: keep them set in the environment.',
    ...built.warnings.map((w) => `# note: ${w}`),
    '',
  ];
  return header.join('\n') + YAML.stringify(built.document, { lineWidth: 0 });
}

/** Builds the document without validating it (validation is `configFromWorkerEnv`'s job). */
export function workerEnvDocument(env: Environment = process.env, enable: readonly string[] = []): WorkerEnvDocument {
  const r = new Reader(env);
  const warnings: string[] = [];

  const elder: Record<string, unknown> = {};
  const urlVar = r.has('ELDER_API_URL') ? 'ELDER_API_URL' : r.has('ELDER_URL') ? 'ELDER_URL' : null;
  if (urlVar === null) warnings.push(`ELDER_API_URL is not set; using the worker's default ${WORKER_DEFAULT_ELDER_URL}`);
  elder.url = urlVar === null ? WORKER_DEFAULT_ELDER_URL : r.text(urlVar);
  if (r.has('ELDER_API_KEY')) {
    elder.token = '${ELDER_API_KEY}';
  } else if (r.has('ELDER_EMAIL') || r.has('ELDER_PASSWORD')) {
    // Not a worker variable: a portal login for Elder installs without API keys (elder-api.md §2.2).
    elder.email = r.text('ELDER_EMAIL');
    elder.password = '${ELDER_PASSWORD}';
  } else {
    r.issue('ELDER_API_KEY', 'not set: give the Elder API token (or ELDER_EMAIL and ELDER_PASSWORD for a portal login)');
  }
  const orgId = r.int('DEFAULT_ORGANIZATION_ID', 1);
  if (orgId !== undefined) elder.organization = { id: orgId };
  const createMissing = r.bool('CREATE_MISSING_ORGANIZATIONS');
  if (createMissing !== undefined) elder.createMissingOrganizations = createMissing;
  const retries = r.int('SYNC_MAX_RETRIES', 0);
  if (retries !== undefined) elder.maxAttempts = Math.min(retries + 1, 20);
  if (r.has('SYNC_BATCH_SIZE')) warnings.push('SYNC_BATCH_SIZE is ignored: elder-sync pages Elder 1000 at a time and writes with backpressure');

  const sources: Array<Record<string, unknown>> = [];
  for (const c of WORKER_CONNECTORS) {
    const enabled = r.bool(`${c.prefix}_ENABLED`);
    if (!enabled && !(enable.includes(c.connector) && c.build !== null)) continue;
    if (c.build === null) {
      warnings.push(
        `${c.prefix}_ENABLED=true, but elder-sync has no "${c.connector}" connector yet; its ${c.prefix}_* settings are ignored and it is not synced`,
      );
      continue;
    }
    const source: Record<string, unknown> = { name: c.connector, connector: c.connector };
    const interval = r.int(`${c.prefix}_SYNC_INTERVAL`, 1);
    if (interval !== undefined) source.interval = interval;
    source.config = c.build(r);
    sources.push(source);
  }
  if (sources.length === 0 && r.issues.length === 0) {
    r.issue(
      '*_ENABLED',
      `no connector enabled that elder-sync has: set LDAP_ENABLED=true or AWS_ENABLED=true, or name the connector (elder-sync run aws) (elder-sync's connectors: ${WORKER_CONNECTORS.filter((c) => c.build).map((c) => c.connector).join(', ')})`,
    );
  }

  const daemon: Record<string, unknown> = {
    // The worker's health server listened on every interface (a container port); keep that so
    // existing probes and scrapers keep working.
    listen: `0.0.0.0:${r.int('HEALTH_CHECK_PORT', 1) ?? r.int('CONNECTOR_HEALTH_PORT', 1) ?? WORKER_DEFAULT_HEALTH_PORT}`,
  };
  const onStartup = r.bool('SYNC_ON_STARTUP');
  if (onStartup !== undefined) daemon.runOnStart = onStartup;
  const metrics = r.bool('METRICS_ENABLED');
  if (metrics !== undefined) daemon.metrics = metrics;

  const logging: WorkerEnvDocument['logging'] = {};
  if (r.has('LOG_LEVEL')) {
    const level = LOG_LEVELS[r.text('LOG_LEVEL').toUpperCase()];
    if (level) logging.level = level;
    else r.issue('LOG_LEVEL', `must be one of ${Object.keys(LOG_LEVELS).join(', ')} (got "${r.text('LOG_LEVEL')}")`);
  }
  if (r.has('LOG_FORMAT')) {
    const format = r.text('LOG_FORMAT').toLowerCase();
    if (format === 'json') logging.format = 'json';
    else if (format === 'text' || format === 'pretty') logging.format = 'pretty';
    else r.issue('LOG_FORMAT', `must be json or text (got "${r.text('LOG_FORMAT')}")`);
  }

  if (r.issues.length > 0) throw new ConfigError(r.issues);
  return { document: { elder, sources, daemon }, warnings: [...warnings, ...r.notes], logging };
}

const LOG_LEVELS: Record<string, Exclude<LogLevel, 'silent'>> = {
  DEBUG: 'debug',
  INFO: 'info',
  WARNING: 'warn',
  WARN: 'warn',
  ERROR: 'error',
  CRITICAL: 'error',
};

/**
 * The worker's AWS settings (`aws_connector.py`) as the aws connector's config block. The keys and
 * `AWS_DEFAULT_REGION` need no mapping: the AWS SDK's credential chain reads `AWS_ACCESS_KEY_ID` /
 * `AWS_SECRET_ACCESS_KEY` itself, and the connector's home region is `AWS_REGION` or `AWS_DEFAULT_REGION`.
 */
function awsConfig(r: Reader): Record<string, unknown> {
  if (!r.has('AWS_REGIONS')) {
    r.notes.push('AWS_REGIONS is not set: the aws source reads every region enabled for the account (the worker read us-east-1 and us-west-2)');
    return {};
  }
  const regions = r
    .text('AWS_REGIONS')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
  return { regions: regions.length > 0 ? regions : ['*'] };
}

/** The worker's LDAP connector settings (`ldap_connector.py`) as the ldap connector's config block. */
function ldapConfig(r: Reader): Record<string, unknown> {
  const server = r.required('LDAP_SERVER', 'the directory host, e.g. ldap.example.com');
  const ssl = r.bool('LDAP_USE_SSL') ?? false;
  const port = r.int('LDAP_PORT', 1, 65535);
  // The worker passes LDAP_SERVER to ldap3.Server, which also takes a URL: keep one if given.
  const url = /^ldaps?:\/\//i.test(server)
    ? server
    : `${ssl ? 'ldaps' : 'ldap'}://${server.includes(':') && !server.startsWith('[') ? `[${server}]` : server}:${port ?? (ssl ? 636 : 389)}`;
  const config: Record<string, unknown> = {
    url,
    bindDn: r.required('LDAP_BIND_DN', 'the DN of a read-only account, e.g. cn=reader,dc=example,dc=com'),
    bindPassword: '${LDAP_BIND_PASSWORD}',
    baseDn: r.required('LDAP_BASE_DN', 'the subtree to sync, e.g. dc=example,dc=com'),
  };
  r.required('LDAP_BIND_PASSWORD', "the bind account's password");
  const verify = r.bool('LDAP_VERIFY_CERT');
  if (verify !== undefined) config.tlsVerify = verify;
  // The worker's default filters are replaced by the connector's: its user default detects Active
  // Directory and leaves out computer accounts (which AD's `person` class includes), and its group
  // default covers groupOfNames/posixGroup too, where `(objectClass=group)` matches only AD.
  if (r.has('LDAP_USER_FILTER') && r.text('LDAP_USER_FILTER') !== WORKER_DEFAULT_USER_FILTER) {
    config.userFilter = r.text('LDAP_USER_FILTER');
  } else if (r.has('LDAP_USER_FILTER')) {
    r.notes.push(`LDAP_USER_FILTER ${WORKER_DEFAULT_USER_FILTER} is the worker's default; the ldap connector's default is used instead (it leaves out Active Directory computer accounts)`);
  }
  if (r.has('LDAP_GROUP_FILTER') && r.text('LDAP_GROUP_FILTER') !== WORKER_DEFAULT_GROUP_FILTER) {
    config.groupFilter = r.text('LDAP_GROUP_FILTER');
  } else if (r.has('LDAP_GROUP_FILTER')) {
    r.notes.push(`LDAP_GROUP_FILTER ${WORKER_DEFAULT_GROUP_FILTER} is the worker's default; the ldap connector's default is used instead (it also finds groupOfNames, groupOfUniqueNames and posixGroup)`);
  }
  return config;
}

/**
 * The worker's GCP settings (`gcp_connector.py`: one project, a service-account key file) as the gcp
 * connector's config block. The key file is read through `${file:...}`, so its contents are a secret;
 * without GCP_CREDENTIALS_PATH the connector uses application-default credentials, as the worker's
 * google-cloud client did.
 */
function gcpConfig(r: Reader): Record<string, unknown> {
  // `elder-sync run gcp` with no config file: the project gcloud and the client libraries use.
  const fallback = ['GOOGLE_CLOUD_PROJECT', 'CLOUDSDK_CORE_PROJECT'].find((name) => r.has(name));
  const project =
    r.has('GCP_PROJECT_ID') || fallback === undefined
      ? r.required('GCP_PROJECT_ID', 'the project id to read, e.g. web-prod (or GOOGLE_CLOUD_PROJECT)')
      : r.text(fallback);
  const config: Record<string, unknown> = { projects: [project] };
  if (r.has('GCP_CREDENTIALS_PATH')) config.credentials = `\${file:${r.text('GCP_CREDENTIALS_PATH')}}`;
  return config;
}

/**
 * The worker's Google Workspace settings (`google_workspace_connector.py`) as the workspace
 * connector's config block: the key file is read through `${file:…}`, so it is a secret and a
 * missing file is reported under GOOGLE_WORKSPACE_CREDENTIALS_PATH.
 */
function workspaceConfig(r: Reader): Record<string, unknown> {
  const path = r.required('GOOGLE_WORKSPACE_CREDENTIALS_PATH', 'the service-account key file, e.g. /app/credentials/workspace-credentials.json');
  if (path.includes('}')) r.issue('GOOGLE_WORKSPACE_CREDENTIALS_PATH', 'must be a file path without "}"');
  const config: Record<string, unknown> = {
    credentials: `\${file:${path}}`,
    subject: r.required('GOOGLE_WORKSPACE_ADMIN_EMAIL', 'the administrator the service account acts as (domain-wide delegation), e.g. admin@example.com'),
  };
  if (r.has('GOOGLE_WORKSPACE_CUSTOMER_ID')) config.customer = r.text('GOOGLE_WORKSPACE_CUSTOMER_ID');
  return config;
}

/** Reads variables the way the worker does (empty = unset), collecting every problem at once. */
class Reader {
  readonly issues: ConfigIssue[] = [];
  readonly notes: string[] = [];
  constructor(private readonly env: Environment) {}

  has(name: string): boolean {
    return (this.env[name] ?? '').trim() !== '';
  }

  text(name: string): string {
    // `${` would be read as a reference when the document is substituted: escape it.
    return (this.env[name] ?? '').trim().replaceAll('${', () => '$${');
  }

  required(name: string, what: string): string {
    if (!this.has(name)) this.issue(name, `not set: give ${what}`);
    return this.text(name);
  }

  bool(name: string): boolean | undefined {
    if (!this.has(name)) return undefined;
    const value = this.text(name).toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(value)) return true;
    if (['false', '0', 'no', 'off'].includes(value)) return false;
    this.issue(name, `must be true or false (got "${this.text(name)}")`);
    return undefined;
  }

  int(name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
    if (!this.has(name)) return undefined;
    const value = Number(this.text(name));
    if (!Number.isInteger(value) || value < min || value > max) {
      this.issue(name, `must be a whole number${max === Number.MAX_SAFE_INTEGER ? ` of at least ${min}` : ` from ${min} to ${max}`} (got "${this.text(name)}")`);
      return undefined;
    }
    return value;
  }

  issue(path: string, message: string): void {
    this.issues.push({ path, message });
  }
}
