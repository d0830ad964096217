import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineConnector, secret, type ConnectorDefinition } from '../connector.js';
import { ConfigError } from '../errors.js';
import { clearSecrets, redact, REDACTED } from '../secrets.js';
import { describeConfigForDisplay } from './display.js';
import { parseConfigText } from './load.js';
import { formatSecretPath, mapSecrets, secretPaths, secretValues } from './secret-paths.js';
import { checkSourceConfig, validateSourceConfig, validateSources } from './source.js';

const ldapSchema = z.strictObject({
  url: z.string().regex(/^ldaps?:\/\//, 'must start with ldap:// or ldaps://'),
  bindDn: z.string().optional(),
  bindPassword: secret(z.string()).optional(),
  pageSize: z.number().int().min(1).max(1000).default(500),
  tls: z.strictObject({ ca: z.string().optional(), clientKey: secret(z.string().min(1)).optional() }).default({}),
  accounts: z
    .array(z.strictObject({ roleArn: z.string(), externalId: secret(z.string()).nullable().optional() }))
    .default([]),
  headers: z.record(z.string(), secret(z.string())).optional(),
  auth: z
    .union([
      z.strictObject({ kind: z.literal('basic'), password: secret(z.string()) }),
      z.strictObject({ kind: z.literal('anonymous') }),
    ])
    .optional(),
  sharedSecret: secret(z.strictObject({ a: z.string(), b: z.string() })).optional(),
});

const ldap = defineConnector({
  apiVersion: 1,
  id: 'ldap',
  configSchema: ldapSchema,
  kinds: {
    user: { target: 'entity', entityType: 'identity', subType: 'user' },
    group: { target: 'entity', entityType: 'identity', subType: 'group' },
    ou: { target: 'organization' },
  },
  scopes: () => [{ id: 'dir', label: 'dir' }],
  testConnection: async () => [],
  async *read() {},
});

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('expected a ConfigError');
}

beforeEach(() => clearSecrets());
afterEach(() => clearSecrets());

describe('secretPaths', () => {
  it('finds secret fields through optional, default, nullable, arrays, records, unions and objects', () => {
    expect(secretPaths(ldapSchema).map(formatSecretPath)).toEqual([
      'accounts[*].externalId',
      'auth.password',
      'bindPassword',
      'headers[*]',
      'sharedSecret',
      'tls.clientKey',
    ]);
  });

  it('works structurally on a schema from another zod copy and ignores what it cannot read', () => {
    // What a plugin's own zod 4 copy looks like from here: `_zod.def` and a `meta()` of its own registry.
    const foreignString = (isSecret: boolean) => ({
      _zod: { def: { type: 'string' } },
      meta: () => (isSecret ? { secret: true } : undefined),
    });
    const foreign = {
      _zod: {
        def: {
          type: 'object',
          shape: {
            token: { _zod: { def: { type: 'optional', innerType: foreignString(true) } }, meta: () => undefined },
            name: foreignString(false),
            list: { _zod: { def: { type: 'array', element: foreignString(true) } }, meta: () => undefined },
          },
        },
      },
      meta: () => undefined,
    };
    expect(secretPaths(foreign).map(formatSecretPath)).toEqual(['list[*]', 'token']);
    expect(secretPaths({ _def: { typeName: 'ZodObject' } })).toEqual([]);
    expect(secretPaths(null)).toEqual([]);
  });

  it('does not loop on recursive schemas', () => {
    interface Node {
      name: string;
      key?: string;
      children: Node[];
    }
    const node: z.ZodType<Node> = z.lazy(() =>
      z.object({ name: z.string(), key: secret(z.string()).optional(), children: z.array(node) }),
    );
    expect(secretPaths(node).map(formatSecretPath)).toEqual(['key']);
    const tree = { name: 'r', key: 'root-key', children: [{ name: 'c', key: 'child-key', children: [{ name: 'g', key: 'grandchild-key', children: [] }] }] };
    expect(secretValues(node, tree)).toEqual(['root-key', 'child-key', 'grandchild-key']);
    expect(mapSecrets(node, tree, () => 'X')).toEqual({
      name: 'r',
      key: 'X',
      children: [{ name: 'c', key: 'X', children: [{ name: 'g', key: 'X', children: [] }] }],
    });
  });

  it('core marks elder.token, elder.password, nats.password and nats.token', async () => {
    const { elderSyncConfigSchema } = await import('./schema.js');
    expect(secretPaths(elderSyncConfigSchema).map(formatSecretPath)).toEqual(['elder.password', 'elder.token', 'nats.password', 'nats.token']);
  });
});

