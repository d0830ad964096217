import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_LDIF, startElderEmulator, startSlapd, type ElderEmulator, type SlapdPeer } from '@elder-sync/testkit';
import { assertBuilt, cliEnv, runCli, scratch, type CliResult } from '../testing/cli.js';
import { ldapConfig, passwordAuth, writeConfig } from '../testing/config.js';

/**
 * Plans people can trust (DESIGN §5.3): byte-stable text, a JSON document that validates against
 * the committed schema, Markdown for merge requests, a saved plan that `apply` carries out exactly
 * or refuses when Elder moved, and `--adopt` over the Python worker's data.
 */

const PLAN_SCHEMA = join(import.meta.dirname, '../../../core/plan.schema.json');

let slapd: SlapdPeer;
let elder: ElderEmulator;
let work: { dir: string; cleanup: () => void };

beforeAll(async () => {
  assertBuilt();
  work = scratch('elder-sync-plans');
  slapd = await startSlapd({ ldif: [SAMPLE_LDIF] });
  elder = await startElderEmulator();
  writeConfig(join(work.dir, 'elder-sync.yaml'), {
    elder: { url: elder.url, ...passwordAuth(), organization: { path: ['Acme'] } },
    state: { path: './state.db' },
    sources: [{ name: 'corp', connector: 'ldap', config: ldapConfig(slapd) }],
  });
});

afterAll(async () => {
  await elder?.close();
  await slapd?.stop();
  work?.cleanup();
});

function cli(args: string[]): Promise<CliResult> {
  return runCli([...args, '--config', 'elder-sync.yaml'], {
    cwd: work.dir,
    env: cliEnv(join(work.dir, 'data'), { ELDER_PASSWORD: 'admin123', LDAP_PW: slapd.bindPassword }),
    timeoutMs: 120_000,
  });
}

const keys = () => elder.entities().map((e) => (e['metadata'] as { elder_sync?: { key?: string } } | null)?.elder_sync?.key);

