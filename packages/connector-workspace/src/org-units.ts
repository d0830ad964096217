import type { DirectoryOrgUnit } from './directory-client.js';

interface Node {
  id: string;
  name: string;
  path: string;
  parentId: string | null;
  ou: DirectoryOrgUnit;
}

/**
 * The org-unit tree of one customer, from one `orgunits.list type=all`: org units are few (the
 * Admin console caps them in the thousands), so this is the one collection held whole. It gives each
 * OU its organization path by *names* (what Elder's organizations are matched on), parents before
 * children, and resolves a user's `orgUnitPath` to the same names.
 */
export class OrgUnitTree {
  private readonly byId = new Map<string, Node>();
  private readonly byPath = new Map<string, string>();

  constructor(orgUnits: readonly DirectoryOrgUnit[]) {
    for (const ou of orgUnits) {
      if (!ou.orgUnitId || !ou.name || !ou.orgUnitPath) continue;
      this.byId.set(ou.orgUnitId, { id: ou.orgUnitId, name: ou.name, path: ou.orgUnitPath, parentId: ou.parentOrgUnitId ?? null, ou });
      this.byPath.set(ou.orgUnitPath.toLowerCase(), ou.orgUnitId);
    }
  }

  get size(): number {
    return this.byId.size;
  }

  /** Names from the top-level OU down to this one (its own name last). A parent outside the list is the root. */
  namesOf(id: string): string[] {
    const names: string[] = [];
    const seen = new Set<string>();
    for (let node = this.byId.get(id); node && !seen.has(node.id); node = node.parentId === null ? undefined : this.byId.get(node.parentId)) {
      seen.add(node.id);
      names.unshift(node.name);
    }
    return names;
  }

  /**
   * The organization path of a user in `orgUnitPath` (`/` → `[]`, the source root). An OU not in the
   * tree (created after it was listed, or org units not read) falls back to the path's own segments.
   */
  pathOf(orgUnitPath: string | null | undefined): string[] {
    if (!orgUnitPath || orgUnitPath === '/') return [];
    const id = this.byPath.get(orgUnitPath.toLowerCase());
    return id === undefined ? orgUnitPath.split('/').filter((s) => s !== '') : this.namesOf(id);
  }

  /** Every OU, parents before children (by depth, then path): the order organizations are created in. */
  ordered(): { ou: DirectoryOrgUnit; names: string[]; path: string; id: string }[] {
    return [...this.byId.values()]
      .map((node) => ({ ou: node.ou, names: this.namesOf(node.id), path: node.path, id: node.id }))
      .sort((a, b) => a.names.length - b.names.length || (a.path < b.path ? -1 : a.path > b.path ? 1 : a.id < b.id ? -1 : 1));
  }
}
