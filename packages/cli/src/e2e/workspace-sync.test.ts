import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WORKER_ENV_EXAMPLE, startElderEmulator, type ElderEmulator } from '@elder-sync/testkit';
import { startWorkspaceFake, WORKSPACE_READ_SCOPES, type WorkspaceFake } from '@elder-sync/testkit/google';
import { assertBuilt, cliEnv, runCli, scratch, type CliResult } from '../testing/cli.js';
import { passwordAuth, writeConfig } from '../testing/config.js';

/**
 * Issue 17's acceptance, end to end: the built CLI syncs a Google Workspace (the testkit's loopback
 * token endpoint and Directory API, every listing paged) into the Elder emulator. One directory, one
 * Elder, one state file, changed step by step; the tests depend on their order.
 */

const ELDER_PASSWORD = 'Elder-Pw-5d2a-secret';
const OU_LEVELS = 4;
const USERS = 300;
const GROUPS = 20;

let fake: WorkspaceFake;
let elder: ElderEmulator;
let work: { dir: string; cleanup: () => void };
let transcript = '';

async function cli(args: string[]): Promise<CliResult> {
  const r = await runCli([...args, '--config', 'elder-sync.yaml'], {
    cwd: work.dir,
    env: cliEnv(join(work.dir, 'data'), { ELDER_PASSWORD }),
    timeoutMs: 120_000,
  });
  transcript += r.stdout + r.stderr;
  return r;
}

const data = () => fake.directory.directory.data;
const writes = () => elder.stats().writes;
const metadataOf = (e: Record<string, unknown>) => (e['metadata'] ?? e['attributes']) as Record<string, any>;
const keyOf = (e: Record<string, unknown>) => metadataOf(e)?.['elder_sync']?.['key'] as string | undefined;
const entityByKey = (key: string) => elder.entities().find((e) => keyOf(e) === key);
/** An organization's names from below the source root (Acme). */
function orgPath(id: unknown): string[] {
  const byId = new Map(elder.organizations().map((o) => [o['id'], o]));
  const names: string[] = [];
  for (let org = byId.get(id); org && org['name'] !== 'Acme'; org = byId.get(org['parent_id'])) names.unshift(String(org['name']));
  return names;
}
/** `member_of` edges as `sourceKey -> targetKey`. */
function edges(): string[] {
  const keys = new Map(elder.entities().map((e) => [e['id'], keyOf(e)]));
  return elder
    .dependencies()
    .filter((d) => d['dependency_type'] === 'member_of')
    .map((d) => `${keys.get(d['source_id'])} -> ${keys.get(d['target_id'])}`)
    .sort();
}
/** The same edges, from the directory itself: direct USER members of this customer and nested groups. */
function expectedEdges(): string[] {
  const users = new Set(data().users.map((u) => u.id));
  const out: string[] = [];
  for (const [groupId, members] of Object.entries(data().members)) {
    for (const m of members) {
      if (m.type === 'USER' && users.has(m.id)) out.push(`workspace/user/${m.id} -> workspace/group/${groupId}`);
      if (m.type === 'GROUP') out.push(`workspace/group/${m.id} -> workspace/group/${groupId}`);
    }
  }
  return out.sort();
}

beforeAll(async () => {
  assertBuilt();
  work = scratch('elder-sync-workspace-e2e');
  fake = await startWorkspaceFake({
    generate: { users: USERS, groups: GROUPS, orgUnitLevels: OU_LEVELS },
    pageLimit: { users: 70, groups: 6, members: 7 },
  });
  elder = await startElderEmulator({ users: [{ email: 'sync@example.test', password: ELDER_PASSWORD, globalRole: 'admin' }] });
  writeFileSync(join(work.dir, 'workspace-sa.json'), fake.account.json);
  writeConfig(join(work.dir, 'elder-sync.yaml'), {
    elder: { url: elder.url, ...passwordAuth('sync@example.test'), organization: { path: ['Acme'] } },
    state: { path: './state.db' },
    sources: [
      {
        name: 'workspace',
        connector: 'workspace',
        config: { credentials: '${file:./workspace-sa.json}', subject: fake.subject, endpoints: fake.config.endpoints },
      },
    ],
  });
});

afterAll(async () => {
  await fake?.close();
  await elder?.close();
  work?.cleanup();
});

