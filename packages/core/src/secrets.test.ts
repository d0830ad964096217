import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineConnector, secret } from './connector.js';
import { validateSourceConfig } from './config/source.js';
import { clearSecrets, redact, registerPublicName, registerSecret, REDACTED } from './secrets.js';

afterEach(() => clearSecrets());

describe('redact', () => {
  it('shows a bind DN whole although the short password is one of its parts', () => {
    registerSecret('reader');
    registerPublicName('cn=reader,dc=example,dc=test');
    expect(redact('bound as cn=reader,dc=example,dc=test')).toBe('bound as cn=reader,dc=example,dc=test');
  });

  it('still hides that short password wherever it stands as a token of its own', () => {
    registerSecret('reader');
    registerPublicName('cn=reader,dc=example,dc=test');
    for (const [text, expected] of [
      ['password reader rejected', `password ${REDACTED} rejected`],
      ['{"bindPassword":"reader"}', `{"bindPassword":"${REDACTED}"}`],
      ['ldap://cn:reader@host', `ldap://cn:${REDACTED}@host`],
      ['?password=reader&x=1', `?password=${REDACTED}&x=1`],
      ['reader', REDACTED],
      // Part of the DN, but not the DN as configured: hidden, on the safe side.
      ['cn=reader,ou=other', `cn=${REDACTED},ou=other`],
    ]) {
      expect(redact(text!)).toBe(expected);
    }
  });

  it('does not cut a short secret out of a longer word', () => {
    registerSecret('test');
    expect(redact('the latest tests passed; test')).toBe(`the latest tests passed; ${REDACTED}`);
  });

  it('hides a long secret anywhere, even glued to other text or inside a public name', () => {
    const token = 'Tok3n-very-long-secret';
    registerSecret(token);
    registerPublicName(`cn=${token},dc=example`);
    expect(redact(`Bearer${token}x`)).toBe(`Bearer${REDACTED}x`);
    expect(redact(`cn=${token},dc=example`)).toBe(`cn=${REDACTED},dc=example`);
  });

  it('takes only DN-shaped values as public names: a URL may carry the password itself', () => {
    registerSecret('reader');
    registerPublicName('ldap://cn:reader@host');
    expect(redact('ldap://cn:reader@host')).toBe(`ldap://cn:${REDACTED}@host`);
  });

  it('a source config registers its DNs as public names and its secret fields as secrets', () => {
    const connector = defineConnector({
      apiVersion: 1,
      id: 'dir',
      configSchema: z.strictObject({ bindDn: z.string(), bindPassword: secret(z.string()), url: z.string() }),
      kinds: { user: { target: 'entity', entityType: 'identity' } },
      scopes: () => [{ id: 'd', label: 'd' }],
      testConnection: async () => [],
      async *read() {},
    });
    validateSourceConfig(0, { bindDn: 'cn=reader,dc=example,dc=test', bindPassword: 'reader', url: 'ldap://h' }, connector);
    expect(redact('bind as cn=reader,dc=example,dc=test failed: password reader')).toBe(
      `bind as cn=reader,dc=example,dc=test failed: password ${REDACTED}`,
    );
  });
});
