import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MODULE_LOG_HOOK } from '@elder-sync/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, cliEnv, runCli, scratch } from './testing/cli.js';

/**
 * Connectors stay lazy: `--help` and `connectors` import no connector module and none of a
 * connector's SDKs. Measured by the modules the process loads (a `--import` hook records every ES
 * module it loads and, at exit, every CommonJS module in the require cache), not by time.
 */
let work: { dir: string; cleanup: () => void };
let hook: string;

/** Every module the CLI loaded for `args`. */
async function modulesLoadedBy(args: string[], name: string, env: Record<string, string> = {}): Promise<string[]> {
  const log = join(work.dir, `${name}.modules`);
  writeFileSync(log, '');
  const r = await runCli(args, {
    cwd: work.dir,
    env: cliEnv(join(work.dir, 'data'), { NODE_OPTIONS: `--import ${hook}`, MODULE_LOG: log, ...env }),
  });
  expect(r.stderr, `stderr of ${args.join(' ')}`).not.toMatch(/^error:/m);
  return [...new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean))];
}

/** A connector's entry module, its package, or an SDK only a connector uses. */
const CONNECTOR_CODE =
  /\/connector-(ldap|aws|graph|workspace)\/dist\/|\/@azure\/msal|\/@azure\+msal|\/@aws-sdk\/|\/@smithy\/|\/ldapts\/|\/node_modules\/asn1|\/elder-sync-connector-|\/connector-gcp\/dist\/|\/googleapis-common\/|\/google-auth\/dist\/|\/@googleapis\/|\/@google-cloud\/|\/google-auth-library\/|\/gaxios\//;
/** What the graph connector imports only when it signs in (undici is the engine's HTTP client too). */
const MICROSOFT_SDKS = /\/@azure\/msal|\/@azure\+msal/;
/** The Google SDKs the gcp connector imports only to talk to Google, never to validate a config. */
const GOOGLE_SDKS = /\/@googleapis\/|\/@google-cloud\/|\/google-auth-library\/|\/gaxios\/|\/googleapis-common\//;

beforeAll(() => {
  assertBuilt();
  work = scratch('elder-sync-lazy');
  hook = join(work.dir, 'record-modules.mjs');
  writeFileSync(hook, MODULE_LOG_HOOK);
});
afterAll(() => work?.cleanup());

describe('connectors are imported only when used', () => {
  it('the hook sees a connector module when one is used (config validate imports the ldap connector)', async () => {
    writeFileSync(
      join(work.dir, 'ldap.yaml'),
      'elder: { url: "http://127.0.0.1:9", token: t0ken-abc }\nsources:\n  - { name: corp, connector: ldap, config: { url: "ldap://127.0.0.1:9", bindDn: "cn=r,dc=x", bindPassword: "pw-12345", baseDn: "dc=x" } }\n',
    );
    const modules = await modulesLoadedBy(['config', 'validate', '--config', 'ldap.yaml'], 'validate');
    expect(modules.filter((m) => CONNECTOR_CODE.test(m)).length).toBeGreaterThan(0);
  });

  it('config validate of a gcp source imports the connector but none of the Google SDKs', async () => {
    writeFileSync(
      join(work.dir, 'gcp.yaml'),
      'elder: { url: "http://127.0.0.1:9", token: t0ken-abc }\nsources:\n  - { name: gcp, connector: gcp, config: { parents: [folders/1] } }\n',
    );
    const modules = await modulesLoadedBy(['config', 'validate', '--config', 'gcp.yaml'], 'validate-gcp');
    expect(modules.some((m) => m.includes('/connector-gcp/dist/'))).toBe(true);
    expect(modules.filter((m) => GOOGLE_SDKS.test(m))).toEqual([]);
  });

  it('config validate of a graph source imports the connector but not msal-node', async () => {
    writeFileSync(
      join(work.dir, 'graph.yaml'),
      'elder: { url: "http://127.0.0.1:9", token: t0ken-abc }\nsources:\n  - { name: m365, connector: graph, config: { tenants: [{ id: contoso.onmicrosoft.com, name: Contoso, clientId: 11111111-2222-3333-4444-555555555555, clientSecret: s3cret-value }] } }\n',
    );
    const modules = await modulesLoadedBy(['config', 'validate', '--config', 'graph.yaml'], 'validate-graph');
    expect(modules.some((m) => m.includes('/connector-graph/dist/'))).toBe(true);
    expect(modules.filter((m) => MICROSOFT_SDKS.test(m))).toEqual([]);
  });

  it('config validate of an aws source imports the connector but none of the AWS SDK', async () => {
    writeFileSync(
      join(work.dir, 'aws.yaml'),
      'elder: { url: "http://127.0.0.1:9", token: t0ken-abc }\nsources:\n  - { name: prod-aws, connector: aws, config: { organization: { roleName: elder-sync-read }, regions: ["*"] } }\n',
    );
    const modules = await modulesLoadedBy(['config', 'validate', '--config', 'aws.yaml'], 'validate-aws');
    expect(modules.some((m) => m.includes('/connector-aws/dist/'))).toBe(true);
    expect(modules.filter((m) => /\/@aws-sdk\/|\/@smithy\//.test(m))).toEqual([]);
  });

  for (const args of [['--help'], ['connectors'], ['connectors', '--json'], ['run', '--help']]) {
    it(`${args.join(' ')} loads no connector module`, async () => {
      const modules = await modulesLoadedBy(args, args.join('_'));
      // The recording works: the CLI's own framework shows up.
      expect(modules.some((m) => m.includes('/@oclif/core/'))).toBe(true);
      expect(modules.filter((m) => CONNECTOR_CODE.test(m))).toEqual([]);
    });
  }
});
