import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, cliEnv, runCli, scratch } from './testing/cli.js';

// These run the built bin/run.js as a user would (build first; see testing/cli.ts).
let work: { dir: string; cleanup: () => void };
let dataDir: string;
const cli = (args: string[], extra: Record<string, string | undefined> = {}, cwd?: string) =>
  runCli(args, { cwd: cwd ?? work.dir, env: cliEnv(dataDir, extra) });

beforeAll(() => {
  assertBuilt();
  work = scratch('elder-sync-cli');
  dataDir = join(work.dir, 'data');
});
afterAll(() => work.cleanup());

const noStack = (text: string) => expect(text).not.toMatch(/^\s+at /m);

describe('elder-sync CLI', () => {
  it('--version prints bin/version platform node', async () => {
    const r = await cli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^elder-sync\/\d+\.\d+\.\d+ \S+-\S+ node-v\d+/);
  });

  it('--help lists the commands and topics', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    for (const command of ['run', 'diff', 'test-connectivity', 'connectors', 'config', 'state', 'plugins']) {
      expect(r.stdout).toMatch(new RegExp(`^\\s+${command}\\s`, 'm'));
    }
  });

  it('run --help documents the flags and exit codes', async () => {
    const r = await cli(['run', '--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--all', '--dry-run', '--full', '--only', '--allow-mass-delete', '--config', '--log-level', '--log-format', '--quiet', '--json']) {
      expect(r.stdout).toContain(flag);
    }
    expect(r.stdout).toContain('3 some scopes failed');
  });

  it('connectors lists the bundled connectors (ldap, gcp, graph, aws, workspace) without loading them', async () => {
    const r = await cli(['connectors']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ldap\s+@elder-sync\/connector-ldap\s+\S+\s+core\s+1$/m);
    expect(r.stdout).toMatch(/^aws\s+@elder-sync\/connector-aws\s+\S+\s+core\s+1$/m);
    expect(r.stdout).toMatch(/^gcp\s+@elder-sync\/connector-gcp\s+\S+\s+core\s+1$/m);
    expect(r.stdout).toMatch(/^graph\s+@elder-sync\/connector-graph\s+\S+\s+core\s+1$/m);
    expect(r.stdout).toMatch(/^workspace\s+@elder-sync\/connector-workspace\s+\S+\s+core\s+1$/m);
    const json = await cli(['connectors', '--json']);
    expect(JSON.parse(json.stdout)).toEqual({
      connectors: expect.arrayContaining([
        expect.objectContaining({ id: 'ldap', packageName: '@elder-sync/connector-ldap', origin: 'core', apiVersion: 1 }),
        expect.objectContaining({ id: 'aws', packageName: '@elder-sync/connector-aws', origin: 'core', apiVersion: 1 }),
        expect.objectContaining({ id: 'gcp', packageName: '@elder-sync/connector-gcp', origin: 'core', apiVersion: 1 }),
        expect.objectContaining({ id: 'graph', packageName: '@elder-sync/connector-graph', origin: 'core', apiVersion: 1 }),
        expect.objectContaining({ id: 'workspace', packageName: '@elder-sync/connector-workspace', origin: 'core', apiVersion: 1 }),
      ]),
      refused: [],
    });
  });

  it('connectors: a linked plugin beats core with a warning; an unsupported apiVersion is refused, not fatal', async () => {
    const plugins = join(work.dir, 'plugins');
    const linkData = join(work.dir, 'link-data');
    const future = join(plugins, 'future');
    const mine = join(plugins, 'mine');
    mkdirSync(future, { recursive: true });
    mkdirSync(mine, { recursive: true });
    mkdirSync(linkData, { recursive: true });
    writeFileSync(
      join(future, 'package.json'),
      JSON.stringify({ name: 'elder-sync-connector-future', version: '9.0.0', oclif: {}, 'elder-sync': { apiVersion: 2, connectors: { future: './index.js' } } }),
    );
    writeFileSync(
      join(mine, 'package.json'),
      JSON.stringify({ name: 'my-ldap', version: '1.2.3', oclif: {}, 'elder-sync': { apiVersion: 1, connectors: { ldap: './index.js' } } }),
    );
    writeFileSync(
      join(linkData, 'package.json'),
      JSON.stringify({
        private: true,
        oclif: {
          schema: 1,
          plugins: [
            { name: 'elder-sync-connector-future', type: 'link', root: future },
            { name: 'my-ldap', type: 'link', root: mine },
          ],
        },
      }),
    );
    const r = await runCli(['connectors'], { cwd: work.dir, env: cliEnv(linkData) });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ldap\s+my-ldap\s+1\.2\.3\s+link\s+1$/m);
    expect(r.stderr).toContain('warning: connector "ldap" is provided by my-ldap (link) and @elder-sync/connector-ldap (core); using my-ldap');
    expect(r.stderr).toMatch(/elder-sync-connector-future refused: .*apiVersion 2.*upgrade elder-sync/);
  });

  it('a config with several mistakes exits 64 with one line per mistake and no stack trace', async () => {
    const dir = join(work.dir, 'bad');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'elder-sync.yaml'),
      [
        'elder:',
        '  url: not-a-url',
        '  token: abcdef',
        'sources:',
        '  - name: Corp LDAP',
        '    connector: ldap',
        '    deletes: purge',
        '    bogus: 1',
        '    config:',
        '      url: http://not-ldap.example',
        '      baseDn: dc=example,dc=com',
        '',
      ].join('\n'),
    );
    const r = await cli(['config', 'validate'], {}, dir);
    expect(r.code).toBe(64);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(4);
    for (const line of lines) expect(line).toMatch(/^error: [\w.[\]"]+: /);
    expect(r.stderr).toMatch(/^error: elder\.url: /m);
    expect(r.stderr).toMatch(/^error: sources\[0\]\.name: /m);
    expect(r.stderr).toMatch(/^error: sources\[0\]\.deletes: .*purge/m);
    // The connector's own config is checked in the same pass, not after the top level is fixed.
    expect(r.stderr).toMatch(/^error: sources\[0\]\.config\.url: /m);
    expect(r.stderr).toMatch(/^error: sources\[0\]\.bogus: unknown key/m);
    noStack(r.stderr);

    const json = await cli(['config', 'validate', '--json'], {}, dir);
    expect(json.code).toBe(64);
    const doc = JSON.parse(json.stdout) as { error: { exitCode: number; issues: Array<{ path: string }> } };
    expect(doc.error.exitCode).toBe(64);
    expect(doc.error.issues.map((i) => i.path)).toContain('sources[0].deletes');
  });

  it('a stack trace appears only with --log-level debug', async () => {
    const dir = join(work.dir, 'bad');
    const r = await cli(['config', 'validate', '--log-level', 'debug'], {}, dir);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/^\s+at /m);
  });

  it('config init writes an example, refuses to overwrite, and config validate checks it', async () => {
    const dir = join(work.dir, 'init');
    mkdirSync(dir, { recursive: true });
    const first = await cli(['config', 'init'], {}, dir);
    expect(first.code).toBe(0);
    expect(readFileSync(join(dir, 'elder-sync.yaml'), 'utf8')).toContain('connector: ldap');

    const again = await cli(['config', 'init'], {}, dir);
    expect(again.code).toBe(64);
    expect(again.stderr).toMatch(/^error: .*already exists; use --force/m);
    expect((await cli(['config', 'init', '--force'], {}, dir)).code).toBe(0);

    // The example names ${ENV} secrets: unset, each is one issue.
    const unset = await cli(['config', 'validate'], {}, dir);
    expect(unset.code).toBe(64);
    expect(unset.stderr).toMatch(/^error: elder\.password: environment variable ELDER_PASSWORD is not set/m);

    const env = { ELDER_EMAIL: 'ops@example.com', ELDER_PASSWORD: 'elder-pw-123', LDAP_PW: 'ldap-pw-456', CONTOSO_CLIENT_SECRET: 'contoso-secret-789' };
    // Only installed connectors get an example source: here ldap, gcp, graph and aws (all bundled).
    const example = readFileSync(join(dir, 'elder-sync.yaml'), 'utf8');
    expect(example).toContain('connector: aws');
    expect(example).toContain('connector: gcp');
    expect(example).toContain('connector: graph');
    const ok = await cli(['config', 'validate'], env, dir);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toMatch(/^config OK: 4 sources \(/);
    expect(ok.code).toBe(0);
    expect(ok.stdout).not.toMatch(/elder-pw-123|ldap-pw-456|contoso-secret-789/);
    writeFileSync(
      join(dir, 'ldap-only.yaml'),
      example.split('  - name: customers-m365')[0]!.replace(/^ {2}- name: (gcp-prod|prod-aws)[\s\S]*?(?=^ {2}- name: |(?![\s\S]))/gm, ''),
    );
  });

  it('--config naming a missing file exits 64', async () => {
    const r = await cli(['config', 'validate', '--config', 'nope.yaml']);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/^error: --config: .*nope\.yaml does not exist/m);
  });

  it('usage errors exit 64: unknown flag, bad option value, unknown source', async () => {
    const unknown = await cli(['run', '--bogus']);
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toMatch(/^error: Nonexistent flag: --bogus/m);
    noStack(unknown.stderr);

    const badOption = await cli(['connectors', '--log-format', 'xml']);
    expect(badOption.code).toBe(64);
    expect(badOption.stderr).toMatch(/^error: Expected --log-format=xml to be one of: json, pretty/m);

    const unknownCommand = await cli(['nosuch']);
    expect(unknownCommand.code).toBe(64);
    expect(unknownCommand.stderr).toBe('error: unknown command "nosuch"; see "elder-sync --help" for the commands\n');

    const missingArg = await cli(['state', 'show']);
    expect(missingArg.code).toBe(64);

    const dir = join(work.dir, 'init');
    const env = { ELDER_EMAIL: 'ops@example.com', ELDER_PASSWORD: 'elder-pw-123', LDAP_PW: 'ldap-pw-456' };
    const unknownSource = await cli(['diff', 'nosuch', '--config', 'ldap-only.yaml'], env, dir);
    expect(unknownSource.code).toBe(64);
    expect(unknownSource.stderr).toMatch(/^error: SOURCE: no source or connector named "nosuch"; configured sources: corp-ldap$/m);

    // Inspecting state needs no secret: none of the config's ${VAR}s is set here.
    for (const args of [['state', 'list'], ['state', 'show', 'corp-ldap']]) {
      const noSecrets = await cli([...args, '--config', 'ldap-only.yaml'], {}, dir);
      expect(noSecrets.code, noSecrets.stderr).toBe(0);
      expect(noSecrets.stderr).toBe('');
    }

    const both = await cli(['run', 'corp-ldap', '--all', '--config', 'ldap-only.yaml'], env, dir);
    expect(both.code).toBe(64);
    expect(both.stderr).toContain('error: give SOURCE arguments or --all, not both');

    const badFormat = await cli(['diff', '--format', 'yaml']);
    expect(badFormat.code).toBe(64);
    expect(badFormat.stderr).toMatch(/--format/);

    const missingPlan = await cli(['apply', 'no-such-plan.json']);
    expect(missingPlan.code).toBe(64);
    expect(missingPlan.stderr).toMatch(/^error: no-such-plan\.json: cannot read the plan/m);
  }, 180_000); // fourteen CLI processes one after another: room for a loaded CI machine

  it('typos are errors listing the valid names: unknown --only kinds, state show of an unknown source', async () => {
    const dir = join(work.dir, 'init');
    const env = { ELDER_EMAIL: 'ops@example.com', ELDER_PASSWORD: 'elder-pw-123', LDAP_PW: 'ldap-pw-456' };
    // Typos are errors listing the valid names, never a healthy-looking empty sync.
    for (const command of ['diff', 'run']) {
      const kind = await cli([command, '--only', 'users', '--only', 'bogus', '--config', 'ldap-only.yaml'], env, dir);
      expect(kind.code, kind.stderr).toBe(64);
      expect(kind.stderr).toBe('error: --only: "users", "bogus" are not kinds of the selected sources; valid kinds: group, ou, user\n');
      expect(kind.stdout).toBe('');
    }
    const showUnknown = await cli(['state', 'show', 'nosuch', '--config', 'ldap-only.yaml'], env, dir);
    expect(showUnknown.code).toBe(64);
    expect(showUnknown.stderr).toBe('error: no source named "nosuch" in the configuration or the state file; known sources: corp-ldap\n');
    const showKnown = await cli(['state', 'show', 'corp-ldap', '--config', 'ldap-only.yaml'], env, dir);
    expect(showKnown.code).toBe(0);
    // An empty answer says where the truth is, not just "No mappings".
    expect(showKnown.stdout).toMatch(/No state yet .*Elder may still hold objects elder-sync owns .*the next run re-adopts them/);
  });

  it('state commands read without creating the state file; reset needs --yes', async () => {
    const dir = join(work.dir, 'state');
    mkdirSync(dir, { recursive: true });
    const state = join(dir, 'state.db');
    const list = await cli(['state', 'list', '--state', state], {}, dir);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('No state yet');
    const reset = await cli(['state', 'reset', 'corp-ldap', '--state', state], {}, dir);
    expect(reset.code).toBe(64);
    expect(reset.stderr).toContain('add --yes to confirm');
    const { existsSync } = await import('node:fs');
    expect(existsSync(state)).toBe(false);
  });
});
