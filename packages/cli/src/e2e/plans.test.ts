import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlanSigner, StateStore } from '@elder-sync/core';
import { SAMPLE_LDIF, startElderEmulator, startSlapd, type ElderEmulator, type SlapdPeer } from '@elder-sync/testkit';
import { assertBuilt, scratch, type CliResult } from '../testing/cli.js';
import { ldapProject } from '../testing/config.js';

/**
 * Plans people can trust (DESIGN §5.3): byte-stable text, a JSON document that validates against
 * the committed schema, Markdown for merge requests, a saved plan that `apply` carries out exactly
 * or refuses when Elder moved, and `--adopt` over the Python worker's data.
 */

const PLAN_SCHEMA = join(import.meta.dirname, '../../../core/plan.schema.json');

let slapd: SlapdPeer;
let elder: ElderEmulator;
let work: { dir: string; cleanup: () => void };
let cli: (args: string[]) => Promise<CliResult>;

beforeAll(async () => {
  assertBuilt();
  work = scratch('elder-sync-plans');
  slapd = await startSlapd({ ldif: [SAMPLE_LDIF] });
  elder = await startElderEmulator();
  cli = ldapProject(work.dir, slapd, elder, { jsonLogs: false });
});

afterAll(async () => {
  await elder?.close();
  await slapd?.stop();
  work?.cleanup();
});

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

  it('shows its digest when saved and when applied, so a reviewer can match them', async () => {
    const saved = await cli(['diff', '--out', 'digest.json']);
    const md = await cli(['diff', '--out', 'digest-md.json', '--format', 'markdown']);
    const digest = /digest ([0-9a-f]{12});/.exec(saved.stdout)?.[1];
    expect(digest, saved.stdout).toBeDefined();
    expect(JSON.parse(readFileSync(join(work.dir, 'digest.json'), 'utf8')).signature.digest.startsWith(digest)).toBe(true);
    expect(md.stdout).toMatch(/plan digest \*\*`[0-9a-f]{12}`\*\*/);
    const applied = await cli(['apply', 'digest.json']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain(`digest ${digest} verified`);
  });

  it('that is not a plan document exits 64 with one line saying so', async () => {
    writeFileSync(join(work.dir, 'not-a-plan.json'), '{"hello": "world"}');
    const r = await cli(['apply', 'not-a-plan.json']);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/^error: formatVersion: .*not an elder-sync plan document/m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('a tampered plan', () => {
  /** A signed plan with an update (alice), a create (zoe) and a delete (judy), made in beforeAll. */
  let base: string;
  let foreignId: number;

  const doc = () => JSON.parse(base) as { formatVersion: number; sources: Array<{ name: string }>; changes: Array<Record<string, any>>; signature?: unknown }; // eslint-disable-line @typescript-eslint/no-explicit-any
  const change = (d: ReturnType<typeof doc>, action: string) => d.changes.find((c) => c['action'] === action && c['target'] === 'entity')!;
  const reformat = (d: unknown) => JSON.stringify(d, null, 2) + '\n';
  /** Signs a document with the state's own key: what only someone holding the state could do. */
  const resign = (d: ReturnType<typeof doc>) => {
    const { signature: _, ...rest } = d;
    const body = JSON.stringify(rest, null, 2).replace(/\n\}$/, '');
    const store = StateStore.open(join(work.dir, 'state.db'));
    try {
      const signer = createPlanSigner(store.planKey(false)!);
      signer.update(body);
      return body + signer.finish().trailer;
    } finally {
      store.close();
    }
  };
  const snapshot = () => JSON.stringify({ e: elder.entities(), o: elder.organizations(), d: elder.dependencies() });

  beforeAll(async () => {
    const people = `ou=People,ou=Corp,${slapd.baseDn}`;
    await slapd.modify(`dn: uid=alice,ou=Engineering,${people}\nchangetype: modify\nreplace: title\ntitle: Principal Engineer\n`);
    await slapd.add(`dn: uid=zoe,ou=Sales,${people}\nobjectClass: inetOrgPerson\nuid: zoe\ncn: Zoe Zimmer\nsn: Zimmer\nmail: zoe@example.test\n`);
    await slapd.delete(`uid=judy,ou=Former,${people}`);
    const saved = await cli(['diff', '--out', 'base.json']);
    expect(saved.code, saved.stderr).toBe(0);
    base = readFileSync(join(work.dir, 'base.json'), 'utf8');
    expect(doc().changes.map((c) => c['action']).sort()).toEqual(expect.arrayContaining(['create', 'delete', 'update']));
    // Someone else's entity in the same organization: no stamp, not ours.
    const alice = elder.entities().find((e) => e['name'] === 'Alice Archer')!;
    foreignId = elder.seedEntity({ name: 'Payroll DB', entity_type: 'storage', sub_type: 'database', organization_id: alice['organization_id'] as number })['id'] as number;
  });

  const CASES: Array<{ name: string; text: () => string; code: number; expect: RegExp }> = [
    { name: 'an update turned into a delete', code: 1, expect: /base-[0-9]+\.json was modified after "elder-sync diff" wrote it: its content no longer matches its signature.*nothing was applied/, text: () => { const d = doc(); const u = change(d, 'update'); u['action'] = 'delete'; u['after'] = null; u['afterHash'] = null; return reformat(d); } },
    { name: 'edited after values (name and a new attribute)', code: 1, expect: /was modified after "elder-sync diff" wrote it/, text: () => { const d = doc(); const u = change(d, 'update'); u['after'].name = 'Evil Dave'; u['after'].attributes.owner = 'evil'; return reformat(d); } },
    { name: 'an invented create', code: 1, expect: /was modified after "elder-sync diff" wrote it/, text: () => { const d = doc(); const c = structuredClone(change(d, 'create')); c['key'] = 'corp/user/db-prod-01'; c['name'] = 'db-prod-01'; c['after'].name = 'db-prod-01'; d.changes.push(c); return reformat(d); } },
    { name: 'the id of a foreign object', code: 1, expect: /was modified after "elder-sync diff" wrote it/, text: () => { const d = doc(); change(d, 'update')['elderId'] = foreignId; return reformat(d); } },
    { name: 'a changed content hash', code: 1, expect: /was modified after "elder-sync diff" wrote it/, text: () => base.replace(/"beforeHash": "[0-9a-f]{4}/, '"beforeHash": "0000') },
    { name: 'an unknown action', code: 1, expect: /was modified after "elder-sync diff" wrote it/, text: () => base.replace('"action": "update"', '"action": "explode"') },
    { name: 'a renamed source', code: 1, expect: /was modified after "elder-sync diff" wrote it/, text: () => base.replaceAll('"source": "corp"', '"source": "corp-renamed"') },
    { name: 'only re-indented', code: 1, expect: /was modified after "elder-sync diff" wrote it/, text: () => JSON.stringify(doc(), null, 4) },
    { name: 'a newer formatVersion', code: 64, expect: /^error: formatVersion: plan format 2 is not supported \(this elder-sync reads 1\); make the plan with this version$/m, text: () => base.replace('"formatVersion": 1', '"formatVersion": 2') },
    { name: 'truncated JSON', code: 64, expect: /base-[0-9]+\.json: is not a complete plan document .*it may be truncated/, text: () => base.slice(0, Math.floor(base.length / 2)) },
    { name: 'the signature removed', code: 1, expect: /carries no valid signature: only a plan saved by "elder-sync diff --out" can be applied, unmodified/, text: () => { const d = doc(); delete d.signature; return reformat(d); } },
    { name: 'changes smuggled in after the signature', code: 1, expect: /was modified after "elder-sync diff" wrote it/, text: () => base.replace(/\}\n$/, ', "changes": []}\n') },
    { name: 'a signature from a guessed key', code: 1, expect: /was signed with another state file's plan key/, text: () => { const { signature: _, ...rest } = doc(); const body = JSON.stringify(rest, null, 2).replace(/\n\}$/, ''); const signer = createPlanSigner(Buffer.alloc(32, 7)); signer.update(body); return body + signer.finish().trailer; } },
    // Signed with the state's own key: the checks that hold whatever a file says.
    { name: 're-signed: an update of a foreign object', code: 1, expect: /nothing was applied[\s\S]*\(#FOREIGN\): no longer in Elder/, text: () => { const d = doc(); change(d, 'update')['elderId'] = foreignId; return resign(d); } },
    { name: 're-signed: a delete of a foreign object passed off as a duplicate', code: 1, expect: /\(#FOREIGN\): not an object of source "corp" with this key \(its stamp says nothing\); never touched/, text: () => { const d = doc(); const del = change(d, 'delete'); del['elderId'] = foreignId; del['duplicate'] = true; return resign(d); } },
    { name: 're-signed: a renamed source', code: 1, expect: /nothing was applied[\s\S]*changes\[0\] \((create|update|delete) corp\/user\/[^)]+\): source "corp-renamed" is not among the plan's sources \(corp\)/, text: () => resign(JSON.parse(base.replaceAll('"source": "corp"', '"source": "corp-renamed"'))) },
    { name: 're-signed: a key of another source', code: 1, expect: /the key is not one of source "corp"/, text: () => { const d = doc(); change(d, 'create')['key'] = 'hr-ldap/user/mallory'; return resign(d); } },
    { name: 're-signed: a delete without its before values', code: 1, expect: /a delete without the values it was computed against \(before\)/, text: () => { const d = doc(); const u = change(d, 'update'); u['action'] = 'delete'; u['after'] = null; u['afterHash'] = null; u['before'] = null; u['beforeHash'] = null; return resign(d); } },
  ];

  it.each(CASES.map((c, i) => ({ ...c, i })))('is refused, naming what is wrong, and Elder is unchanged: $name', async (c) => {
    const file = `base-${c.i}.json`;
    writeFileSync(join(work.dir, file), c.text());
    const before = snapshot();
    const writes = elder.stats().writes;
    const r = await cli(['apply', file]);
    const context = `exit ${r.code}\nstderr:\n${r.stderr}\nstdout:\n${r.stdout}`;
    expect(r.code, context).toBe(c.code);
    expect(r.stderr.replaceAll(`#${foreignId}`, '#FOREIGN'), context).toMatch(c.expect);
    expect(r.stderr, context).not.toMatch(/\n\s+at /);
    expect(elder.stats().writes, context).toBe(writes);
    expect(snapshot(), context).toBe(before);
  });

  it('the untampered plan still applies exactly', async () => {
    const r = await cli(['apply', 'base.json']);
    expect(r.code, r.stderr).toBe(0);
    const names = elder.entities().map((e) => e['name']);
    expect(names).toContain('Zoe Zimmer');
    expect(names).not.toContain('Judy Jones');
    expect(names).toContain('Payroll DB');
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
