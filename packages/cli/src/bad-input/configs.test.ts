import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, cliEnv, runCli, scratch } from '../testing/cli.js';

/**
 * Bad-input corpus, configuration side (issues 4 and 13): broken files, files in the wrong encoding,
 * JSON mistakes, duplicate and prototype keys, wrong types, unknown keys, bad schedules, bad
 * references and hostile values, through the built CLI as a user runs it. Every case must exit 64
 * (DESIGN §2: bad usage or configuration) with one short paragraph on stderr — `error: <path>:
 * <message>` lines naming the path (or the byte's line and column) and the fix, no blank line, no
 * stack trace, nothing from node internals, never a secret value — and must not contact Elder (the
 * URL points at a closed port, so any attempt would fail as 1).
 */

const ELDER = 'http://127.0.0.1:9'; // discard port: nothing listens; a bad config must fail before any request
/** Given to every case through the environment; no output may ever show them. */
const SECRETS = { ELDER_TOKEN: 'tok-Zq81-elder-secret', LDAP_PW: 'pw-Zq81-ldap-secret' };
const LDAP_OK = { url: 'ldap://127.0.0.1:9', bindDn: 'cn=reader,dc=example,dc=test', bindPassword: '${LDAP_PW}', baseDn: 'dc=example,dc=test' };

function yamlOf(value: unknown): string {
  return JSON.stringify(value, null, 2); // JSON is YAML; the .yaml extension is kept
}

const base = (over: Record<string, unknown> = {}, source: Record<string, unknown> = {}, ldap: Record<string, unknown> = {}) =>
  yamlOf({
    elder: { url: ELDER, token: '${ELDER_TOKEN}', ...over },
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
  /** stderr must match: the path (or the byte's position) and the fix. */
  expect: RegExp;
  /** Bound on stderr's size (default 4000 bytes). */
  maxBytes?: number;
}

const utf16le = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
const utf16be = (text: string) => {
  const le = Buffer.from(text, 'utf16le');
  for (let i = 0; i + 1 < le.length; i += 2) [le[i], le[i + 1]] = [le[i + 1]!, le[i]!];
  return Buffer.concat([Buffer.from([0xfe, 0xff]), le]);
};
const latin1 = (text: string) => Buffer.from(text, 'latin1');
const MINIMAL = `elder:\n  url: ${ELDER}\n  token: \${ELDER_TOKEN}\n`;
const SOURCE = `sources:\n  - name: corp\n    connector: ldap\n    config: { url: "ldap://127.0.0.1:9", bindDn: "cn=r,dc=x", bindPassword: "\${LDAP_PW}", baseDn: "dc=x" }\n`;
const json = (value: unknown) => JSON.stringify(value, null, 2);
const noSources = yamlOf({ elder: { url: ELDER, token: '${ELDER_TOKEN}' }, sources: [] });


const ENCODING_CASES: Case[] = [
  { name: 'Latin-1 bytes in an organization name', text: latin1(`${MINIMAL}  organization: { path: [Café Zürich] }\n`), expect: /elder-sync\.yaml:4:29: byte 0xE9 \(at byte \d+\) is not valid UTF-8 \(the file looks like Latin-1 or Windows-1252, where it is "é"\); save it as UTF-8/ },
  { name: 'Windows-1252 smart quotes', text: Buffer.concat([Buffer.from(`${MINIMAL}  organization: { path: [`), Buffer.from([0x93]), Buffer.from('Acme'), Buffer.from([0x94]), Buffer.from('] }\n')]), expect: /elder-sync\.yaml:4:26: byte 0x93 \(at byte 82\) is not valid UTF-8 \(the file looks like Latin-1 or Windows-1252, where it is "“"\); save it as UTF-8\nerror: elder-sync\.yaml:4:31: byte 0x94/ },
  { name: 'more invalid bytes than are listed', text: latin1(`${MINIMAL}  organization: { path: [${'é'.repeat(30)}] }\n`), expect: /and 20 more bytes that are not UTF-8; save the file as UTF-8/ },
  { name: 'a UTF-8 sequence cut off at the end of the file', text: Buffer.concat([Buffer.from(`${MINIMAL}# price in `), Buffer.from([0xe2, 0x82])]), expect: /^error: elder-sync\.yaml:4:12: byte 0xE2 .*not valid UTF-8.*; save it as UTF-8\n$/ },
  { name: 'an overlong UTF-8 encoding of "/"', text: Buffer.concat([Buffer.from(`${MINIMAL}# a`), Buffer.from([0xc0, 0xaf])]), expect: /elder-sync\.yaml:4:4: byte 0xC0 .*save it as UTF-8/ },
  { name: 'a UTF-8-encoded surrogate half', text: Buffer.concat([Buffer.from(`${MINIMAL}# `), Buffer.from([0xed, 0xa0, 0x80])]), expect: /elder-sync\.yaml:4:3: byte 0xED .*save it as UTF-8/ },
  { name: 'a UTF-16LE file with a BOM is decoded (its own mistake is reported)', text: utf16le(base({}, { deletes: 'purge' })), expect: /sources\[0\]\.deletes: must be one of delete, mark, keep \(got "purge"\)/ },
  { name: 'a UTF-16BE file with a BOM is decoded (its own mistake is reported)', text: utf16be(base({ concurrency: 0 })), expect: /elder\.concurrency: must be at least 1 \(got 0\)/ },
  { name: 'a UTF-8 file with a BOM is read (its own mistake is reported)', text: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(base({ url: 'not a url' }))]), expect: /elder\.url: must be an http:\/\/ or https:\/\/ URL/ },
  { name: 'a UTF-16LE file without a BOM', text: Buffer.from(MINIMAL, 'utf16le'), expect: /elder-sync\.yaml: the file looks like UTF-16LE without a byte-order mark .*save it as UTF-8/ },
  { name: 'a UTF-16 file with a BOM and an odd byte count', text: Buffer.concat([utf16le(MINIMAL), Buffer.from([0x41])]), expect: /elder-sync\.yaml: .*UTF-16LE byte-order mark but is not valid UTF-16LE; save it as UTF-8/ },
  { name: 'a UTF-32 file', text: Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, 0x00]), Buffer.from('e\u0000\u0000\u0000')]), expect: /elder-sync\.yaml: the file is UTF-32 .*save it as UTF-8/ },
  { name: 'a gzip archive as the config', text: Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03]), expect: /elder-sync\.yaml: this is a gzip archive, not a YAML or JSON configuration; give the configuration file/ },
  { name: 'a PNG image as the config', text: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), expect: /this is a PNG image, not a YAML or JSON configuration/ },
  { name: 'the state database as the config', text: Buffer.concat([Buffer.from('SQLite format 3\u0000'), Buffer.alloc(84)]), expect: /this is an SQLite database \(the state file\?\), not a YAML or JSON configuration/ },
  { name: 'random binary bytes', text: Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 37 + 11) % 256)), expect: /elder-sync\.yaml: this is a binary file .*not a YAML or JSON configuration; give the configuration file/ },
  { name: 'Latin-1 bytes in a JSON config', file: 'elder-sync.json', text: latin1(json({ elder: { url: ELDER, token: '${ELDER_TOKEN}', organization: { path: ['Müller'] } } })), expect: /elder-sync\.json:7:11: byte 0xFC .*where it is "ü"\); save it as UTF-8/ },
];

