import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, cliEnv, runCli, scratch } from '../testing/cli.js';

/**
 * Bad-input corpus, configuration side (issue 4): broken files, wrong types, unknown keys, bad
 * references and hostile values, through the built CLI as a user runs it. Every case must exit 64
 * (DESIGN §2: bad usage or configuration) with one short paragraph on stderr — `error: <path>:
 * <message>` lines naming the path, no blank line, no stack trace, nothing from node internals —
 * and must not contact Elder (the URL points at a closed port, so any attempt would fail as 1).
 */

const ELDER = 'http://127.0.0.1:9'; // discard port: nothing listens; a bad config must fail before any request
const LDAP_OK = { url: 'ldap://127.0.0.1:9', bindDn: 'cn=reader,dc=example,dc=test', bindPassword: 'pw', baseDn: 'dc=example,dc=test' };

function yamlOf(value: unknown): string {
  return JSON.stringify(value, null, 2); // JSON is YAML; the .yaml extension is kept
}

const base = (over: Record<string, unknown> = {}, source: Record<string, unknown> = {}, ldap: Record<string, unknown> = {}) =>
  yamlOf({
    elder: { url: ELDER, token: 'tok', ...over },
    state: { path: './state.db' },
    sources: [{ name: 'corp', connector: 'ldap', ...source, config: { ...LDAP_OK, ...ldap } }],
  });

interface Case {
  name: string;
  /** File contents (string or bytes) written as `file` (default elder-sync.yaml). */
  text?: string | Buffer;
  file?: string;
  /** CLI arguments before `--config <file>` (default: config validate). */
  args?: string[];
  /** Skip `--config`: the case is about the flag itself. */
  rawArgs?: string[];
  env?: Record<string, string>;
  /** stderr must match (the path and the gist). */
  expect: RegExp;
}

