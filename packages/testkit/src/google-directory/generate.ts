import { createHash } from 'node:crypto';
import type { DirectoryData, DirectoryGroup, DirectoryMember, DirectoryOrgUnit, DirectoryUser } from './types.js';

export interface GeneratedDirectoryOptions {
  /** Depth of the OU tree below the root (default 4). */
  orgUnitLevels?: number;
  /** Children of each OU (default 2): levels 4 × fan-out 2 gives 30 OUs. */
  orgUnitFanOut?: number;
  users?: number;
  groups?: number;
  /** Each group also gets this many members from outside the customer (default 1). */
  externalMembersPerGroup?: number;
  domain?: string;
  customerId?: string;
}

/** The delegated administrator every generated directory has (its first user). */
export const GENERATED_ADMIN = (domain = 'example.test') => `admin@${domain}`;

const hex = (seed: string, length: number) => createHash('sha256').update(seed).digest('hex').slice(0, length);

/** Google-style ids: users 21 digits, groups 15 hex characters, OUs `id:` plus 16 hex characters. */
export const userIdOf = (n: number) => `1${String(n).padStart(20, '0')}`;
export const groupIdOf = (n: number) => `0${hex(`group-${n}`, 14)}`;
export const orgUnitIdOf = (path: string) => `id:03${hex(`ou-${path}`, 14)}`;

const LEVEL_NAMES = ['Division', 'Department', 'Team', 'Squad', 'Unit', 'Cell'];

/**
 * A deterministic directory: an OU tree, users spread over every OU and the root (every 17th
 * suspended, every 29th archived), groups whose members are users, one nested group each (group k is
 * a member of group ⌊(k−1)/2⌋: a binary tree of groups), external addresses, and a CUSTOMER member
 * on every fifth group. The same options always give the same data.
 */
export function generateDirectory(options: GeneratedDirectoryOptions = {}): DirectoryData {
  const levels = options.orgUnitLevels ?? 4;
  const fanOut = options.orgUnitFanOut ?? 2;
  const userCount = options.users ?? 300;
  const groupCount = options.groups ?? 20;
  const externals = options.externalMembersPerGroup ?? 1;
  const domain = options.domain ?? 'example.test';
  const customerId = options.customerId ?? 'C03az79cb';

  const orgUnits: DirectoryOrgUnit[] = [];
  const paths: string[] = ['/'];
  const grow = (parentId: string | null, parentPath: string, depth: number) => {
    if (depth >= levels) return;
    for (let i = 0; i < fanOut; i++) {
      const name = `${LEVEL_NAMES[depth % LEVEL_NAMES.length]} ${String.fromCharCode(65 + i)}${depth + 1}`;
      const path = `${parentPath === '/' ? '' : parentPath}/${name}`;
      const id = orgUnitIdOf(path);
      orgUnits.push({ orgUnitId: id, name, description: `${name} (level ${depth + 1})`, parentOrgUnitId: parentId });
      paths.push(path);
      grow(id, path, depth + 1);
    }
  };
  grow(null, '/', 0);

  const users: DirectoryUser[] = [];
  for (let i = 0; i < userCount; i++) {
    const n = String(i).padStart(5, '0');
    const admin = i === 0;
    users.push({
      id: userIdOf(i + 1),
      primaryEmail: admin ? GENERATED_ADMIN(domain) : `user${n}@${domain}`,
      name: admin ? { givenName: 'Ada', familyName: 'Admin' } : { givenName: `Given${n}`, familyName: `Family${n}` },
      orgUnitPath: admin ? '/' : paths[i % paths.length]!,
      isAdmin: admin,
      suspended: !admin && i % 17 === 0,
      ...(!admin && i % 17 === 0 ? { suspensionReason: 'ADMIN' } : {}),
      archived: !admin && i % 29 === 0,
      isEnrolledIn2Sv: i % 3 === 0,
      creationTime: new Date(Date.UTC(2024, 0, 1) + i * 3_600_000).toISOString(),
      organizations: [{ title: `Title ${i % 7}`, department: `Dept ${i % 5}`, primary: true }],
    });
  }

  const groups: DirectoryGroup[] = [];
  const members: Record<string, DirectoryMember[]> = {};
  for (let g = 0; g < groupCount; g++) {
    const id = groupIdOf(g);
    const email = `group-${String(g).padStart(3, '0')}@${domain}`;
    groups.push({ id, email, name: `Group ${g}`, description: `generated group ${g}`, adminCreated: true });
    const list: DirectoryMember[] = [];
    users.forEach((u, i) => {
      if (i > 0 && (i % groupCount === g || (i * 7 + 3) % groupCount === g)) {
        list.push({ id: u.id, email: u.primaryEmail, role: list.length === 0 ? 'OWNER' : 'MEMBER', type: 'USER', status: u.suspended ? 'SUSPENDED' : 'ACTIVE' });
      }
    });
    for (let e = 0; e < externals; e++) {
      list.push({ id: `9${String(g * 100 + e).padStart(20, '0')}`, email: `ext${e}-g${g}@partner.test`, role: 'MEMBER', type: 'USER', status: 'ACTIVE' });
    }
    if (g % 5 === 4) list.push({ id: customerId, role: 'MEMBER', type: 'CUSTOMER' });
    members[id] = list;
  }
  for (let g = 1; g < groupCount; g++) {
    const parent = groupIdOf(Math.floor((g - 1) / 2));
    members[parent]!.push({ id: groupIdOf(g), email: groups[g]!.email, role: 'MEMBER', type: 'GROUP', status: 'ACTIVE' });
  }

  return {
    customer: { id: customerId, customerDomain: domain },
    rootOrgUnitId: orgUnitIdOf('/'),
    orgUnits,
    users,
    groups,
    members,
  };
}