describe('validateSourceConfig', () => {
  it('returns the parsed config and registers its secrets', () => {
    const config = validateSourceConfig(
      2,
      {
        url: 'ldaps://ldap.example.com',
        bindPassword: 'plain-ldap-pw',
        accounts: [{ roleArn: 'arn:x', externalId: 'ext-id-9876' }],
        headers: { 'x-api-key': 'header-secret' },
        auth: { kind: 'basic', password: 'union-secret' },
        sharedSecret: { a: 'part-aaaa', b: 'part-bbbb' },
      },
      ldap,
    );
    expect(config.pageSize).toBe(500);
    expect(config.tls).toEqual({});
    expect(redact('plain-ldap-pw ext-id-9876 header-secret union-secret part-aaaa part-bbbb arn:x')).toBe(
      `${REDACTED} ${REDACTED} ${REDACTED} ${REDACTED} ${REDACTED} ${REDACTED} arn:x`,
    );
  });

  it('reports every connector config issue at sources[i].config.<path>, secrets hidden', () => {
    expect(
      issuesOf(() =>
        validateSourceConfig(
          1,
          {
            url: 'http://ldap',
            bindPassword: 1234567,
            pageSize: 5000,
            tls: { clientKey: '' },
            accounts: [{ roleArn: 'a' }, { rolearn: 'b' }],
            auth: { kind: 'basic' },
            extra: true,
          },
          ldap,
        ),
      ),
    ).toEqual([
      'sources[1].config.url: must start with ldap:// or ldaps:// (got "http://ldap")',
      'sources[1].config.bindPassword: must be a string (got a sensitive value)',
      'sources[1].config.pageSize: must be at most 1000 (got 5000)',
      'sources[1].config.tls.clientKey: must not be empty (got a sensitive value)',
      'sources[1].config.accounts[1].roleArn: required',
      'sources[1].config.accounts[1].rolearn: unknown key; did you mean "roleArn"?',
      'sources[1].config.auth.password: required',
      'sources[1].config.extra: unknown key; known keys: accounts, auth, bindDn, bindPassword, headers, pageSize, sharedSecret, tls, url',
    ]);
  });

  it('checks type overrides against the connector kinds', () => {
    const result = checkSourceConfig(0, { url: 'ldap://x' }, ldap, {
      usr: { entityType: 'identity' },
      ou: { subType: 'x' },
      group: { subType: 'team' },
    });
    expect(result).toEqual({
      ok: false,
      issues: [
        {
          path: 'sources[0].types.ou',
          message: '"ou" becomes an Elder organization, which has no entityType or subType',
        },
        {
          path: 'sources[0].types.usr',
          message: 'the ldap connector has no kind "usr"; did you mean "user"? (kinds: group, ou, user)',
        },
      ],
    });
  });
});

describe('validateSources and describeConfigForDisplay', () => {
  const text = `
elder: { url: "https://e.example", token: tok-123456 }
sources:
  - { name: a, connector: ldap, config: { url: "ldap://a", bindPassword: written-in-file } }
  - { name: b, connector: ldpa }
  - { name: c, connector: ldap, config: { url: 42 }, types: { nope: {} } }
`;

  it('collects every source problem, unknown connectors included', () => {
    const config = parseConfigText(text, { file: '/tmp/x.yaml', env: {} });
    const connectors = new Map<string, ConnectorDefinition<unknown>>([['ldap', ldap as ConnectorDefinition<unknown>]]);
    expect(issuesOf(() => validateSources(config, connectors))).toEqual([
      'sources[1].connector: no connector "ldpa" is installed; did you mean "ldap"? (installed: ldap; more with "elder-sync plugins install <name>")',
      'sources[2].config.url: must be a string (got 42)',
      'sources[2].types.nope: the ldap connector has no kind "nope" (kinds: group, ou, user)',
    ]);

    const good = parseConfigText(text.split('\n').slice(0, 4).join('\n'), { file: '/tmp/x.yaml', env: {} });
    const validated = validateSources(good, connectors);
    expect(validated).toHaveLength(1);
    expect(validated[0]?.config).toMatchObject({ url: 'ldap://a', pageSize: 500 });

    expect(describeConfigForDisplay(good, connectors)).toEqual({
      elder: {
        url: 'https://e.example',
        token: '(sensitive)',
        organization: { path: ['elder-sync'] },
        createMissingOrganizations: true,
        concurrency: 8,
        timeoutMs: 30000,
        maxAttempts: 5,
      },
      state: { path: expect.stringMatching(/state\.db$/) as unknown as string },
      sources: [
        {
          name: 'a',
          connector: 'ldap',
          deletes: 'delete',
          maxDeletePercent: 20,
          concurrency: 4,
          config: { url: 'ldap://a', bindPassword: '(sensitive)' },
        },
      ],
    });
  });
});
