/**
 * The Elder client against the testkit's Elder emulator (a faithful fake of v3.2.1, elder-api.md §11):
 * auth flows, paging, both dialects, dependency and delete semantics, and convergence under faults.
 */
import { startElderEmulator } from '@elder-sync/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { clearSecrets } from '../secrets.js';
import { createElderClient } from './client.js';
import { ElderAuthError, ElderHttpError, ElderWriteUncertainError } from './errors.js';
import type { ElderApi, ElderAuth, ElderClientOptions, ElderEntity } from './types.js';

type Emulator = Awaited<ReturnType<typeof startElderEmulator>>;

const ADMIN: ElderAuth = { kind: 'login', email: 'admin@localhost.local', password: 'admin123' };

const emulators: Emulator[] = [];
const clients: ElderApi[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(emulators.splice(0).map((e) => e.close()));
  clearSecrets();
});

async function emulator(options: Parameters<typeof startElderEmulator>[0] = {}): Promise<Emulator> {
  const emu = await startElderEmulator(options);
  emulators.push(emu);
  return emu;
}

function client(emu: Emulator, extra: Partial<ElderClientOptions> = {}): ElderApi {
  const c = createElderClient({ url: emu.url, auth: ADMIN, backoffBaseMs: 1, backoffMaxMs: 20, ...extra });
  clients.push(c);
  return c;
}