const CASES: Case[] = [
  // File and syntax.
  { name: 'YAML syntax error', text: 'elder: [\n', expect: /elder-sync\.yaml:\d+:\d+: .*/ },
  { name: 'tab indentation', text: 'elder:\n\turl: x\n', expect: /elder-sync\.yaml:\d+:\d+/ },
  { name: 'an empty file', text: '', expect: /elder: required|empty/ },
  { name: 'a YAML scalar instead of a mapping', text: 'hello\n', expect: /mapping|object|expected/i },
  { name: 'a list instead of a mapping', text: '- a\n- b\n', expect: /mapping|object|expected/i },
  { name: 'JSON syntax error', file: 'elder-sync.json', text: '{"elder": {"url": }', expect: /elder-sync\.json/ },
  { name: 'a config file that does not exist', rawArgs: ['config', 'validate', '--config', 'missing.yaml'], expect: /missing\.yaml/ },
  { name: 'a directory as the config file', rawArgs: ['config', 'validate', '--config', 'adir'], expect: /adir/ },
  { name: 'bytes that are not UTF-8', text: Buffer.concat([Buffer.from('elder:\n  url: "'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"\n')]), expect: /elder\.url|UTF-8|utf-8/ },
  { name: 'a NUL byte in the file', text: 'elder:\n  url: "https://e\u0000x"\n  token: t\n', expect: /elder\.url|elder-sync\.yaml/ },
  // Elder block.
  { name: 'no elder block', text: yamlOf({ sources: [] }), expect: /elder: required/ },
  { name: 'elder.url not a URL', text: base({ url: 'not a url' }), expect: /elder\.url: / },
  { name: 'elder.url with an ftp scheme', text: base({ url: 'ftp://elder.example.com' }), expect: /elder\.url: must be an http/ },
  { name: 'elder.url with a javascript: scheme', text: base({ url: 'javascript:alert(1)' }), expect: /elder\.url: / },
  { name: 'no elder credentials', text: yamlOf({ elder: { url: ELDER }, sources: [] }), expect: /elder: give either token, or email and password/ },
  { name: 'token and email together', text: base({ email: 'a@b', password: 'p' }), expect: /elder: give either token, or email and password, not both/ },
  { name: 'email without password', text: yamlOf({ elder: { url: ELDER, email: 'a@b' } }), expect: /elder\.password: required with email/ },
  { name: 'elder.concurrency of the wrong type', text: base({ concurrency: 'eight' }), expect: /elder\.concurrency: / },
  { name: 'elder.concurrency out of range', text: base({ concurrency: 1000 }), expect: /elder\.concurrency: / },
  { name: 'elder.timeoutMs not an integer', text: base({ timeoutMs: 1500.5 }), expect: /elder\.timeoutMs: / },
  { name: 'an unknown key in elder (typo)', text: base({ passwrd: 'x' }), expect: /elder\.passwrd: unknown key/ },
  { name: 'organization with both path and id', text: base({ organization: { path: ['A'], id: 3 } }), expect: /elder\.organization: give either path or id, not both/ },
  { name: 'an empty organization path', text: base({ organization: { path: [] } }), expect: /elder\.organization\.path: / },
  { name: "an organization name longer than Elder's 255", text: base({ organization: { path: ['x'.repeat(300)] } }), expect: /elder\.organization\.path\[0\]: / },
  // Top level and sources.
  { name: 'an unknown top-level key', text: yamlOf({ elder: { url: ELDER, token: 't' }, sourcez: [] }), expect: /sourcez/ },
  { name: 'sources as a mapping instead of a list', text: yamlOf({ elder: { url: ELDER, token: 't' }, sources: { corp: {} } }), expect: /sources: / },
  { name: 'a source without a name', text: yamlOf({ elder: { url: ELDER, token: 't' }, sources: [{ connector: 'ldap' }] }), expect: /sources\[0\]\.name: / },
  { name: 'a source name with spaces and capitals', text: base({}, { name: 'Corp LDAP' }), expect: /sources\[0\]\.name: must be lower-case/ },
  { name: 'control characters in a source name', text: base({}, { name: 'corp\u001b[31m\n' }), expect: /sources\[0\]\.name: / },
  { name: 'a source name of 100 000 characters', text: base({}, { name: 'a'.repeat(100_000) }), expect: /sources\[0\]\.name: / },
  {
    name: 'duplicate source names',
    text: yamlOf({ elder: { url: ELDER, token: 't' }, sources: [{ name: 'corp', connector: 'ldap', config: LDAP_OK }, { name: 'corp', connector: 'ldap', config: LDAP_OK }] }),
    expect: /sources\[1\]\.name: duplicate source name "corp"/,
  },
  { name: 'an unknown key in a source', text: base({}, { delete: 'keep' }), expect: /sources\[0\]/ },
  { name: 'a bad deletes enum', text: base({}, { deletes: 'purge' }), expect: /sources\[0\]\.deletes: / },
  { name: 'maxDeletePercent above 100', text: base({}, { maxDeletePercent: 150 }), expect: /sources\[0\]\.maxDeletePercent: / },
  { name: 'fullEvery of 0', text: base({}, { fullEvery: 0 }), expect: /sources\[0\]\.fullEvery: / },
  { name: 'a schedule that is not cron', text: base({}, { schedule: 'every hour' }), expect: /sources\[0\]\.schedule: must be a cron expression/ },
  { name: 'schedule and interval together', text: base({}, { schedule: '@hourly', interval: 60 }), expect: /sources\[0\]: give either schedule or interval/ },
  { name: 'an entity type longer than 64', text: base({}, { types: { user: { entityType: 't'.repeat(65) } } }), expect: /sources\[0\]\.types\.user\.entityType: / },
  { name: 'a connector id that is not an id', text: base({}, { connector: 'LDAP!' }), expect: /sources\[0\]\.connector: / },
  { name: 'an unknown connector', args: ['run', '--dry-run'], text: base({}, { connector: 'okta' }), expect: /sources\[0\]\.connector: .*okta/ },
  // References.
  { name: 'an unset ${ENV} reference', text: base({ token: '${ELDER_SYNC_TEST_UNSET_VAR}' }), expect: /elder\.token: .*ELDER_SYNC_TEST_UNSET_VAR/ },
  { name: 'a malformed ${...} reference', text: base({ token: '${bad name}' }), expect: /elder\.token: .*not a valid reference/ },
  { name: 'an unclosed ${ reference', text: base({ token: '${OPEN' }), expect: /elder\.token: / },
  { name: 'an unreadable ${file:} reference', text: base({ token: '${file:./no-such-secret}' }), expect: /elder\.token: .*no-such-secret/ },
  { name: 'a ${file:} reference to a directory', text: base({ token: '${file:./adir}' }), expect: /elder\.token: .*adir/ },
  // The LDAP connector's own block (validated by run/diff before any connection).
  { name: 'an LDAP url with a path', args: ['run', '--dry-run'], text: base({}, {}, { url: 'ldap://h/ou=x' }), expect: /sources\[0\]\.config\.url: / },
  { name: 'an LDAP url with an http scheme', args: ['run', '--dry-run'], text: base({}, {}, { url: 'http://h' }), expect: /sources\[0\]\.config\.url: / },
  { name: 'an LDAP url with credentials', args: ['run', '--dry-run'], text: base({}, {}, { url: 'ldap://user:pw@h' }), expect: /sources\[0\]\.config\.url: / },
  { name: 'a bindDn that is not a DN', args: ['run', '--dry-run'], text: base({}, {}, { bindDn: 'reader' }), expect: /sources\[0\]\.config\.bindDn: / },
  // `dc=x)(uid=*` is a valid DN (parentheses need no escaping in RFC 4514) and a search base is never
  // put into a filter, so it is not an injection; these are DNs that do not parse.
  { name: 'an empty RDN smuggled into baseDn', args: ['run', '--dry-run'], text: base({}, {}, { baseDn: 'dc=example,,dc=evil' }), expect: /sources\[0\]\.config\.baseDn: / },
  { name: 'a dangling escape in bindDn', args: ['run', '--dry-run'], text: base({}, {}, { bindDn: 'cn=reader\\' }), expect: /sources\[0\]\.config\.bindDn: / },
  { name: 'an unbalanced LDAP filter', args: ['run', '--dry-run'], text: base({}, {}, { userFilter: '(uid=*' }), expect: /sources\[0\]\.config\.userFilter: / },
  { name: 'text outside an LDAP filter (filter injection)', args: ['run', '--dry-run'], text: base({}, {}, { userFilter: '(uid=a)(uid=*)' }), expect: /sources\[0\]\.config\.userFilter: / },
  { name: 'a negative pageSize', args: ['run', '--dry-run'], text: base({}, {}, { pageSize: -5 }), expect: /sources\[0\]\.config\.pageSize: / },
  { name: 'an unknown LDAP kind', args: ['run', '--dry-run'], text: base({}, {}, { kinds: ['user', 'computer'] }), expect: /sources\[0\]\.config\.kinds(\[1\])?: / },
  { name: 'an empty bindPassword', args: ['run', '--dry-run'], text: base({}, {}, { bindPassword: '' }), expect: /sources\[0\]\.config\.bindPassword: / },
  { name: 'a missing LDAP config block', args: ['run', '--dry-run'], text: yamlOf({ elder: { url: ELDER, token: 't' }, sources: [{ name: 'corp', connector: 'ldap' }] }), expect: /sources\[0\]\.config/ },
  // Flags.
  { name: 'an unknown flag', rawArgs: ['run', '--dry-runn'], expect: /dry-runn/ },
  { name: 'a bad --log-format', rawArgs: ['config', 'validate', '--log-format', 'xml'], expect: /log-format|xml/ },
  { name: 'SOURCE that is not configured', args: ['run', '--dry-run', 'nosuch'], text: base(), expect: /SOURCE: no source or connector named "nosuch"/ },
];

let work: { dir: string; cleanup: () => void };
beforeAll(() => {
  assertBuilt();
  work = scratch('elder-sync-bad-input');
  mkdirSync(join(work.dir, 'adir'));
});
afterAll(() => work?.cleanup());

describe.concurrent.each(CASES.map((c, i) => ({ ...c, i })))('bad config: $name', (c) => {
  it('exits 64 with a one-paragraph message naming the path, and no stack trace', async () => {
    const dir = join(work.dir, `case-${c.i}`);
    mkdirSync(dir, { recursive: true });
    mkdirSync(join(dir, 'adir'), { recursive: true });
    const file = c.file ?? 'elder-sync.yaml';
    if (c.text !== undefined) writeFileSync(join(dir, file), c.text);
    const args = c.rawArgs ?? [...(c.args ?? ['config', 'validate']), '--config', file];
    const r = await runCli(args, { cwd: dir, env: cliEnv(join(dir, 'data'), { ELDER_SYNC_LOG_FORMAT: 'json', ...c.env }) });
    const context = `case "${c.name}": exit ${r.code}\nstderr:\n${r.stderr}\nstdout:\n${r.stdout}`;
    expect(r.code, context).toBe(64);
    expect(r.stderr, context).toMatch(c.expect);
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    // One paragraph: error lines only (warnings allowed), no blank line between them, bounded size.
    expect(lines.every((l) => /^(error|warning): /.test(l)), context).toBe(true);
    expect(r.stderr.trimEnd().includes('\n\n'), context).toBe(false);
    expect(r.stderr.length, context).toBeLessThan(4000);
    // No stack trace and no internals, on either stream.
    expect(r.stderr + r.stdout, context).not.toMatch(/^\s+at .+\(|node:internal|\.js:\d+:\d+\)?$/m);
  });
});