const JSON_CASES: Case[] = [
  { name: 'a YAML file named .json', file: 'elder-sync.json', text: MINIMAL, expect: /elder-sync\.json:1:1: expected a value \(a string in double quotes, .*\), found "e" \(JSON syntax\)/ },
  { name: 'a trailing comma in a JSON object', file: 'elder-sync.json', text: '{\n  "elder": { "url": "http://127.0.0.1:9", "token": "t", }\n}\n', expect: /elder-sync\.json:2:57: a trailing comma before "}" is not allowed in JSON; remove it/ },
  { name: 'a trailing comma in a JSON array', file: 'elder-sync.json', text: '{"elder": {"url": "http://127.0.0.1:9", "token": "t"}, "sources": [1, 2,]}', expect: /elder-sync\.json:1:73: a trailing comma before "]" is not allowed in JSON; remove it/ },
  { name: 'single quotes in JSON', file: 'elder-sync.json', text: "{'elder': {}}", expect: /elder-sync\.json:1:2: expected a property name in double quotes, found "'"/ },
  { name: 'a comment in JSON', file: 'elder-sync.json', text: '{\n  // the Elder we sync into\n  "elder": {}\n}', expect: /elder-sync\.json:2:3: comments are not allowed in JSON \(use a \.yaml file for comments\)/ },
  { name: 'a missing comma between JSON properties', file: 'elder-sync.json', text: '{"elder": {"url": "http://127.0.0.1:9"\n "token": "t"}}', expect: /elder-sync\.json:2:2: expected "," or "}" after the value of "url", found "\\""/ },
  { name: 'an unclosed JSON string', file: 'elder-sync.json', text: '{"elder": {"url": "http://127.0.0.1:9}}\n', expect: /elder-sync\.json:1:40: a string is not closed before the end of the line/ },
  { name: 'an unquoted JSON key', file: 'elder-sync.json', text: '{elder: {}}', expect: /elder-sync\.json:1:2: expected a property name in double quotes, found "e"/ },
  { name: 'JSON cut off mid-document', file: 'elder-sync.json', text: '{"elder": {"url": "http://127.0.0.1:9", "token":', expect: /elder-sync\.json:1:49: expected a value, found the end of the file/ },
  { name: 'a JSON number with a leading zero', file: 'elder-sync.json', text: '{"elder": {"url": "http://127.0.0.1:9", "token": "t", "concurrency": 08}}', expect: /elder-sync\.json:1:70: invalid number "08" \(JSON numbers have no leading zeros/ },
  { name: 'text after the JSON document', file: 'elder-sync.json', text: '{"elder": {}}\n{"sources": []}\n', expect: /elder-sync\.json:2:1: unexpected "{" after the end of the JSON document/ },
  { name: 'a JSON list instead of an object', file: 'elder-sync.json', text: '[{"elder": {}}]', expect: /elder-sync\.json: holds a list; it must be a mapping with elder, state and sources at the top/ },
  { name: 'a duplicate top-level JSON key', file: 'elder-sync.json', text: '{\n  "elder": {"url": "http://127.0.0.1:9", "token": "t"},\n  "elder": {"url": "http://127.0.0.1:9", "token": "u"}\n}', expect: /elder-sync\.json:3:3: duplicate key "elder" in the top-level object \(first at line 2\); keep only one/ },
  { name: 'a duplicate nested JSON key', file: 'elder-sync.json', text: '{"elder": {"url": "http://127.0.0.1:9",\n "token": "t",\n "url": "http://127.0.0.1:10"}}', expect: /elder-sync\.json:3:2: duplicate key "url" in elder \(first at line 1\); keep only one/ },
  { name: 'every duplicate JSON key named', file: 'elder-sync.json', text: '{"elder": {"url": "http://127.0.0.1:9", "token": "t", "token": "u"},\n "sources": [{"name": "a", "connector": "ldap", "name": "b"}]}', expect: /duplicate key "token" in elder[\s\S]*duplicate key "name" in sources\[0\]/ },
  { name: 'a __proto__ key in JSON', file: 'elder-sync.json', text: '{"elder": {"url": "http://127.0.0.1:9", "token": "t"}, "__proto__": {"polluted": true}}', expect: /error: __proto__: "__proto__" is not a configuration key .*remove it/ },
  { name: 'JSON nested 1000 levels deep', file: 'elder-sync.json', text: '{"elder": ' + '['.repeat(1000) + ']'.repeat(1000) + '}', expect: /elder-sync\.json:1:\d+: nesting deeper than 200 levels/ },
  { name: 'an escape JSON does not have', file: 'elder-sync.json', text: '{"elder": {"url": "http:\\/\\/x\\q"}}', expect: /elder-sync\.json:1:\d+: invalid escape "\\\\q" in a string/ },
];

const KEY_CASES: Case[] = [
  { name: 'a duplicate top-level YAML key', text: `${MINIMAL}${MINIMAL}`, expect: /elder-sync\.yaml:4:1: duplicate key "elder" in the top-level mapping \(first at line 1\); keep only one/ },
  { name: 'a duplicate key in a YAML source', text: `${MINIMAL}sources:\n  - name: corp\n    connector: ldap\n    connector: aws\n`, expect: /elder-sync\.yaml:7:5: duplicate key "connector" in sources\[0\] \(first at line 6\); keep only one/ },
  { name: 'every duplicate YAML key named', text: `${MINIMAL}  token: again\nsources:\n  - name: a\n    name: b\n`, expect: /duplicate key "token" in elder[\s\S]*duplicate key "name" in sources\[0\]/ },
  { name: 'a duplicate key next to a syntax error', text: `${MINIMAL}  url: again\nsources: [\n`, expect: /elder-sync\.yaml:4:3: duplicate key "url" in elder[\s\S]*elder-sync\.yaml:\d+:\d+: .*\(YAML syntax\)/ },
  { name: 'a top-level __proto__ key', text: `${MINIMAL}__proto__:\n  polluted: yes\n`, expect: /^error: __proto__: "__proto__" is not a configuration key \(it names a JavaScript prototype and is never read\); remove it$/m },
  { name: 'a __proto__ key inside elder', text: `${MINIMAL}  __proto__: { admin: true }\n`, expect: /error: elder\.__proto__: "__proto__" is not a configuration key/ },
  { name: 'a constructor key in a source', text: `${MINIMAL}${SOURCE}    constructor: x\n`, expect: /error: sources\[0\]\.constructor: "constructor" is not a configuration key/ },
  { name: 'a prototype key in a connector block', text: `${MINIMAL}sources:\n  - name: corp\n    connector: ldap\n    config: { prototype: { x: 1 } }\n`, expect: /error: sources\[0\]\.config\.prototype: "prototype" is not a configuration key/ },
];

const SCHEDULE_CASES: Case[] = [
  { name: 'a cron minute of 61', text: base({}, { schedule: '61 * * * *' }), expect: /sources\[0\]\.schedule: "61 \* \* \* \*" is not a cron expression the scheduler accepts \(Invalid value for minute: 61\); use 5 fields/ },
  { name: 'a cron hour of 25', text: base({}, { schedule: '0 25 * * *' }), expect: /sources\[0\]\.schedule: .*\(Invalid value for hour: 25\); use 5 fields/ },
  { name: 'a cron day of 32', text: base({}, { schedule: '0 0 32 * *' }), expect: /sources\[0\]\.schedule: .*Invalid value for day.*; use 5 fields/ },
  { name: 'a cron month of 13', text: base({}, { schedule: '0 0 1 13 *' }), expect: /sources\[0\]\.schedule: .*Invalid value for month.*; use 5 fields/ },
  { name: 'a cron expression of four fields', text: base({}, { schedule: '*/5 * * *' }), expect: /sources\[0\]\.schedule: .*exactly five or six space separated parts.*such as "\*\/15 \* \* \* \*"/ },
  { name: 'a cron expression of seven fields', text: base({}, { schedule: '0 0 0 * * * 2030' }), expect: /sources\[0\]\.schedule: .*five or six/ },
  { name: 'a cron date that never comes (30 February)', text: base({}, { schedule: '0 0 30 2 *' }), expect: /sources\[0\]\.schedule: "0 0 30 2 \*" never fires \(no such date\); fix the day and month fields/ },
  { name: 'an @reboot schedule', text: base({}, { schedule: '@reboot' }), expect: /sources\[0\]\.schedule: "@reboot" is not a cron expression the scheduler accepts/ },
  { name: 'a schedule given as a number', text: base({}, { schedule: 15 }), expect: /sources\[0\]\.schedule: must be a string \(got 15\)/ },
  { name: 'an interval of 0 seconds', text: base({}, { interval: 0 }), expect: /sources\[0\]\.interval: must be at least 1 \(got 0\)/ },
];

const EMPTY_SOURCE_CASES: Case[] = [
  { name: 'sources: [] for run', args: ['run'], text: noSources, expect: /^error: sources: no sources are configured, so there is nothing to sync; add one under sources:/m },
  { name: 'sources: [] for diff', args: ['diff'], text: noSources, expect: /error: sources: no sources are configured.*add one under sources:/ },
  { name: 'sources: [] for test-connectivity', args: ['test-connectivity'], text: noSources, expect: /error: sources: no sources are configured.*add one/ },
  { name: 'sources: [] for run --all --dry-run', args: ['run', '--all', '--dry-run'], text: noSources, expect: /error: sources: no sources are configured/ },
  { name: 'no sources key at all for run', args: ['run'], text: yamlOf({ elder: { url: ELDER, token: '${ELDER_TOKEN}' } }), expect: /error: sources: no sources are configured/ },
  { name: 'sources: [] for the daemon', args: ['daemon', '--listen', '127.0.0.1:0'], text: noSources, expect: /error: sources: no sources are configured/ },
  { name: 'sources left empty (null)', args: ['run'], text: `${MINIMAL}sources:\n`, expect: /sources: must be a list/ },
];

const SIZE_CASES: Case[] = [
  {
    name: '100 000 broken list entries',
    file: 'elder-sync.json',
    text: JSON.stringify({ elder: { url: ELDER, token: '${ELDER_TOKEN}' }, sources: Array.from({ length: 100_000 }, () => ({ name: 'BAD NAME', connector: 'ldap', deletes: 'purge' })) }),
    expect: /sources\[0\]\.name: must be lower-case[\s\S]*error: and \d+ more problems like these; fix the ones above and validate again$/m,
    maxBytes: 8000,
  },
  { name: '5 000 unknown LDAP kinds', args: ['run', '--dry-run'], text: base({}, {}, { kinds: Array.from({ length: 5000 }, (_, i) => `kind${i}`) }), expect: /sources\[0\]\.config\.kinds\[0\]: [\s\S]*and \d+ more problems like these/, maxBytes: 8000 },
];

const FIELD_CASES: Case[] = [
  { name: 'an empty state.path', text: yamlOf({ elder: { url: ELDER, token: '${ELDER_TOKEN}' }, state: { path: '' } }), expect: /state\.path: must not be empty/ },
  { name: 'an unknown key in state', text: yamlOf({ elder: { url: ELDER, token: '${ELDER_TOKEN}' }, state: { file: 'x.db' } }), expect: /state\.file: unknown key; known keys: path/ },
  { name: 'a daemon.listen without a port', text: yamlOf({ elder: { url: ELDER, token: '${ELDER_TOKEN}' }, daemon: { listen: 'localhost' } }), expect: /daemon\.listen: must be host:port, e\.g\. 127\.0\.0\.1:9464/ },
  { name: 'a negative daemon.jitterSeconds', text: yamlOf({ elder: { url: ELDER, token: '${ELDER_TOKEN}' }, daemon: { jitterSeconds: -1 } }), expect: /daemon\.jitterSeconds: must be at least 0 \(got -1\)/ },
  { name: 'an unknown key in daemon (typo)', text: yamlOf({ elder: { url: ELDER, token: '${ELDER_TOKEN}' }, daemon: { runOnStartup: true } }), expect: /daemon\.runOnStartup: unknown key; did you mean "runOnStart"\?/ },
  { name: 'elder.maxAttempts of 0', text: base({ maxAttempts: 0 }), expect: /elder\.maxAttempts: must be at least 1 \(got 0\)/ },
  { name: 'createMissingOrganizations as text', text: base({ createMissingOrganizations: 'yes please' }), expect: /elder\.createMissingOrganizations: must be true or false \(got "yes please"\)/ },
  { name: 'a typo in a type override key', text: base({}, { types: { user: { entitytype: 'identity' } } }), expect: /sources\[0\]\.types\.user\.entitytype: unknown key; did you mean "entityType"\?/ },
  { name: 'a secret put where the URL goes', text: base({ url: '${ELDER_TOKEN}' }), expect: /elder\.url: must be an http:\/\/ or https:\/\/ URL/ },
  { name: 'a negative organization id', text: base({ organization: { id: -4 } }), expect: /elder\.organization\.id: must be at least 1 \(got -4\)/ },
  { name: 'an unknown key in the organization', text: base({ organization: { name: 'Acme' } }), expect: /elder\.organization\.name: unknown key/ },
  { name: 'a source organization with both path and id', text: base({}, { organization: { path: ['A'], id: 2 } }), expect: /sources\[0\]\.organization: give either path or id, not both/ },
  { name: 'a $schema that is not text', text: yamlOf({ $schema: 42, elder: { url: ELDER, token: '${ELDER_TOKEN}' } }), expect: /\$schema: must be a string \(got 42\)/ },
  { name: 'a source that is a bare name', text: yamlOf({ elder: { url: ELDER, token: '${ELDER_TOKEN}' }, sources: ['corp'] }), expect: /sources\[0\]: must be a mapping \(key: value\) \(got "corp"\)/ },
  { name: 'an empty token', text: base({ token: '' }), expect: /elder\.token: must not be empty/ },
  { name: 'an alias to an anchor that does not exist', text: `${MINIMAL}sources: *nosuch\n`, expect: /elder-sync\.yaml(:\d+:\d+)?: .*(alias|anchor).*\(YAML syntax\)/i },
  { name: 'an alias bomb (billion laughs)', text: 'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nelder: *e\n', expect: /elder-sync\.yaml: .*alias.*\(YAML syntax\)/i },
  { name: 'maxDeletePercent as text', text: base({}, { maxDeletePercent: 'twenty' }), expect: /sources\[0\]\.maxDeletePercent: must be a number \(got "twenty"\)/ },
  { name: 'a source concurrency of 0', text: base({}, { concurrency: 0 }), expect: /sources\[0\]\.concurrency: must be at least 1 \(got 0\)/ },
];

const CASES: Case[] = [
  ...ENCODING_CASES,
  ...JSON_CASES,
  ...KEY_CASES,
  ...SCHEDULE_CASES,
  ...EMPTY_SOURCE_CASES,
  ...SIZE_CASES,
  ...FIELD_CASES,
  // File and syntax.
  { name: 'YAML syntax error', text: 'elder: [\n', expect: /elder-sync\.yaml:\d+:\d+: .*/ },
  { name: 'tab indentation', text: 'elder:\n\turl: x\n', expect: /elder-sync\.yaml:\d+:\d+/ },
  { name: 'an empty file', text: '', expect: /elder: required|empty/ },
  { name: 'a YAML scalar instead of a mapping', text: 'hello\n', expect: /elder-sync\.yaml: holds a single text value; it must be a mapping with elder, state and sources/ },
  { name: 'a list instead of a mapping', text: '- a\n- b\n', expect: /elder-sync\.yaml: holds a list; it must be a mapping with elder, state and sources/ },
  { name: 'JSON syntax error', file: 'elder-sync.json', text: '{"elder": {"url": }', expect: /elder-sync\.json:1:19: expected a value, found "}" \(JSON syntax\)/ },
  { name: 'a config file that does not exist', rawArgs: ['config', 'validate', '--config', 'missing.yaml'], expect: /missing\.yaml/ },
  { name: 'a directory as the config file', rawArgs: ['config', 'validate', '--config', 'adir'], expect: /adir/ },
  { name: 'bytes that are not UTF-8', text: Buffer.concat([Buffer.from('elder:\n  url: "'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"\n')]), expect: /elder-sync\.yaml:2:9: byte 0xFF .*save it as UTF-8/ },
  { name: 'a NUL byte in the file', text: 'elder:\n  url: "https://e\u0000x"\n  token: t\n', expect: /elder-sync\.yaml:2:18: a NUL byte \(U\+0000\) is in the file; .*remove it/ },
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
  { name: 'a schedule that is not cron', text: base({}, { schedule: 'every hour' }), expect: /sources\[0\]\.schedule: "every hour" is not a cron expression the scheduler accepts/ },
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

it('the corpus holds at least 100 configuration cases', () => {
  const configCases = CASES.filter((c) => c.rawArgs === undefined || c.rawArgs.includes('--config'));
  expect(configCases.length).toBeGreaterThanOrEqual(100);
  expect(new Set(CASES.map((c) => c.name)).size, 'case names are unique').toBe(CASES.length);
});

describe.concurrent.each(CASES.map((c, i) => ({ ...c, i })))('bad config: $name', (c) => {
  it('exits 64 with a one-paragraph message naming the path, and no stack trace', async () => {
    const dir = join(work.dir, `case-${c.i}`);
    mkdirSync(dir, { recursive: true });
    mkdirSync(join(dir, 'adir'), { recursive: true });
    const file = c.file ?? 'elder-sync.yaml';
    if (c.text !== undefined) writeFileSync(join(dir, file), c.text);
    const args = c.rawArgs ?? [...(c.args ?? ['config', 'validate']), '--config', file];
    const r = await runCli(args, { cwd: dir, env: cliEnv(join(dir, 'data'), { ELDER_SYNC_LOG_FORMAT: 'json', ...SECRETS, ...c.env }), timeoutMs: 60_000 });
    const context = `case "${c.name}": exit ${r.code}\nstderr:\n${r.stderr.slice(0, 6000)}\nstdout:\n${r.stdout.slice(0, 2000)}`;
    expect(r.code, context).toBe(64);
    expect(r.stderr, context).toMatch(c.expect);
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    // One paragraph: error lines only (warnings allowed), no blank line between them, bounded size.
    expect(lines.every((l) => /^(error|warning): /.test(l)), context).toBe(true);
    expect(r.stderr.trimEnd().includes('\n\n'), context).toBe(false);
    expect(r.stderr.length, context).toBeLessThan(c.maxBytes ?? 4000);
    // No stack trace and no internals, on either stream.
    expect(r.stderr + r.stdout, context).not.toMatch(/^\s+at .+\(|node:internal|\.js:\d+:\d+\)?$/m);
    // No secret value, whatever the mistake.
    for (const secret of Object.values(SECRETS)) expect(r.stderr + r.stdout, context).not.toContain(secret);
  });
});
