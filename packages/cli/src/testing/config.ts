// Test helpers (not built): elder-sync config files for the e2e tests, written as a user would —
// secrets as ${VAR} references that the CLI resolves from its environment, never the values.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SlapdPeer } from '@elder-sync/testkit';
import { cliEnv, runCli, type CliResult } from './cli.js';

/** Portal-auth sign-in; the password comes from ELDER_PASSWORD. */
export const passwordAuth = (email = 'admin@localhost.local') => ({ email, password: '${ELDER_PASSWORD}' });

/** A static bearer token from ELDER_TOKEN. */
export const tokenAuth = { token: '${ELDER_TOKEN}' };

/** An ldap source's `config:` for a test slapd; the bind password comes from LDAP_PW. */
export function ldapConfig(slapd: SlapdPeer, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { url: slapd.url, bindDn: slapd.bindDn, bindPassword: '${LDAP_PW}', baseDn: slapd.baseDn, ...extra };
}

/**
 * Writes a config document and returns its path. JSON is YAML, so any file name works, and the
 * document is untyped on purpose: tests write broken configs too.
 */
export function writeConfig(file: string, doc: Record<string, unknown>): string {
  writeFileSync(file, JSON.stringify(doc, null, 2) + '\n');
  return file;
}

/**
 * The e2e tests' usual project in `dir`: Elder signed in with a password under "Acme", state in
 * ./state.db, one ldap source "corp" on the test slapd. Writes its elder-sync.yaml and returns how
 * to run the built CLI there (`--log-format json` unless `jsonLogs` is false).
 */
export function ldapProject(dir: string, slapd: SlapdPeer, elder: { url: string }, options: { jsonLogs?: boolean } = {}): (args: string[]) => Promise<CliResult> {
  writeConfig(join(dir, 'elder-sync.yaml'), {
    elder: { url: elder.url, ...passwordAuth(), organization: { path: ['Acme'] } },
    state: { path: './state.db' },
    sources: [{ name: 'corp', connector: 'ldap', config: ldapConfig(slapd) }],
  });
  const logFormat = options.jsonLogs === false ? [] : ['--log-format', 'json'];
  return (args) =>
    runCli([...args, '--config', 'elder-sync.yaml', ...logFormat], {
      cwd: dir,
      env: cliEnv(join(dir, 'data'), { ELDER_PASSWORD: 'admin123', LDAP_PW: slapd.bindPassword }),
      timeoutMs: 120_000,
    });
}
