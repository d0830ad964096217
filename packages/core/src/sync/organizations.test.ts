import { startElderEmulator, type ElderEmulator } from '@elder-sync/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createElderClient } from '../elder/client.js';
import type { ElderApi } from '../elder/types.js';
import { OrgTree } from './org-tree.js';
import { ensureOrganizationPath } from './organizations.js';
import type { SourceContext } from './source-context.js';

let emulator: ElderEmulator;
beforeAll(async () => {
  emulator = await startElderEmulator();
});
afterAll(async () => {
  await emulator.close();
});

const client = () => createElderClient({ url: emulator.url, auth: { kind: 'login', email: 'admin@localhost.local', password: 'admin123' } });

/** What ensureOrganizationPath reads of a run's context: one process's client and tree below the root. */
async function processContext(elder: ElderApi, rootId: number): Promise<SourceContext> {
  const tree = await OrgTree.load(elder);
  return { elder, tree, rootId, createMissingOrganizations: true, plannedOrganizations: new Map() } as unknown as SourceContext;
}

it('a write below an organization still settling its creation race waits for the copy that is kept', async () => {
  const first = client();
  const second = client();
  try {
    const root = await first.createOrganization({ name: 'Root', parentId: null });
    const one = await processContext(first, root.id);
    const two = await processContext(second, root.id);
    const scope = { id: 'all', label: 'all' };
    // Another process creates Accounts first; this one does not know yet, and creates its own copy.
    // Its look for a first copy (a GET) is slow, so a second write below Accounts starts meanwhile.
    const kept = await ensureOrganizationPath(one, scope, ['Accounts']);
    emulator.setFaults({ rate: 1, kinds: ['slow'], slowMs: 300, methods: ['GET'] });
    const accounts = ensureOrganizationPath(two, scope, ['Accounts']);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const below = ensureOrganizationPath(two, scope, ['Accounts', 'prod']);
    expect(await accounts).toBe(kept);
    const prod = await below;
    expect(emulator.organizations().find((o) => o.id === prod)?.parent_id).toBe(kept);
    expect(emulator.organizations().filter((o) => o.name === 'Accounts')).toHaveLength(1);
  } finally {
    emulator.setFaults({ rate: 0, kinds: [] });
    await first.close();
    await second.close();
  }
});
