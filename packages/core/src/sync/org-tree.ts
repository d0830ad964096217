import type { ElderApi, ElderOrganization } from '../elder/types.js';

/**
 * Elder's organizations, held in memory for one run: there are few of them compared with entities,
 * and names are neither unique nor exactly filterable on the server (elder-api.md §3.3), so every
 * path is resolved here, by exact name under the parent.
 */
export class OrgTree {
  private readonly byId = new Map<number, ElderOrganization>();
  private readonly children = new Map<number | null, Set<number>>();

  static async load(elder: ElderApi): Promise<OrgTree> {
    const tree = new OrgTree();
    for await (const page of elder.listOrganizations()) for (const org of page) tree.add(org);
    return tree;
  }

  add(org: ElderOrganization): void {
    const existing = this.byId.get(org.id);
    if (existing) this.children.get(existing.parentId)?.delete(org.id);
    this.byId.set(org.id, org);
    let siblings = this.children.get(org.parentId);
    if (!siblings) this.children.set(org.parentId, (siblings = new Set()));
    siblings.add(org.id);
  }

  remove(id: number): void {
    const org = this.byId.get(id);
    if (!org) return;
    this.children.get(org.parentId)?.delete(id);
    this.byId.delete(id);
  }

  get(id: number): ElderOrganization | undefined {
    return this.byId.get(id);
  }

  /** The child with exactly this name (lowest id when Elder holds several, so runs agree). */
  child(parentId: number | null, name: string): ElderOrganization | undefined {
    let best: ElderOrganization | undefined;
    for (const id of this.children.get(parentId) ?? []) {
      const org = this.byId.get(id);
      if (org && org.name === name && (!best || org.id < best.id)) best = org;
    }
    return best;
  }

  childIds(id: number): number[] {
    return [...(this.children.get(id) ?? [])];
  }

  /** Walks `path` below `rootId`; returns the deepest existing org and the names still missing. */
  resolve(rootId: number | null, path: readonly string[]): { id: number | null; missing: string[] } {
    let current = rootId;
    for (let i = 0; i < path.length; i++) {
      const next = this.child(current, path[i]!);
      if (!next) return { id: current, missing: path.slice(i) };
      current = next.id;
    }
    return { id: current, missing: [] };
  }

  /** The path of `id` relative to `rootId`, or null when `id` is not below it. */
  pathBelow(rootId: number, id: number): string[] | null {
    const names: string[] = [];
    let current = this.byId.get(id);
    const guard = new Set<number>();
    while (current && current.id !== rootId) {
      // Elder has no cycle check on parent_id (elder-api.md §3.3): never loop forever.
      if (guard.has(current.id)) return null;
      guard.add(current.id);
      names.unshift(current.name);
      current = current.parentId === null ? undefined : this.byId.get(current.parentId);
    }
    return current ? names : null;
  }

  /** Ids of `rootId` and every organization below it. */
  subtree(rootId: number): number[] {
    const out: number[] = [];
    const stack = [rootId];
    const seen = new Set<number>();
    while (stack.length) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      out.push(id);
      stack.push(...this.childIds(id));
    }
    return out;
  }
}