async function all<T>(pages: AsyncGenerator<T[]>): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) out.push(...page);
  return out;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('Elder client ↔ emulator', () => {
  it('talks to /status and logs in with portal-auth', async () => {
    const emu = await emulator();
    const c = client(emu);
    expect(await c.status()).toMatchObject({ service: 'elder' });
    await c.checkAuth();
    expect(emu.stats().auth).toBe(1);
  });

  it('refreshes the token before it expires and keeps working past the first token’s expiry', async () => {
    const emu = await emulator({ tokenTtlSeconds: 1, strictAuth: true });
    const c = client(emu);
    const org = await c.createOrganization({ name: 'Root', parentId: null });
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 700));
      expect(await c.getOrganization(org.id)).toMatchObject({ id: org.id, name: 'Root' });
    }
    // One login, then refreshes (never a second login while the refresh token is good).
    expect(emu.stats().byRoute['POST /api/v1/portal-auth/login']).toBe(1);
    expect(emu.stats().byRoute['POST /api/v1/portal-auth/refresh']).toBeGreaterThanOrEqual(2);
  });

  it('accepts a static bearer token', async () => {
    const emu = await emulator({ strictAuth: true });
    const token = emu.mintToken();
    const c = client(emu, { auth: { kind: 'token', token } });
    await c.checkAuth();
    const org = await c.createOrganization({ name: 'AWS', parentId: null, description: 'Amazon' });
    expect(org).toMatchObject({ name: 'AWS', parentId: null, description: 'Amazon', type: 'organization' });
    expect(emu.stats().auth).toBe(0);
  });

  it('rejects bad credentials and a bad token without leaking either', async () => {
    const emu = await emulator({ strictAuth: true });
    const password = 'not-the-password-42';
    const badLogin = client(emu, { auth: { kind: 'login', email: 'admin@localhost.local', password } });
    const e1 = await rejection(badLogin.checkAuth());
    expect(e1).toBeInstanceOf(ElderAuthError);
    expect(e1.message).toBe('Elder rejected the login for admin@localhost.local: Invalid credentials');

    const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.forged-signature';
    const badToken = client(emu, { auth: { kind: 'token', token } });
    const e2 = await rejection(badToken.listEntities({}).next());
    expect(e2).toMatchObject({ code: 'ELDER_TOKEN_REJECTED', status: 401 });

    const e3 = await rejection(badToken.createEntity({ name: 'x', entityType: 'compute', organizationId: 1, attributes: {}, tags: [] }));
    for (const error of [e1, e2, e3]) {
      const text = `${error.message} ${JSON.stringify(error)} ${String(error.stack)}`;
      expect(text).not.toContain(password);
      expect(text).not.toContain(token);
      expect(text).not.toContain('admin123');
    }
  });

  it('pages over 2500 entities with per_page=1000 and no duplicates', async () => {
    const emu = await emulator();
    const c = client(emu);
    const org = await c.createOrganization({ name: 'Big', parentId: null });
    for (let i = 0; i < 2500; i++) {
      emu.seedEntity({ name: `vm-${String(i).padStart(4, '0')}`, entity_type: 'compute', organization_id: org.id, attributes: { i } });
    }
    const before = emu.stats().byRoute['GET /api/v1/entities'] ?? 0;
    const pages: number[] = [];
    const ids = new Set<number>();
    for await (const page of c.listEntities({ organizationId: org.id, entityType: 'compute' })) {
      pages.push(page.length);
      for (const e of page) ids.add(e.id);
    }
    expect(pages).toEqual([1000, 1000, 500]);
    expect(ids.size).toBe(2500);
    expect((emu.stats().byRoute['GET /api/v1/entities'] ?? 0) - before).toBe(3);
  });

  it('de-duplicates by id when equal names shuffle between pages', async () => {
    const emu = await emulator({ shuffleTies: true });
    const c = client(emu);
    const org = await c.createOrganization({ name: 'Ties', parentId: null });
    for (let i = 0; i < 1500; i++) emu.seedEntity({ name: 'same', entity_type: 'compute', organization_id: org.id });
    const seen = await all(c.listEntities({ organizationId: org.id }));
    expect(new Set(seen.map((e) => e.id)).size).toBe(seen.length);
  });

  it('reads the legacy dialect (attributes, entity_type, organization_type)', async () => {
    const emu = await emulator({ dialect: 'legacy' });
    const c = client(emu);
    const org = await c.createOrganization({ name: 'Legacy', parentId: null, type: 'department' });
    expect(org.type).toBe('department');
    const created = await c.createEntity({
      name: 'EC2: web-1',
      entityType: 'compute',
      subType: 'virtual_machine',
      organizationId: org.id,
      attributes: { instance_id: 'i-0abc' },
      tags: ['aws'],
    });
    const listed = await all(c.listEntities({ organizationId: org.id }));
    // The emulator really answers in the legacy shape.
    const raw = (await (
      await fetch(`${emu.url}/api/v1/entities/${created.id}`, { headers: { authorization: `Bearer ${emu.mintToken()}` } })
    ).json()) as Record<string, unknown>;
    expect(raw).toMatchObject({ entity_type: 'compute', attributes: { instance_id: 'i-0abc' } });
    expect(raw).not.toHaveProperty('metadata');
    // (The legacy create never stored sub_type, so it is not compared here.)
    const expected: Partial<ElderEntity> = {
      id: created.id,
      type: 'compute',
      attributes: { instance_id: 'i-0abc' },
      tags: ['aws'],
    };
    expect(created).toMatchObject(expected);
    expect(listed).toEqual([expect.objectContaining(expected)]);
    expect((await all(c.listOrganizations({ name: 'Legacy' })))[0]).toMatchObject({ id: org.id, type: 'department' });
  });

  it('creates, updates and reads entities with v3.2.1 names', async () => {
    const emu = await emulator();
    const c = client(emu);
    const org = await c.createOrganization({ name: 'AWS', parentId: null });
    const child = await c.createOrganization({ name: 'us-east-1', parentId: org.id });
    expect(child.parentId).toBe(org.id);
    const e = await c.createEntity({ name: 'vm', entityType: 'compute', organizationId: child.id, attributes: { a: 1 }, tags: [] });
    const updated = await c.updateEntity(e.id, { attributes: { b: 2 }, tags: ['x'] });
    expect(updated).toMatchObject({ attributes: { b: 2 }, tags: ['x'] });
    expect(await c.getEntity(e.id)).toMatchObject({ attributes: { b: 2 } });
    expect(await c.updateOrganization(child.id, { description: 'd' })).toMatchObject({ description: 'd' });
    expect(await c.updateOrganization(child.id, {})).toMatchObject({ id: child.id });
    const roots = await all(c.listOrganizations({ name: 'AWS' }));
    expect(roots.map((o) => o.name)).toEqual(['AWS']);
  });

  it('handles dependencies: 409 returns the existing id, deletes need them gone first, 404 is done', async () => {
    const emu = await emulator();
    const c = client(emu);
    const org = await c.createOrganization({ name: 'Dir', parentId: null });
    const user = await c.createEntity({ name: 'alice', entityType: 'user', organizationId: org.id, attributes: {}, tags: [] });
    const group = await c.createEntity({ name: 'admins', entityType: 'user', organizationId: org.id, attributes: {}, tags: [] });
    const first = await c.createDependency({ sourceId: user.id, targetId: group.id, dependencyType: 'member_of' });
    const again = await c.createDependency({ sourceId: user.id, targetId: group.id, dependencyType: 'member_of' });
    expect(again).toBe(first);

    const ofGroup = await c.entityDependencies(group.id);
    expect(ofGroup).toEqual([
      { id: first, sourceType: 'entity', sourceId: user.id, targetType: 'entity', targetId: group.id, dependencyType: 'member_of' },
    ]);
    expect(await c.entityDependencies(user.id)).toEqual(ofGroup);

    const refused = await rejection(c.deleteEntity(group.id));
    expect(refused).toBeInstanceOf(ElderHttpError);
    expect(refused).toMatchObject({ status: 400, transient: false });
    expect(refused.message).toMatch(/Cannot delete entity with 1 dependencies/);

    await c.deleteDependencies([first]);
    expect(await c.entityDependencies(group.id)).toEqual([]);
    await c.deleteEntity(group.id);
    await c.deleteEntity(group.id); // 404 → already gone
    expect(await c.getEntity(group.id)).toBeNull();
    await c.deleteEntity(user.id);
    await c.deleteOrganization(org.id);
    await c.deleteOrganization(org.id);
    expect(await c.getOrganization(org.id)).toBeNull();
  });

  it('reports a permanent 400 with Elder’s validation_errors and does not retry it', async () => {
    const emu = await emulator();
    const c = client(emu);
    const org = await c.createOrganization({ name: 'V', parentId: null });
    const e = await c.createEntity({ name: 'vm', entityType: 'compute', organizationId: org.id, attributes: {}, tags: [] });
    const before = emu.stats().writes;
    const error = (await rejection(c.updateEntity(e.id, { organizationId: 0 }))) as ElderHttpError;
    expect(error).toBeInstanceOf(ElderHttpError);
    expect(error).toMatchObject({ status: 400, transient: false, code: 'ELDER_HTTP_400', elderMessage: 'Validation failed' });
    expect(error.validationErrors).toEqual([expect.objectContaining({ field: 'organization_id' })]);
    expect(error.message).toMatch(/HTTP 400 Validation failed — organization_id: Input should be greater than or equal to 1/);
    expect(emu.stats().writes - before).toBe(1);

    const blank = await rejection(c.createOrganization({ name: '   ', parentId: null }));
    expect(blank).toBeInstanceOf(ElderHttpError);
    expect(blank).not.toBeInstanceOf(ElderWriteUncertainError);
    expect(blank.message).toMatch(/name: .*empty or whitespace-only/);
  });

  it('throws ElderWriteUncertainError when a create was applied but answered with an error', async () => {
    const emu = await emulator();
    const c = client(emu);
    const org = await c.createOrganization({ name: 'U', parentId: null });
    emu.setFaults({ rate: 1, seed: 7, kinds: ['apply-then-fail'], methods: ['POST'] });
    const error = await rejection(
      c.createEntity({ name: 'vm', entityType: 'compute', organizationId: org.id, attributes: { key: 'k1' }, tags: [] }),
    );
    expect(error).toBeInstanceOf(ElderWriteUncertainError);
    expect(error).toMatchObject({ code: 'ELDER_WRITE_UNCERTAIN', mayHaveApplied: true, transient: true });
    emu.setFaults(null);
    // Exactly one row: the client did not resend, and the caller can find the key.
    const rows = await all(c.listEntities({ organizationId: org.id }));
    expect(rows.map((r) => r.attributes)).toEqual([{ key: 'k1' }]);
  });

  it('treats a create that timed out as uncertain, but retries a timed-out GET', async () => {
    const emu = await emulator();
    const c = client(emu, { timeoutMs: 150, maxAttempts: 3 });
    const org = await c.createOrganization({ name: 'T', parentId: null });
    emu.setFaults({ rate: 1, seed: 1, kinds: ['slow'], slowMs: 400, methods: ['POST'] });
    const error = await rejection(c.createOrganization({ name: 'T2', parentId: org.id }));
    expect(error).toBeInstanceOf(ElderWriteUncertainError);
    expect(error.message).toMatch(/timeout.*may have been applied/);
    emu.setFaults({ rate: 1, seed: 1, kinds: ['slow'], slowMs: 400, methods: ['GET'] });
    const timedOut = await rejection(c.getOrganization(org.id));
    expect(timedOut).toMatchObject({ code: 'ELDER_UNREACHABLE', transient: true });
    expect(timedOut).not.toBeInstanceOf(ElderWriteUncertainError);
    expect(c.stats.retries).toBe(2);
    emu.setFaults(null);
  });

  it('converges under a 30 % fault rate on GET and PATCH', async () => {
    const emu = await emulator();
    const c = client(emu, { maxAttempts: 10, timeoutMs: 2000, concurrency: 4 });
    const org = await c.createOrganization({ name: 'F', parentId: null });
    const ids: number[] = [];
    for (let i = 0; i < 40; i++) {
      ids.push((await c.createEntity({ name: `e${i}`, entityType: 'compute', organizationId: org.id, attributes: { i }, tags: [] })).id);
    }
    emu.setFaults({
      rate: 0.3,
      seed: 42,
      kinds: ['5xx-json', '5xx-html', '5xx-text', 'reset', 'slow', 'apply-then-fail', '429'],
      slowMs: 50,
      methods: ['GET', 'PATCH'],
    });
    await Promise.all(ids.map((id, i) => c.updateEntity(id, { attributes: { i, patched: true } })));
    const listed = await all(c.listEntities({ organizationId: org.id }));
    const fetched = await Promise.all(ids.map((id) => c.getEntity(id)));
    emu.setFaults(null);
    expect(listed).toHaveLength(40);
    expect(listed.every((e) => e.attributes.patched === true)).toBe(true);
    expect(fetched.every((e) => e?.attributes.patched === true)).toBe(true);
    expect(c.stats.retries).toBeGreaterThan(0);
    expect(emu.stats().faultsInjected).toBeGreaterThan(0);
  });
});
