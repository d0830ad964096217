import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startElderEmulator, startSlapd, type ElderEmulator, type SlapdPeer } from '@elder-sync/testkit';
import { assertBuilt, scratch, type CliResult } from '../testing/cli.js';
import { ldapProject } from '../testing/config.js';

/**
 * Bad-input corpus, data side (issue 4): hostile values in a real directory, synced by the built
 * CLI. Each either syncs verbatim (Elder takes it) or with a safe cut and a warning naming the
 * record; never a crash, a stack trace, a failed scope or an entity without its stamp, and the next
 * diff is empty. (NUL, lone surrogates and 10 MB values are covered through the engine in
 * core/src/reliability/hostile-values.test.ts: slapd refuses invalid UTF-8 and, by default, requests
 * over 4 MB.)
 */

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const HUGE = 'T'.repeat(2 * 1024 * 1024);
const LONG_CN = 'L'.repeat(300);

function person(dn: string, uid: string, cn: string, extra = ''): string {
  return `dn: ${dn}\nobjectClass: inetOrgPerson\nuid: ${uid}\ncn:: ${b64(cn)}\nsn: S\n${extra}\n`;
}

let slapd: SlapdPeer;
let elder: ElderEmulator;
let work: { dir: string; cleanup: () => void };
let cli: (args: string[]) => Promise<CliResult>;

beforeAll(async () => {
  assertBuilt();
  work = scratch('elder-sync-hostile-ldap');
  slapd = await startSlapd();
  const ou = `ou=hostile,${slapd.baseDn}`;
  await slapd.add(
    `dn: ${ou}\nobjectClass: organizationalUnit\nou: hostile\n\n` +
      person(`uid=ctrl,${ou}`, 'ctrl', 'Ctrl\n\t\u001b[31mred') +
      person(`uid=meta,${ou}`, 'meta', '*)(uid=*))(|(uid=*', 'title: (&(objectClass=*)(cn=\\2a))\n') +
      // The RDN value "x,dc=evil" escaped: an entry whose DN looks like it escapes its OU.
      person(`uid=x\\2Cdc\\3Devil,${ou}`, 'x,dc=evil', 'cn=admin,dc=evil') +
      person(`uid=long,${ou}`, 'long', LONG_CN) +
      person(`uid=huge,${ou}`, 'huge', 'Huge Title', `title: ${HUGE}\n`) +
      // An OU name that looks like a DN and a path.
      `dn: ou=a / b\\2C dc\\3Devil,${ou}\nobjectClass: organizationalUnit\nou: a / b, dc=evil\n\n` +
      person(`uid=deep,ou=a / b\\2C dc\\3Devil,${ou}`, 'deep', 'Deep'),
  );
  elder = await startElderEmulator();
  cli = ldapProject(work.dir, slapd, elder);
});

afterAll(async () => {
  await slapd?.stop();
  await elder?.close();
  work?.cleanup();
});

describe('hostile values in a real directory, through the CLI', () => {
  it('syncs them safely with warnings, and the next diff is empty', async () => {
    const r = await cli(['run']);
    const context = `exit ${r.code}\nstderr:\n${r.stderr.slice(0, 4000)}`;
    expect(r.code, context).toBe(0);
    expect(r.stderr + r.stdout, context).not.toMatch(/^\s+at .+\(|node:internal/m);
    expect(r.stderr.length, 'a 2 MB value must not be echoed into the log').toBeLessThan(200_000);

    const byUid = new Map(elder.entities().map((e) => [(e['metadata'] as Record<string, unknown>)['uid'], e]));
    expect(elder.entities().every((e) => (e['metadata'] as Record<string, unknown> | null)?.['elder_sync'])).toBe(true);
    expect(byUid.get('ctrl')?.['name']).toBe('Ctrl\n\t\u001b[31mred');
    expect(byUid.get('meta')?.['name']).toBe('*)(uid=*))(|(uid=*');
    expect((byUid.get('meta')?.['metadata'] as Record<string, unknown>)['title']).toBe('(&(objectClass=*)(cn=\\2a))');
    expect(byUid.get('x,dc=evil')?.['name']).toBe('cn=admin,dc=evil');
    expect(byUid.get('long')?.['name']).toBe('L'.repeat(254) + '…');
    expect(((byUid.get('huge')?.['metadata'] as Record<string, unknown>)['title'] as string).length).toBe(64 * 1024);
    // The DN-looking OU is an organization with that literal name, inside the root.
    const orgs = elder.organizations();
    const odd = orgs.find((o) => o['name'] === 'a / b, dc=evil');
    expect(odd, JSON.stringify(orgs.map((o) => o['name']))).toBeDefined();
    expect(byUid.get('deep')?.['organization_id']).toBe(odd!['id']);
    expect(orgs.some((o) => o['name'] === 'evil' || o['name'] === 'dc=evil')).toBe(false);

    const warnings = r.stderr.split('\n').filter((l) => l.includes('made safe for Elder'));
    expect(warnings.some((l) => l.includes('/user/') && l.includes('truncated')), context).toBe(true);
    expect(warnings.some((l) => l.includes('attributes title')), context).toBe(true);
    // The control characters are escaped in the plan, never sent raw to a terminal.
    expect(r.stdout).not.toContain('\u001b[31m');

    const again = await cli(['diff', '--detailed-exitcode']);
    expect(again.code, again.stdout + again.stderr.slice(0, 2000)).toBe(0);
  });
});
