// Test helpers (not built): elder-sync config files for the e2e tests, written as a user would —
// secrets as ${VAR} references that the CLI resolves from its environment, never the values.
import { writeFileSync } from 'node:fs';
import type { SlapdPeer } from '@elder-sync/testkit';

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
