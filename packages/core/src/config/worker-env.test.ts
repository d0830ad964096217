import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { WORKER_ENV_EXAMPLE } from '@elder-sync/testkit';
import { ConfigError } from '../errors.js';
import { clearSecrets, redact } from '../secrets.js';
import { parseConfigText } from './load.js';
import { configFromWorkerEnv, hasWorkerEnv, workerEnvDocument, workerEnvYaml } from './worker-env.js';

afterEach(() => clearSecrets());

/** The worker's .env.example with LDAP switched on and its blanks filled, as an operator would have it. */
const ldapEnv = (overrides: Record<string, string> = {}) => ({
  ...WORKER_ENV_EXAMPLE,
  ELDER_API_URL: 'http://elder.internal:5000',
  ELDER_API_KEY: 'worker-api-key-123',
  LDAP_ENABLED: 'true',
  LDAP_SERVER: 'ldap.example.com',
  LDAP_BIND_DN: 'cn=reader,dc=example,dc=com',
  LDAP_BIND_PASSWORD: 'ldap-bind-pw-456',
  LDAP_BASE_DN: 'dc=example,dc=com',
  ...overrides,
});

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((i) => `${i.path}: ${i.message}`);
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('hasWorkerEnv', () => {
  it('is on when the Elder URL, the API key or any *_ENABLED is set, and off for an empty environment', () => {
    expect(hasWorkerEnv({})).toBe(false);
    expect(hasWorkerEnv({ PATH: '/usr/bin', ELDER_API_URL: '' })).toBe(false);
    expect(hasWorkerEnv({ ELDER_API_URL: 'http://x' })).toBe(true);
    expect(hasWorkerEnv({ ELDER_URL: 'http://x' })).toBe(true);
    expect(hasWorkerEnv({ ELDER_API_KEY: 'k' })).toBe(true);
    expect(hasWorkerEnv({ LDAP_ENABLED: 'false' })).toBe(true);
  });
});