describe('the plan', () => {
  it('prints identical bytes on two runs over unchanged inputs', async () => {
    const first = await cli(['diff']);
    const second = await cli(['diff']);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Plan: 23 to create, 0 to update, 0 to delete, 0 unchanged.');
    expect(second.stdout).toBe(first.stdout);
  });

  it('as JSON validates against the committed JSON Schema', async () => {
    const json = await cli(['diff', '--format', 'json']);
    expect(json.code).toBe(0);
    const validate = new Ajv2020({ strict: false }).compile(JSON.parse(readFileSync(PLAN_SCHEMA, 'utf8')));
    const plan = JSON.parse(json.stdout);
    expect(validate(plan), JSON.stringify(validate.errors)).toBe(true);
    expect(plan.formatVersion).toBe(1);
  });

  it('as Markdown puts the summary first and one collapsible section per source', async () => {
    const md = await cli(['diff', '--format', 'markdown']);
    expect(md.code).toBe(0);
    const lines = md.stdout.split('\n');
    expect(lines[0]).toBe('### elder-sync plan');
    expect(lines[2]).toBe('**Plan: 23 to create, 0 to update, 0 to delete, 0 unchanged.**');
    expect(md.stdout).toContain('<details><summary>corp — ');
    expect(md.stdout).toContain('```diff\n# corp · root organization\n+ organization "Acme"\n');
    expect(md.stdout).toMatch(/\n# corp · ldap:[^\n]+\n\+ group "engineering"/);
  });
});

describe('a saved plan', () => {
  it('is applied exactly by apply, after which there is nothing left to do', async () => {
    const saved = await cli(['diff', '--out', 'plan.json', '--detailed-exitcode']);
    expect(saved.code).toBe(2);
    expect(statSync(join(work.dir, 'plan.json')).mode & 0o777).toBe(0o600);
    expect(elder.stats().writes).toBe(0);
    const applied = await cli(['apply', 'plan.json']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(elder.entities()).toHaveLength(14);
    expect(elder.organizations()).toHaveLength(9);
    expect((await cli(['diff', '--detailed-exitcode'])).code).toBe(0);
  });

  it('is refused, naming the objects that moved, when Elder changed underneath it', async () => {
    await slapd.modify(`dn: uid=bob,ou=Engineering,ou=People,ou=Corp,${slapd.baseDn}\nchangetype: modify\nreplace: mail\nmail: robert@example.test\n`);
    expect((await cli(['diff', '--out', 'stale.json'])).code).toBe(0);
    const bob = elder.entities().find((e) => e['name'] === 'Bob Baker')!;
    await fetch(`${elder.url}/api/v1/entities/${bob['id']}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Bob (renamed by hand)' }),
    });
    const before = elder.stats().writes;
    const refused = await cli(['apply', 'stale.json']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`user "Bob Baker" (#${bob['id']}): changed in Elder since the plan`);
    expect(refused.stderr).toContain('nothing was applied');
    expect(elder.stats().writes).toBe(before);

    // A fresh plan applies exactly: the mail change, and the name back from the hand edit.
    expect((await cli(['diff', '--out', 'fresh.json'])).code).toBe(0);
    const fresh = JSON.parse(readFileSync(join(work.dir, 'fresh.json'), 'utf8'));
    expect(fresh.changes.map((c: { action: string; name: string }) => `${c.action} ${c.name}`)).toEqual(['update Bob Baker']);
    const applied = await cli(['apply', 'fresh.json']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(elder.entities().find((e) => e['id'] === bob['id'])).toMatchObject({ name: 'Bob Baker', metadata: expect.objectContaining({ email: 'robert@example.test' }) });
  });

  it('that is not a plan document exits 64 with one line saying so', async () => {
    writeFileSync(join(work.dir, 'not-a-plan.json'), '{"hello": "world"}');
    const r = await cli(['apply', 'not-a-plan.json']);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/^error: formatVersion: .*not an elder-sync plan document/m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('adoption of the Python worker’s data', () => {
  it('takes over matching entities with --adopt and creates no duplicates', async () => {
    elder.reset();
    // The worker's LDAP output (elder-api.md §10.2): its own organization, type `user`, ldap_dn and email.
    const worker = elder.seedOrganization({ name: 'LDAP: ldap.example.test' });
    const seeded = [
      ['Alice Archer', 'alice', 'Engineering'],
      ['Bob Baker', 'bob', 'Engineering'],
      ['Carol Chen', 'carol', 'Sales'],
    ] as const;
    for (const [name, uid, ou] of seeded) {
      elder.seedEntity({
        name,
        entity_type: 'user',
        organization_id: worker['id'] as number,
        attributes: { cn: name, uid, email: `${uid}@example.test`, ldap_dn: `uid=${uid},ou=${ou},ou=People,ou=Corp,${slapd.baseDn}`, ldap_server: 'ldap.example.test' },
      });
    }
    rmState();
    const plan = await cli(['diff', '--adopt']);
    expect(plan.stdout).toMatch(/~ user "Alice Archer" \(#\d+\) adopted \(matched on ldap_dn\)/);
    const run = await cli(['run', '--adopt']);
    expect(run.code, run.stderr).toBe(0);
    const all = keys();
    expect(all.filter((k) => k === undefined)).toEqual([]);
    expect(new Set(all).size).toBe(all.length);
    expect(elder.entities()).toHaveLength(14);
    expect(elder.entities().filter((e) => e['name'] === 'Alice Archer')).toHaveLength(1);
    expect((await cli(['diff', '--detailed-exitcode'])).code).toBe(0);
  });
});

describe('adoption matches the way the connector compares', () => {
  it('a plain diff names the look-alikes; --adopt takes a DN differing only in case, and leaves an ambiguous pair alone, warning', async () => {
    elder.reset();
    const worker = elder.seedOrganization({ name: 'LDAP: ldap.example.test' });
    const seed = (name: string, attributes: Record<string, unknown>) =>
      elder.seedEntity({ name, entity_type: 'user', organization_id: worker['id'] as number, attributes: { cn: name, ldap_server: 'ldap.example.test', ...attributes } });
    const base = slapd.baseDn.toUpperCase();
    // LDAP compares DNs (and mail) case-folded: this is Carol.
    const carol = seed('Carol Chen', { email: 'CAROL@EXAMPLE.TEST', ldap_dn: `UID=carol,OU=Platform,OU=ENGINEERING,ou=People,OU=Corp,${base}` });
    const bob = seed('Bob Baker', { email: 'bob@example.test', ldap_dn: `uid=bob,ou=Engineering,ou=People,ou=Corp,${slapd.baseDn}` });
    // Two unowned entities with one key: which is Alice is for a person to say.
    const alices = [1, 2].map(() => seed('Alice Archer', { email: 'alice@example.test', ldap_dn: `uid=alice,ou=Engineering,ou=People,ou=Corp,${slapd.baseDn}` }));
    rmState();

    const plain = await cli(['diff']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain(`  + user "Carol Chen" (unowned look-alike #${carol['id']} matches on ldap_dn; --adopt would take it over)`);
    expect(plain.stdout).toContain(`  + user "Bob Baker" (unowned look-alike #${bob['id']} matches on ldap_dn; --adopt would take it over)`);
    expect(plain.stdout).toContain(`  + user "Alice Archer" (not adopted: 2 unowned entities (#${alices[0]!['id']}, #${alices[1]!['id']}) match on ldap_dn; ambiguous)`);
    expect(plain.stderr).toMatch(/2 record\(s\) to create match an unowned Elder entity on a natural key.*--adopt/);

    const run = await cli(['run', '--adopt']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('not adopted: several unowned Elder entities match this record');
    const named = (name: string) => elder.entities().filter((e) => e['name'] === name);
    expect(named('Carol Chen').map((e) => e['id'])).toEqual([carol['id']]);
    expect(named('Bob Baker').map((e) => e['id'])).toEqual([bob['id']]);
    // The ambiguous pair is left as it was, unowned; Alice is created once.
    const stamped = (e: Record<string, unknown>) => Boolean((e['metadata'] as { elder_sync?: unknown } | null)?.elder_sync);
    expect(named('Alice Archer').filter((e) => !stamped(e)).map((e) => e['id']).sort()).toEqual(alices.map((a) => a['id']).sort());
    expect(named('Alice Archer').filter(stamped)).toHaveLength(1);
    expect((await cli(['diff', '--detailed-exitcode'])).code).toBe(0);
  });
});

/** Elder was reset (ids start again at 1): start from empty state too. */
function rmState(): void {
  for (const f of ['state.db', 'state.db-wal', 'state.db-shm']) rmSync(join(work.dir, f), { force: true });
}