describe('elder-sync against a Google Workspace and the Elder emulator', () => {
  it('test-connectivity passes: the delegated token, then one read per kind', async () => {
    const r = await cli(['test-connectivity']);
    expect(r.stdout).toMatch(/^✓\s+workspace · .*delegation/m);
    expect(r.stdout).toMatch(/^✓\s+workspace · .*members/m);
    expect(r.stdout).not.toMatch(/^✗/m);
    expect(r.code).toBe(0);
    expect(writes()).toBe(0);
  });

  it('syncs a 4-level OU tree, 300 users and 20 nested groups, paged everywhere, exactly', async () => {
    const r = await cli(['run']);
    expect(r.stderr).not.toMatch(/"level":"error"/);
    expect(r.code).toBe(0);

    // Every OU is an organization at its place in the tree, once.
    const orgs = elder.organizations().filter((o) => o['name'] !== 'Acme');
    const paths = orgs.map((o) => orgPath(o['id']).join('/')).sort();
    const expected = data().orgUnits.map((o) => fake.directory.directory.orgUnitPathOf(o.orgUnitId).slice(1)).sort();
    expect(paths).toEqual(expected);
    expect(Math.max(...paths.map((p) => p.split('/').length))).toBe(OU_LEVELS);

    const users = elder.entities().filter((e) => keyOf(e)?.startsWith('workspace/user/'));
    const groups = elder.entities().filter((e) => keyOf(e)?.startsWith('workspace/group/'));
    expect(users).toHaveLength(USERS);
    expect(groups).toHaveLength(GROUPS);
    for (const user of data().users) {
      const entity = entityByKey(`workspace/user/${user.id}`)!;
      expect(orgPath(entity['organization_id']), user.primaryEmail).toEqual(user.orgUnitPath.split('/').filter(Boolean));
    }
    expect(edges()).toEqual(expectedEdges());
    // Every listing paged, at the API maximum.
    const requests = fake.directory.requests;
    expect(requests.filter((q) => q.route === 'users').length).toBeGreaterThan(1);
    expect(requests.filter((q) => q.route === 'members' && q.query['pageToken']).length).toBeGreaterThan(0);
  });

  it('a second run writes nothing', async () => {
    elder.resetStats();
    const r = await cli(['run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^No changes\. \d+ unchanged\.$/m);
    expect(writes()).toBe(0);
  });

  it('a user moved to another OU is updated in place: same Elder id, new organization', async () => {
    const user = data().users.find((u) => u.orgUnitPath.split('/').length === 5)!;
    const before = entityByKey(`workspace/user/${user.id}`)!;
    const target = '/Division B1/Department A2';
    fake.directory.directory.moveUser(user.id, target);
    elder.resetStats();
    const r = await cli(['run']);
    expect(r.code).toBe(0);
    const after = entityByKey(`workspace/user/${user.id}`)!;
    expect(after['id']).toBe(before['id']);
    expect(orgPath(after['organization_id'])).toEqual(['Division B1', 'Department A2']);
    expect(metadataOf(after)['org_unit_path']).toBe(target);
    expect(elder.stats().byRoute['POST /api/v1/entities'] ?? 0).toBe(0);
    expect(elder.stats().byRoute['DELETE /api/v1/entities/{id}'] ?? 0).toBe(0);
  });

  it('a renamed OU renames its organization in place; the users below it stay', async () => {
    const ou = data().orgUnits.find((o) => o.name === 'Department A2' && o.parentOrgUnitId !== null)!;
    const path = fake.directory.directory.orgUnitPathOf(ou.orgUnitId);
    const org = elder.organizations().find((o) => orgPath(o['id']).join('/') === path.slice(1))!;
    const entitiesBefore = elder.entities().length;
    fake.directory.directory.updateOrgUnit(ou.orgUnitId, { name: 'Department Renamed' });
    const r = await cli(['run']);
    expect(r.code).toBe(0);
    const renamed = elder.organizations().find((o) => o['id'] === org['id'])!;
    expect(renamed['name']).toBe('Department Renamed');
    expect(elder.organizations().filter((o) => orgPath(o['id']).join('/') === path.slice(1))).toHaveLength(0);
    expect(elder.entities()).toHaveLength(entitiesBefore);
  });

  it('a suspended user stays in Elder shown as suspended; a deleted user goes', async () => {
    const [suspended, deleted] = data().users.filter((u) => !u.suspended && !u.isAdmin).slice(0, 2);
    fake.directory.directory.updateUser(suspended!.id, { suspended: true, suspensionReason: 'ADMIN' });
    fake.directory.directory.deleteUser(deleted!.id);
    const r = await cli(['run']);
    expect(r.code).toBe(0);
    expect(metadataOf(entityByKey(`workspace/user/${suspended!.id}`)!)).toMatchObject({ status: 'suspended', suspended: true, is_active: false });
    expect(entityByKey(`workspace/user/${deleted!.id}`)).toBeUndefined();
    expect(edges()).toEqual(expectedEdges());
  });

  it('a member removed from a group removes exactly that dependency', async () => {
    const [groupId, members] = Object.entries(data().members).find(([, list]) => list.some((m) => m.type === 'USER' && data().users.some((u) => u.id === m.id)))!;
    const member = members.find((m) => m.type === 'USER' && data().users.some((u) => u.id === m.id))!;
    const before = edges();
    fake.directory.directory.removeMember(groupId, member.id);
    elder.resetStats();
    const r = await cli(['run']);
    expect(r.code).toBe(0);
    const after = edges();
    expect(before.filter((e) => !after.includes(e))).toEqual([`workspace/user/${member.id} -> workspace/group/${groupId}`]);
    expect(after.filter((e) => !before.includes(e))).toEqual([]);
    const dependencyDeletes = Object.entries(elder.stats().byRoute).filter(([route]) => route.startsWith('DELETE') && route.includes('dependencies'));
    expect(dependencyDeletes.map(([, n]) => n)).toEqual([1]);
  });

  it('test-connectivity names a delegated scope that is missing, and exits non-zero', async () => {
    const missing = 'https://www.googleapis.com/auth/admin.directory.group.member.readonly';
    fake.setDelegatedScopes(WORKSPACE_READ_SCOPES.filter((s) => s !== missing));
    try {
      const r = await cli(['test-connectivity']);
      expect(r.code).not.toBe(0);
      expect(r.stdout).toMatch(/^✗\s+workspace · .*delegation/m);
      expect(r.stdout).toContain(missing);
      expect(r.stdout).toContain('Manage domain-wide delegation');
    } finally {
      fake.setDelegatedScopes(WORKSPACE_READ_SCOPES);
    }
  });

  it("the Python worker's GOOGLE_WORKSPACE_* variables make a valid workspace source without a config file", async () => {
    const empty = join(work.dir, 'worker');
    mkdirSync(empty);
    const env = cliEnv(join(work.dir, 'data'), {
      ...WORKER_ENV_EXAMPLE,
      ELDER_API_URL: elder.url,
      ELDER_API_KEY: 'worker-key-7f3e',
      GOOGLE_WORKSPACE_ENABLED: 'true',
      GOOGLE_WORKSPACE_CREDENTIALS_PATH: join(work.dir, 'workspace-sa.json'),
      GOOGLE_WORKSPACE_ADMIN_EMAIL: fake.subject,
    });
    const validate = await runCli(['config', 'validate'], { cwd: empty, env });
    transcript += validate.stdout + validate.stderr;
    expect(validate.stderr).not.toMatch(/^error:/m);
    expect(validate.code).toBe(0);
    expect(validate.stdout).toMatch(/^config OK: 1 source/);
    const init = await runCli(['config', 'init', '--from-env', 'migrated.yaml'], { cwd: empty, env });
    expect(init.code).toBe(0);
    const migrated = await import('node:fs').then((fs) => fs.readFileSync(join(empty, 'migrated.yaml'), 'utf8'));
    expect(migrated).toContain(`credentials: \${file:${join(work.dir, 'workspace-sa.json')}}`);
    expect(migrated).toContain(`subject: ${fake.subject}`);
    expect(migrated).not.toContain('PRIVATE KEY');
  });

  it("--adopt takes over the Python worker's users and groups by email (any case) instead of duplicating them", async () => {
    elder.reset();
    for (const suffix of ['', '-wal', '-shm']) rmSync(join(work.dir, 'state.db') + suffix, { force: true });
    // What the worker wrote (elder-api.md §10.2): its own organization, type `user`, matched on `email`.
    const worker = elder.seedOrganization({ name: 'Google Workspace' });
    const [ada, bob] = data().users.filter((u) => !u.isAdmin);
    const group = data().groups[0]!;
    const seeded = [
      elder.seedEntity({ name: 'Ada', entity_type: 'user', organization_id: worker['id'] as number, attributes: { email: ada!.primaryEmail, user_id: ada!.id, suspended: false, last_login_time: '2024-01-01T00:00:00.000Z' } }),
      elder.seedEntity({ name: 'Bob', entity_type: 'user', organization_id: worker['id'] as number, attributes: { email: bob!.primaryEmail.toUpperCase(), user_id: bob!.id } }),
      elder.seedEntity({ name: `Group: ${group.name}`, entity_type: 'user', organization_id: worker['id'] as number, attributes: { email: group.email, group_id: group.id, type: 'group' } }),
    ];
    const r = await cli(['run', '--adopt']);
    expect(r.code, r.stderr).toBe(0);
    for (const entity of seeded) {
      const now = elder.entities().find((e) => e['id'] === entity['id'])!;
      expect(keyOf(now), String(entity['name'])).toMatch(/^workspace\/(user|group)\//);
    }
    expect(metadataOf(elder.entities().find((e) => e['id'] === seeded[0]!['id'])!)).toMatchObject({ last_login_time: '2024-01-01T00:00:00.000Z', creation_time: ada!.creationTime });
    const keys = elder.entities().map(keyOf);
    expect(keys.filter((k) => k === undefined)).toEqual([]);
    expect(new Set(keys).size).toBe(keys.length);
    expect(elder.entities()).toHaveLength(data().users.length + data().groups.length);
  });

  it('never prints the private key', () => {
    expect(transcript).not.toContain(fake.account.privateKeyPem.slice(40, 100));
    expect(transcript).not.toContain(ELDER_PASSWORD);
  });
});
