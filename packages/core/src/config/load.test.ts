import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { clearSecrets, redact, REDACTED } from '../secrets.js';
import { describeConfigForDisplay } from './display.js';
import { exampleConfig } from './example.js';
import { loadConfig, loadConfigFile, parseConfigText } from './load.js';
import { elderAuth } from './schema.js';

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const e = error as ConfigError;
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.exitCode).toBe(64);
    // Every line of the message is one issue, never a zod dump or a stack.
    expect(e.message.split('\n')).toEqual(e.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)));
    return e.issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('expected a ConfigError');
}

const MINIMAL = `
elder:
  url: https://elder.example.com
  token: static-token-123
sources:
  - name: corp-ldap
    connector: ldap
    config: { url: "ldaps://ldap.example.com" }
`;

describe('loadConfig', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'elder-sync-config-'));
    clearSecrets();
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    clearSecrets();
  });

  it('reads YAML with defaults applied', () => {
    writeFileSync(join(dir, 'elder-sync.yaml'), MINIMAL);
    const loaded = loadConfigFile({ cwd: dir, env: {} });
    expect(loaded?.path).toBe(join(dir, 'elder-sync.yaml'));
    expect(loaded?.config).toEqual({
      elder: {
        url: 'https://elder.example.com',
        token: 'static-token-123',
        organization: { path: ['elder-sync'] },
        createMissingOrganizations: true,
        concurrency: 8,
        timeoutMs: 30000,
        maxAttempts: 5,
      },
      state: { path: join(dir, '.elder-sync', 'state.db') },
      sources: [
        {
          name: 'corp-ldap',
          connector: 'ldap',
          deletes: 'delete',
          maxDeletePercent: 20,
          concurrency: 4,
          config: { url: 'ldaps://ldap.example.com' },
        },
      ],
    });
    expect(elderAuth(loaded!.config.elder)).toEqual({ kind: 'token', token: 'static-token-123' });
  });

  it('reads JSON, and .yml, from the default names', () => {
    writeFileSync(
      join(dir, 'elder-sync.json'),
      JSON.stringify({
        elder: { url: 'http://localhost:5000/api/v1/', email: 'a@b.c', password: 'pw-123456', organization: { id: 12 } },
        state: { path: 'data/state.db' },
        sources: [{ name: 'aws.prod', connector: 'aws', interval: 3600, deletes: 'mark', types: { ec2: { subType: 'vm' } } }],
      }),
    );
    const config = loadConfig({ cwd: dir, env: {} })!;
    expect(config.elder.url).toBe('http://localhost:5000');
    expect(config.elder.organization).toEqual({ id: 12 });
    expect(config.state.path).toBe(join(dir, 'data', 'state.db'));
    expect(config.sources[0]).toMatchObject({ interval: 3600, deletes: 'mark', config: {}, types: { ec2: { subType: 'vm' } } });
    expect(elderAuth(config.elder)).toEqual({ kind: 'login', email: 'a@b.c', password: 'pw-123456' });

    writeFileSync(join(dir, 'elder-sync.yml'), MINIMAL);
    expect(loadConfigFile({ cwd: dir, env: {} })?.path).toBe(join(dir, 'elder-sync.yml'));
  });

  it('returns null with no file and no path, but an explicit path must exist', () => {
    expect(loadConfig({ cwd: dir, env: {} })).toBeNull();
    expect(loadConfig({ cwd: dir, env: {}, path: null })).toBeNull();
    expect(issuesOf(() => loadConfig({ cwd: dir, env: {}, path: 'nope.yaml' }))).toEqual([
      `--config: ${join(dir, 'nope.yaml')} does not exist (run "elder-sync config init" to write an example)`,
    ]);
    expect(issuesOf(() => loadConfig({ cwd: dir, env: { ELDER_SYNC_CONFIG: '/nowhere/x.yaml' } }))).toEqual([
      '$ELDER_SYNC_CONFIG: /nowhere/x.yaml does not exist (run "elder-sync config init" to write an example)',
    ]);
    mkdirSync(join(dir, 'conf'));
    writeFileSync(join(dir, 'conf', 'mine.yaml'), MINIMAL);
    expect(loadConfig({ cwd: dir, env: { ELDER_SYNC_CONFIG: 'conf/mine.yaml' } })?.sources).toHaveLength(1);
  });

  it('takes the state path from $ELDER_SYNC_STATE when the file has none', () => {
    writeFileSync(join(dir, 'elder-sync.yaml'), MINIMAL);
    expect(loadConfig({ cwd: dir, env: { ELDER_SYNC_STATE: 'var/s.db' } })?.state.path).toBe(join(dir, 'var', 's.db'));
    writeFileSync(join(dir, 'elder-sync.yaml'), `${MINIMAL}\nstate: { path: nats://nats:4222 }\n`);
    expect(loadConfig({ cwd: dir, env: { ELDER_SYNC_STATE: 'var/s.db' } })?.state.path).toBe('nats://nats:4222');
  });

  it('substitutes ${ENV}, ${ENV:-default}, ${file:} and $${, whole and embedded, and registers them as secrets', () => {
    mkdirSync(join(dir, 'secrets'));
    writeFileSync(join(dir, 'secrets', 'ldap-pw'), 'file-secret-value\n');
    writeFileSync(
      join(dir, 'elder-sync.yaml'),
      `
elder:
  url: "https://\${ELDER_HOST}"
  email: "\${ELDER_EMAIL}"
  password: "\${ELDER_PASSWORD}"
sources:
  - name: corp-ldap
    connector: ldap
    config:
      bindPassword: "\${file:./secrets/ldap-pw}"
      bindDn: "cn=\${LDAP_USER:-reader},dc=example"
      filter: "$\${literal}"
      list: ["\${ELDER_EMAIL}", 3]
`,
    );
    const env = { ELDER_HOST: 'elder.internal', ELDER_EMAIL: 'sync@example.com', ELDER_PASSWORD: 'hunter2-long' };
    const config = loadConfig({ cwd: dir, env })!;
    expect(config.elder.url).toBe('https://elder.internal');
    expect(config.elder.password).toBe('hunter2-long');
    expect(config.sources[0]?.config).toEqual({
      bindPassword: 'file-secret-value',
      bindDn: 'cn=reader,dc=example',
      filter: '${literal}',
      list: ['sync@example.com', 3],
    });
    const text = 'elder.internal sync@example.com hunter2-long file-secret-value reader';
    expect(redact(text)).toBe(`${REDACTED} ${REDACTED} ${REDACTED} ${REDACTED} reader`);

    expect(describeConfigForDisplay(config)).toMatchObject({
      elder: { url: '(sensitive)', email: '(sensitive)', password: '(sensitive)' },
      sources: [{ config: { bindPassword: '(sensitive)', bindDn: 'cn=reader,dc=example', list: ['(sensitive)', 3] } }],
    });
  });

  it('registers secret-marked values written in plain text', () => {
    writeFileSync(join(dir, 'elder-sync.yaml'), MINIMAL);
    const config = loadConfig({ cwd: dir, env: {} })!;
    expect(redact('Bearer static-token-123')).toBe(`Bearer ${REDACTED}`);
    expect(describeConfigForDisplay(config)).toMatchObject({ elder: { token: '(sensitive)', url: 'https://elder.example.com' } });
  });

  it('names every missing variable and unreadable file at once', () => {
    writeFileSync(
      join(dir, 'elder-sync.yaml'),
      `
elder:
  url: https://elder.example.com
  token: "\${ELDER_API_KEY}"
sources:
  - name: a
    connector: ldap
    config: { bindPassword: "\${file:./missing-pw}", x: "\${bad name}", y: "\${OPEN" }
`,
    );
    expect(issuesOf(() => loadConfig({ cwd: dir, env: {} }))).toEqual([
      'elder.token: environment variable ELDER_API_KEY is not set (set it, or write ${ELDER_API_KEY:-default})',
      `sources[0].config.bindPassword: cannot read file ./missing-pw (${join(dir, 'missing-pw')}): no such file`,
      'sources[0].config.x: "${bad name}" is not a valid reference; write ${NAME}, ${NAME:-default} or ${file:./path} ("$${" for a literal "${")',
      'sources[0].config.y: unterminated "${" (close it with "}", or write "$${" for a literal "${")',
    ]);
  });

  it('reports YAML syntax errors with line and column', () => {
    writeFileSync(join(dir, 'elder-sync.yaml'), 'elder:\n  url: https://x\n  url: https://y\nsources: [\n');
    const issues = issuesOf(() => loadConfig({ cwd: dir, env: {} }));
    expect(issues[0]).toBe('elder-sync.yaml:3:3: duplicate key "url" in elder (first at line 2); keep only one');
    expect(issues.length).toBeGreaterThanOrEqual(2);
    expect(issues[1]).toMatch(/^elder-sync\.yaml:\d+:\d+: /);

    writeFileSync(join(dir, 'elder-sync.yaml'), '');
    expect(issuesOf(() => loadConfig({ cwd: dir, env: {} }))[0]).toMatch(/^elder-sync\.yaml: the configuration file is empty/);
    writeFileSync(join(dir, 'elder-sync.yaml'), '- a\n- b\n');
    expect(issuesOf(() => loadConfig({ cwd: dir, env: {} }))).toEqual([
      'elder-sync.yaml: holds a list; it must be a mapping with elder, state and sources at the top (see "elder-sync config init")',
    ]);
    writeFileSync(join(dir, 'elder-sync.yaml'), 'a: *nope\n');
    expect(issuesOf(() => loadConfig({ cwd: dir, env: {} }))[0]).toMatch(/^elder-sync\.yaml: /);
  });

  it('reports every schema problem at once, with its path and fix', () => {
    const issues = issuesOf(() =>
      parseConfigText(
        `
elderr: {}
elder:
  url: ftp://elder.example.com
  token: abcdefgh
  password: secret-pw-1
  concurrency: 0
  organization: { path: [Acme], id: 3 }
  createMissingOrganisations: false
sources:
  - name: ok-source
    connector: ldap
  - name: Bad Name
    connector: ldap
    deletes: purge
    schedule: every hour
  - name: ok-source
    connector: aws
    schedule: "*/5 * * * *"
    interval: 60
    maxDeletePercent: 120
    fullEvery: 1.5
    types: { ec2: { entityType: compute, bogus: 1 } }
  - connector: aws
    organization: {}
`,
        { file: join(dir, 'elder-sync.yaml'), env: {} },
      ),
    );
    expect(issues.sort()).toEqual(
      [
        'elderr: unknown key; did you mean "elder"?',
        'elder.url: must be an http:// or https:// URL, e.g. https://elder.example.com (got "ftp://elder.example.com")',
        'elder.concurrency: must be at least 1 (got 0)',
        'elder.organization: give either path or id, not both',
        'elder.createMissingOrganisations: unknown key; did you mean "createMissingOrganizations"?',
        'elder: give either token, or email and password, not both',
        'sources[1].name: must be lower-case letters, digits, ".", "_" or "-", starting with a letter or digit (got "Bad Name")',
        'sources[1].deletes: must be one of delete, mark, keep (got "purge")',
        'sources[1].schedule: "every hour" is not a cron expression the scheduler accepts (invalid configuration format (\'every hour\'), exactly five or six space separated parts are required.); use 5 fields (minute hour day month weekday) such as "*/15 * * * *", or @hourly/@daily',
        'sources[2].name: duplicate source name "ok-source" (also sources[0]); names must be unique',
        'sources[2]: give either schedule or interval, not both',
        'sources[2].maxDeletePercent: must be at most 100 (got 120)',
        'sources[2].fullEvery: must be a whole number (got 1.5)',
        'sources[2].types.ec2.bogus: unknown key; known keys: entityType, subType',
        'sources[3].name: required',
        'sources[3].organization: give either path (organization names from the top, e.g. [Acme, Infrastructure]) or id (a number)',
      ].sort(),
    );
  });

  it('applies the token-or-login rule', () => {
    const parse = (elder: string) =>
      parseConfigText(`elder: {url: "https://e.example", ${elder}}`, { file: join(dir, 'c.yaml'), env: {} });
    expect(issuesOf(() => parse(''))).toEqual(['elder: give either token, or email and password']);
    expect(issuesOf(() => parse('email: a@b.c'))).toEqual(['elder.password: required with email (or use token instead)']);
    expect(issuesOf(() => parse('password: pw123456'))).toEqual(['elder.email: required with password (or use token instead)']);
    expect(issuesOf(() => parse('token: ""'))).toEqual(['elder.token: must not be empty (got a sensitive value)']);
    expect(parse('email: a@b.c, password: pw123456').elder.email).toBe('a@b.c');
    expect(issuesOf(() => parseConfigText('sources: []', { file: join(dir, 'c.yaml'), env: {} }))).toEqual(['elder: required']);
  });

  it('hides secrets in issue messages', () => {
    const issues = issuesOf(() =>
      parseConfigText('elder: {url: "https://e.example", token: 12345678}', { file: join(dir, 'c.yaml'), env: {} }),
    );
    expect(issues).toEqual(['elder.token: must be a string (got a sensitive value)']);
  });

  it('ignores top-level x- keys (YAML anchors) and accepts $schema', () => {
    const config = parseConfigText(
      `
$schema: ./elder-sync.schema.json
x-common: &common { deletes: keep, fullEvery: 3 }
elder: { url: "https://e.example", token: tok-12345 }
sources:
  - { <<: *common, name: a, connector: ldap }
`,
      { file: join(dir, 'c.yaml'), env: {} },
    );
    expect(config.sources[0]).toMatchObject({ deletes: 'keep', fullEvery: 3 });
  });

  it('ships an example that validates', () => {
    writeFileSync(join(dir, 'elder-sync.yaml'), exampleConfig());
    const config = loadConfig({
      cwd: dir,
      env: { ELDER_EMAIL: 'sync@example.com', ELDER_PASSWORD: 'pw-123456', LDAP_PW: 'ldap-pw-1', CONTOSO_CLIENT_SECRET: 'contoso-1' },
    })!;
    expect(config.sources.map((s) => s.name)).toEqual(['corp-ldap', 'gcp-prod', 'prod-aws', 'customers-m365']);
    expect(config.elder.organization).toEqual({ path: ['Acme', 'Infrastructure'] });
  });

  it('ships a commented workspace example that validates once uncommented and its key file exists', () => {
    const text = exampleConfig(['ldap', 'workspace']).replace(/^ {2}# ( *)(- name: workspace|connector: workspace|config:|credentials:|subject:)/gm, '  $1$2');
    writeFileSync(join(dir, 'elder-sync.yaml'), text);
    writeFileSync(join(dir, 'workspace-sa.json'), '{"type":"service_account","client_email":"s@p.iam.gserviceaccount.com","private_key":"k"}');
    const config = loadConfig({ cwd: dir, env: { ELDER_EMAIL: 'sync@example.com', ELDER_PASSWORD: 'pw-123456', LDAP_PW: 'ldap-pw-1' } })!;
    expect(config.sources.map((s) => [s.name, s.connector])).toEqual([
      ['corp-ldap', 'ldap'],
      ['workspace', 'workspace'],
    ]);
    expect(config.sources[1]!.config).toMatchObject({ subject: 'admin@example.com', credentials: expect.stringContaining('service_account') });
  });

  it('reads UTF-16 with a byte-order mark (what Windows PowerShell writes) and UTF-8 with one', () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${MINIMAL}  - name: café\n    connector: ldap\n`, 'utf16le')]);
    writeFileSync(join(dir, 'elder-sync.yaml'), le);
    expect(issuesOf(() => loadConfig({ cwd: dir, env: {} }))).toEqual([
      'sources[1].name: must be lower-case letters, digits, ".", "_" or "-", starting with a letter or digit (got "café")',
    ]);
    writeFileSync(join(dir, 'elder-sync.yaml'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(MINIMAL)]));
    expect(loadConfig({ cwd: dir, env: {} })?.sources[0]?.name).toBe('corp-ldap');
  });

  it('never lets a Latin-1 byte into a name: it names the line, the column and the fix', () => {
    writeFileSync(join(dir, 'elder-sync.yaml'), Buffer.from(`${MINIMAL}    organization: { path: [Zürich] }\n`, 'latin1'));
    expect(issuesOf(() => loadConfig({ cwd: dir, env: {} }))).toEqual([
      'elder-sync.yaml:9:29: byte 0xFC (at byte 192) is not valid UTF-8 (the file looks like Latin-1 or Windows-1252, where it is "ü"); save it as UTF-8',
    ]);
  });

  it('reads .json as JSON: its own error positions, every duplicate key, prototype keys by name', () => {
    const file = join(dir, 'c.json');
    expect(issuesOf(() => parseConfigText('{\n  "elder": {"url": }\n}', { file, env: {} }))).toEqual([
      'c.json:2:20: expected a value, found "}" (JSON syntax)',
    ]);
    const doc = '{"elder": {"url": "https://e.example", "token": "t-123", "token": "t-456"},\n "__proto__": {"isAdmin": true},\n "elder": {}}';
    expect(issuesOf(() => parseConfigText(doc, { file, env: {} }))).toEqual([
      'c.json:1:58: duplicate key "token" in elder (first at line 1); keep only one',
      'c.json:3:2: duplicate key "elder" in the top-level object (first at line 1); keep only one',
      '__proto__: "__proto__" is not a configuration key (it names a JavaScript prototype and is never read); remove it',
    ]);
    expect(({} as Record<string, unknown>)['isAdmin']).toBeUndefined();
    const ok = parseConfigText('{"elder": {"url": "https://e.example", "token": "t-123"}, "sources": [{"name": "a", "connector": "ldap"}]}', { file, env: {} });
    expect(ok.sources.map((s) => s.name)).toEqual(['a']);
  });

  it('validates schedules with the daemon\'s cron parser', () => {
    const bad = (schedule: string) => issuesOf(() => parseConfigText(`${MINIMAL}    schedule: "${schedule}"\n`, { file: join(dir, 'c.yaml'), env: {} }))[0];
    expect(bad('61 * * * *')).toMatch(/^sources\[0\]\.schedule: "61 \* \* \* \*" is not a cron expression the scheduler accepts \(Invalid value for minute: 61\)/);
    expect(bad('0 0 31 2 *')).toBe('sources[0].schedule: "0 0 31 2 *" never fires (no such date); fix the day and month fields');
    for (const good of ['*/15 * * * *', '@hourly', '0 30 2 * * MON-FRI', '0 0 L * *']) {
      expect(parseConfigText(`${MINIMAL}    schedule: "${good}"\n`, { file: join(dir, 'c.yaml'), env: {} }).sources[0]?.schedule).toBe(good);
    }
  });

  it('caps the error list: 50 lines, then how many more', () => {
    const sources = Array.from({ length: 5000 }, (_, i) => `  - { name: "N${i}", connector: ldap }`).join('\n');
    const issues = issuesOf(() => parseConfigText(`elder: { url: "https://e.example", token: t-123 }\nsources:\n${sources}\n`, { file: join(dir, 'c.yaml'), env: {} }));
    expect(issues).toHaveLength(51);
    expect(issues[50]).toBe(': and 4950 more problems like these; fix the ones above and validate again');
  });
});