describe('configFromWorkerEnv', () => {
  it('turns the .env.example with LDAP enabled into one ldap source, validated by the config schema', () => {
    const { config, warnings, logging } = configFromWorkerEnv(ldapEnv(), { cwd: '/srv' });
    expect(config.elder).toMatchObject({
      url: 'http://elder.internal:5000',
      token: 'worker-api-key-123',
      createMissingOrganizations: true,
      organization: { path: ['elder-sync'] },
      maxAttempts: 4, // SYNC_MAX_RETRIES=3 retries after the first attempt
    });
    expect(config.sources).toHaveLength(1);
    expect(config.sources[0]).toMatchObject({
      name: 'ldap',
      connector: 'ldap',
      interval: 3600,
      config: {
        url: 'ldap://ldap.example.com:389',
        bindDn: 'cn=reader,dc=example,dc=com',
        bindPassword: 'ldap-bind-pw-456',
        baseDn: 'dc=example,dc=com',
        tlsVerify: true,
      },
    });
    // The worker's default filters give way to the connector's (AD-aware users, all group classes).
    expect(config.sources[0]!.config).not.toHaveProperty('userFilter');
    expect(config.sources[0]!.config).not.toHaveProperty('groupFilter');
    expect(warnings.join('\n')).toMatch(/LDAP_GROUP_FILTER \(objectClass=group\) is the worker's default/);
    expect(warnings.join('\n')).toMatch(/SYNC_BATCH_SIZE is ignored/);
    expect(config.daemon).toMatchObject({ listen: '0.0.0.0:8000', runOnStart: true, metrics: true });
    expect(config.state.path).toBe('/srv/.elder-sync/state.db');
    expect(logging).toEqual({ level: 'info', format: 'json' });
  });

  it('registers the API key and bind password as secrets', () => {
    configFromWorkerEnv(ldapEnv());
    expect(redact('worker-api-key-123 ldap-bind-pw-456')).toBe('[REDACTED] [REDACTED]');
  });

  it('maps SSL, port, certificate checking, custom filters, org settings, ELDER_URL and log settings', () => {
    const { config, logging } = configFromWorkerEnv(
      ldapEnv({
        ELDER_API_URL: '',
        ELDER_URL: 'https://elder.example.com/api/v1',
        LDAP_USE_SSL: 'true',
        LDAP_PORT: '',
        LDAP_VERIFY_CERT: 'false',
        LDAP_USER_FILTER: '(objectClass=inetOrgPerson)',
        LDAP_GROUP_FILTER: '(objectClass=groupOfNames)',
        LDAP_SYNC_INTERVAL: '900',
        DEFAULT_ORGANIZATION_ID: '12',
        CREATE_MISSING_ORGANIZATIONS: 'false',
        SYNC_ON_STARTUP: 'false',
        HEALTH_CHECK_PORT: '9100',
        METRICS_ENABLED: 'false',
        LOG_LEVEL: 'WARNING',
        LOG_FORMAT: 'text',
      }),
    );
    expect(config.elder).toMatchObject({ url: 'https://elder.example.com', organization: { id: 12 }, createMissingOrganizations: false });
    expect(config.sources[0]).toMatchObject({
      interval: 900,
      config: {
        url: 'ldaps://ldap.example.com:636',
        tlsVerify: false,
        userFilter: '(objectClass=inetOrgPerson)',
        groupFilter: '(objectClass=groupOfNames)',
      },
    });
    expect(config.daemon).toMatchObject({ listen: '0.0.0.0:9100', runOnStart: false, metrics: false });
    expect(logging).toEqual({ level: 'warn', format: 'pretty' });
  });

  it('keeps an LDAP_SERVER that is already a URL', () => {
    const { config } = configFromWorkerEnv(ldapEnv({ LDAP_SERVER: 'ldaps://dc1.corp.example:3269' }));
    expect(config.sources[0]!.config).toMatchObject({ url: 'ldaps://dc1.corp.example:3269' });
  });

  it('maps GCP_PROJECT_ID and GCP_CREDENTIALS_PATH onto a gcp source; the key file is read as a secret', () => {
    const dir = mkdtempSync(join(tmpdir(), 'worker-gcp-'));
    try {
      writeFileSync(join(dir, 'gcp-credentials.json'), '{"type":"service_account","private_key":"gcp-key-789"}');
      const env = { ...WORKER_ENV_EXAMPLE, ELDER_API_KEY: 'k-123', GCP_ENABLED: 'true', GCP_PROJECT_ID: 'web-prod', GCP_CREDENTIALS_PATH: join(dir, 'gcp-credentials.json'), GCP_SYNC_INTERVAL: '900' };
      const { config } = configFromWorkerEnv(env);
      expect(config.sources).toEqual([
        expect.objectContaining({ name: 'gcp', connector: 'gcp', interval: 900, config: { projects: ['web-prod'], credentials: '{"type":"service_account","private_key":"gcp-key-789"}' } }),
      ]);
      expect(redact('key {"type":"service_account","private_key":"gcp-key-789"}')).not.toContain('gcp-key-789');
      expect(workerEnvYaml(workerEnvDocument(env))).toContain(`credentials: \${file:${join(dir, 'gcp-credentials.json')}}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves GCP credentials to application-default credentials when GCP_CREDENTIALS_PATH is empty, and needs GCP_PROJECT_ID', () => {
    const env = { ...WORKER_ENV_EXAMPLE, ELDER_API_KEY: 'k-123', GCP_ENABLED: 'true', GCP_PROJECT_ID: 'web-prod', GCP_CREDENTIALS_PATH: '' };
    expect(configFromWorkerEnv(env).config.sources[0]!.config).toEqual({ projects: ['web-prod'] });
    expect(issuesOf(() => configFromWorkerEnv({ ...env, GCP_PROJECT_ID: '' }))).toEqual(['GCP_PROJECT_ID: not set: give the project id to read, e.g. web-prod (or GOOGLE_CLOUD_PROJECT)']);
  });

  it('runs gcp named on the command line on application-default credentials and GOOGLE_CLOUD_PROJECT', () => {
    const { config } = configFromWorkerEnv({ ELDER_API_URL: 'http://elder:5000', ELDER_API_KEY: 'k-123', GOOGLE_CLOUD_PROJECT: 'web-prod' }, { enable: ['gcp'] });
    expect(config.sources).toEqual([expect.objectContaining({ name: 'gcp', connector: 'gcp', config: { projects: ['web-prod'] } })]);
  });

  it('warns about, and skips, an enabled worker connector elder-sync does not have, naming it', () => {
    const { config, warnings } = configFromWorkerEnv(ldapEnv({ LXD_ENABLED: 'true', OKTA_ENABLED: 'true' }));
    expect(config.sources.map((s) => s.name)).toEqual(['ldap']);
    expect(warnings).toContain(
      'LXD_ENABLED=true, but elder-sync has no "lxd" connector yet; its LXD_* settings are ignored and it is not synced',
    );
    expect(warnings.some((w) => w.startsWith('OKTA_ENABLED=true') && w.includes('"okta"'))).toBe(true);
  });

  it('refuses an environment that enables only connectors elder-sync lacks', () => {
    const issues = issuesOf(() => configFromWorkerEnv({ ...WORKER_ENV_EXAMPLE, ELDER_API_KEY: 'k-123', OKTA_ENABLED: 'true' }));
    expect(issues).toEqual([expect.stringMatching(/^\*_ENABLED: no connector enabled that elder-sync has: set LDAP_ENABLED=true/)]);
  });

  it('maps AWS_ENABLED and AWS_REGIONS onto an aws source; keys and home region stay with the AWS SDK', () => {
    const { config } = configFromWorkerEnv({ ...WORKER_ENV_EXAMPLE, ELDER_API_KEY: 'k-123', AWS_ENABLED: 'true', AWS_REGIONS: 'eu-west-1, us-east-1', AWS_SYNC_INTERVAL: '900' });
    expect(config.sources).toEqual([expect.objectContaining({ name: 'aws', connector: 'aws', interval: 900, config: { regions: ['eu-west-1', 'us-east-1'] } })]);
    expect(JSON.stringify(config)).not.toMatch(/AWS_SECRET_ACCESS_KEY|AWS_ACCESS_KEY_ID/);
  });

  it('enables a connector named on the command line without its _ENABLED variable, on its defaults', () => {
    const { config, warnings } = configFromWorkerEnv({ ELDER_API_URL: 'http://elder:5000', ELDER_API_KEY: 'k-123' }, { enable: ['aws'] });
    expect(config.sources).toEqual([expect.objectContaining({ name: 'aws', connector: 'aws', config: {} })]);
    expect(warnings).toContain('AWS_REGIONS is not set: the aws source reads every region enabled for the account (the worker read us-east-1 and us-west-2)');
  });

  it('reports every problem at once, each under the variable to fix', () => {
    const issues = issuesOf(() =>
      configFromWorkerEnv(
        ldapEnv({ ELDER_API_KEY: '', LDAP_BASE_DN: '', LDAP_BIND_PASSWORD: '', LDAP_USE_SSL: 'maybe', LDAP_PORT: '70000', LOG_LEVEL: 'LOUD' }),
      ),
    );
    expect(issues).toEqual([
      'ELDER_API_KEY: not set: give the Elder API token (or ELDER_EMAIL and ELDER_PASSWORD for a portal login)',
      'LDAP_USE_SSL: must be true or false (got "maybe")',
      'LDAP_PORT: must be a whole number from 1 to 65535 (got "70000")',
      'LDAP_BASE_DN: not set: give the subtree to sync, e.g. dc=example,dc=com',
      "LDAP_BIND_PASSWORD: not set: give the bind account's password",
      expect.stringMatching(/^LOG_LEVEL: must be one of DEBUG, INFO, WARNING/),
    ]);
  });

  it('names the variable when the schema rejects a value', () => {
    const issues = issuesOf(() => configFromWorkerEnv(ldapEnv({ ELDER_API_URL: 'elder.internal:5000' })));
    expect(issues).toEqual([expect.stringMatching(/^ELDER_API_URL \(elder\.url\): must be an http:\/\/ or https:\/\/ URL/)]);
  });
});

describe('configFromWorkerEnv with Google Workspace', () => {
  const KEY = '{"type":"service_account","client_email":"sync@p.iam.gserviceaccount.com","private_key":"-----BEGIN PRIVATE KEY-----\\nMIIworkspace\\n-----END PRIVATE KEY-----\\n"}';
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const workspaceEnv = (overrides: Record<string, string> = {}) => {
    dir = mkdtempSync(join(tmpdir(), 'worker-env-'));
    writeFileSync(join(dir, 'workspace-credentials.json'), KEY);
    return {
      ...WORKER_ENV_EXAMPLE,
      ELDER_API_KEY: 'worker-api-key-123',
      GOOGLE_WORKSPACE_ENABLED: 'true',
      GOOGLE_WORKSPACE_CREDENTIALS_PATH: join(dir, 'workspace-credentials.json'),
      GOOGLE_WORKSPACE_ADMIN_EMAIL: 'admin@example.com',
      GOOGLE_WORKSPACE_SYNC_INTERVAL: '1800',
      ...overrides,
    };
  };

  it('maps the key file, the admin and the customer onto a workspace source, the key a secret', () => {
    const { config } = configFromWorkerEnv(workspaceEnv());
    expect(config.sources).toEqual([
      expect.objectContaining({
        name: 'workspace',
        connector: 'workspace',
        interval: 1800,
        config: { credentials: KEY, subject: 'admin@example.com', customer: 'my_customer' },
      }),
    ]);
    expect(redact(`key ${KEY}`)).not.toContain('MIIworkspace');
  });

  it('writes the key as a ${file:…} reference for config init --from-env', () => {
    const text = workerEnvYaml(workerEnvDocument(workspaceEnv({ GOOGLE_WORKSPACE_CUSTOMER_ID: 'C03az79cb' })));
    expect(text).not.toContain('MIIworkspace');
    expect(YAML.parse(text).sources[0].config).toEqual({
      credentials: `\${file:${join(dir, 'workspace-credentials.json')}}`,
      subject: 'admin@example.com',
      customer: 'C03az79cb',
    });
  });

  it('names the variable to fix: no admin, or a key file that is not there', () => {
    expect(issuesOf(() => configFromWorkerEnv(workspaceEnv({ GOOGLE_WORKSPACE_ADMIN_EMAIL: '' })))).toEqual([
      expect.stringMatching(/^GOOGLE_WORKSPACE_ADMIN_EMAIL: not set: give the administrator the service account acts as/),
    ]);
    expect(issuesOf(() => configFromWorkerEnv(workspaceEnv({ GOOGLE_WORKSPACE_CREDENTIALS_PATH: '/nonexistent/ws.json' })))).toEqual([
      expect.stringMatching(/^GOOGLE_WORKSPACE_CREDENTIALS_PATH \(sources\[0\]\.config\.credentials\).*\/nonexistent\/ws\.json/),
    ]);
  });
});

describe('workerEnvYaml (config init --from-env)', () => {
  it('writes secrets as ${VAR} references, never their values, and reads back to the same config', () => {
    const env = ldapEnv();
    const text = workerEnvYaml(workerEnvDocument(env));
    expect(text).not.toContain('worker-api-key-123');
    expect(text).not.toContain('ldap-bind-pw-456');
    expect(YAML.parse(text)).toMatchObject({
      elder: { token: '${ELDER_API_KEY}' },
      sources: [{ config: { bindPassword: '${LDAP_BIND_PASSWORD}' } }],
    });
    expect(text).toMatch(/^# note: SYNC_BATCH_SIZE is ignored/m);
    const fromFile = parseConfigText(text, { file: '/etc/elder-sync/config.yaml', env, cwd: '/srv' });
    expect(fromFile).toEqual({ ...configFromWorkerEnv(env, { cwd: '/srv' }).config });
  });

  it('keeps a literal "${" in a value literal', () => {
    const env = ldapEnv({ LDAP_USER_FILTER: '(description=${x})' });
    const { config } = configFromWorkerEnv(env);
    expect(config.sources[0]!.config).toMatchObject({ userFilter: '(description=${x})' });
  });
});
