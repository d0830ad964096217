import type { KindSpec, Scope } from '../connector.js';
import type { ElderEntity } from '../elder/types.js';
import { contentHash } from '../json.js';
import type { Logger } from '../logger.js';
import type { SourceRecord } from '../record.js';
import { foldsNaturalKey } from './elder-index.js';
import { mappedOrganization, organizationHash, ownedOrganization } from './organizations.js';
import {
  actualProjection,
  desiredProjection,
  entityKey,
  entityTypeOf,
  joinPath,
  organizationPathKey,
  truncateName,
} from './projection.js';
import type { EarlyWrites } from './early-writes.js';
import { organizationOf, type ChangeDetail } from './plan-changes.js';
import type { SourceContext } from './source-context.js';
import type { PlanChange, Projection, ScopeCounts } from './types.js';

/** A planned change of this scope: `source`, `scope` and `scopeLabel` are the planner's. */
export type ScopeChange = Omit<PlanChange, 'source' | 'scope' | 'scopeLabel'>;

/**
 * Step 3 of a sync, record by record: what each record read means for Elder, written into the run's
 * plan store as it goes (nothing held). One planner per scope; `planScope` feeds it the read.
 */
export class ScopePlanner {
  readonly counts: ScopeCounts = { read: 0, create: 0, update: 0, delete: 0, unchanged: 0, withheld: 0, errors: 0 };
  /** Creates that have unowned look-alikes in Elder (plain plan), and records with ambiguous matches. */
  readonly adoption = { lookAlikes: 0, ambiguous: 0 };
  /** Keys of the organization records read (the others of complete kinds are stale). */
  readonly seenOrganizationKeys = new Set<string>();

  /** Organization paths (joined) this scope planned to create. */
  private readonly createdPaths = new Set<string>();

  constructor(
    private readonly ctx: SourceContext,
    private readonly scope: Scope,
    private readonly log: Logger,
    /** In `run`: writes a planned change at once when it can be (see EarlyWrites). */
    private readonly early: EarlyWrites | null = null,
  ) {}

  /** Adds a change of this scope to the plan and counts it. */
  change(c: ScopeChange, detail: ChangeDetail = {}): void {
    const planned = { ...c, source: this.ctx.source.name, scope: this.scope.id, scopeLabel: this.scope.label };
    const seq = this.ctx.store.changes.add(planned, detail);
    // A write started now takes the change as planned, not parsed back from the plan.
    this.early?.offer({ ...planned, seq, detail, organization: organizationOf(c) });
    if (c.action === 'create') this.counts.create++;
    else if (c.action === 'update' || c.action === 'mark' || c.action === 'adopt') this.counts.update++;
    else if (c.action === 'delete') this.counts.delete++;
    else this.counts.withheld++;
  }

  /** Plans creation of whatever part of `path` (below the source root) does not exist yet. */
  organizationPath(path: string[], keyOfLeaf?: string, kind = '@org'): number | null {
    const existing = this.ctx.rootId === null ? { id: null, missing: path } : this.ctx.tree.resolve(this.ctx.rootId, path);
    const firstMissing = path.length - existing.missing.length;
    for (let depth = firstMissing; depth < path.length; depth++) {
      const prefix = path.slice(0, depth + 1);
      const joined = joinPath(prefix);
      const isLeaf = depth === path.length - 1;
      const key = isLeaf && keyOfLeaf ? keyOfLeaf : organizationPathKey(this.ctx.source.name, prefix);
      const planned = this.ctx.plannedOrganizations.get(joined);
      if (planned) {
        if (!planned.includes(key)) planned.push(key);
        continue;
      }
      this.ctx.plannedOrganizations.set(joined, [key]);
      this.createdPaths.add(joined);
      this.change(
        {
          key,
          action: 'create',
          target: 'organization',
          kind: isLeaf && keyOfLeaf ? kind : '@org',
          name: prefix[prefix.length - 1]!,
          elderId: null,
          before: null,
          after: organizationProjection(prefix),
          reason: null,
        },
        { organizationPath: prefix },
      );
    }
    return existing.missing.length === 0 ? existing.id : null;
  }


  /** An organization record (an OU): unchanged, renamed or moved in place, or created. */
  organizationRecord(record: SourceRecord): void {
    const path = [...(record.organizationPath ?? []), truncateName(record.name)];
    const key = entityKey(this.ctx.source.name, record.kind, record.externalId);
    this.seenOrganizationKeys.add(key);
    const mapping = this.ctx.state.getMapping(this.ctx.source.name, key);
    const mapped = mapping ? mappedOrganization(this.ctx, mapping) : null;
    if (mapping && mapped) {
      const currentPath = mapped.path;
      if (joinPath(currentPath) === joinPath(path)) {
        this.counts.unchanged++;
        // A mapping from before paths were kept learns it, so a rebuilt Elder cannot reuse its id.
        if (mapping.hash === null && this.ctx.mode === 'apply') this.ctx.state.putMapping({ ...mapping, hash: organizationHash(path) });
        return;
      }
      // Renamed or moved in the source: follow it (elder-api.md §3.3: parent_id can change, not be cleared).
      if (mapping.owned) {
        this.organizationPath(path.slice(0, -1));
        // Records below it will name the new path: it exists once the rename is applied (before creates).
        this.ctx.plannedOrganizations.set(joinPath(path), [key]);
        this.change(
          {
            key,
            action: 'update',
            target: 'organization',
            kind: record.kind,
            name: path[path.length - 1]!,
            elderId: mapped.org.id,
            before: organizationProjection(currentPath),
            after: organizationProjection(path),
            reason: null,
          },
          { organizationPath: path },
        );
        return;
      }
    }
    const before = this.ctx.plannedOrganizations.size;
    const id = this.organizationPath(path, key, record.kind);
    // Not unchanged when this scope planned it (a record below it came first, and was written early).
    if (id !== null && this.ctx.plannedOrganizations.size === before && !this.createdPaths.has(joinPath(path))) this.counts.unchanged++;
    // No mapping (a new or lost state file: organizations carry no stamp in Elder), but the
    // organization is where the record says, below the source's root, where only this tool creates
    // them: it is the record's. Recorded, a later rename or move of the OU follows it in place
    // instead of creating a new organization and leaving the old one behind.
    if (id !== null && !mapped && this.ctx.mode === 'apply') {
      this.ctx.state.putMapping(ownedOrganization(this.ctx, this.scope.id, key, record.kind, id, path));
    }
  }


  /** An entity record: unchanged (a key look-up and a hash comparison), updated, adopted or created. */
  entityRecord(record: SourceRecord, spec: Extract<KindSpec, { target: 'entity' }>): void {
    const key = entityKey(this.ctx.source.name, record.kind, record.externalId);
    const type = entityTypeOf(spec, this.ctx.source.types[record.kind]);
    const desired = desiredProjection(this.ctx.source.name, record, type);
    const path = record.organizationPath ?? [];
    this.organizationPath(path);
    const hash = contentHash(desired);
    // An unchanged record costs this look-up (which marks it seen); the entry is read only to change it.
    const found = this.ctx.store.owned.see(this.ctx.source.name, key);
    if (found) {
      if (found.hash === hash) {
        this.counts.unchanged++;
        return;
      }
      const indexed = this.ctx.store.owned.get(this.ctx.source.name, key)!;
      this.change(
        {
          key,
          action: 'update',
          target: 'entity',
          kind: record.kind,
          name: desired.name,
          elderId: indexed.elderId,
          before: indexed.projection,
          after: desired,
          reason: null,
        },
        { organizationPath: path, hash },
      );
      return;
    }
    const match = this.ctx.adopt || this.ctx.lookAlikes ? findAdoptable(this.ctx, spec, type.type, desired, this.ctx.adopt) : null;
    const adoptable = this.ctx.adopt && match && 'entity' in match ? match : null;
    let createReason: string | null = null;
    if (match && 'ambiguous' in match) {
      // Two unowned entities with one key: taking either could be wrong; a person must choose.
      this.adoption.ambiguous++;
      const ids = match.ambiguous.map((id) => `#${id}`).join(', ');
      this.log.warn('not adopted: several unowned Elder entities match this record', { key, naturalKey: match.naturalKey, elderIds: match.ambiguous });
      createReason = `not adopted: ${match.ambiguous.length} unowned entities (${ids}) match on ${match.naturalKey}; ambiguous`;
    } else if (match && !this.ctx.adopt) {
      this.adoption.lookAlikes++;
      createReason = `unowned look-alike #${match.entity.id} matches on ${match.naturalKey}; --adopt would take it over`;
    }
    if (adoptable) {
      this.change(
        {
          key,
          action: 'adopt',
          target: 'entity',
          kind: record.kind,
          name: desired.name,
          elderId: adoptable.entity.id,
          before: adoptable.before,
          after: desired,
          reason: `matched on ${adoptable.naturalKey}`,
        },
        { organizationPath: path, hash },
      );
      return;
    }
    this.change(
      {
        key,
        action: 'create',
        target: 'entity',
        kind: record.kind,
        name: desired.name,
        elderId: null,
        before: null,
        after: desired,
        reason: createReason,
      },
      { organizationPath: path, hash },
    );
  }


  /** A deletion the source reported (incremental reads). */
  sourceDeletion(kind: string, externalId: string): void {
    const key = entityKey(this.ctx.source.name, kind, externalId);
    if (!this.ctx.store.owned.see(this.ctx.source.name, key)) return;
    const indexed = this.ctx.store.owned.get(this.ctx.source.name, key)!;
    this.removal(indexed.key, kind, indexed.elderId, indexed.projection, null);
  }


  /** An owned entity the source no longer has, by the source's delete policy. */
  removal(key: string, kind: string, elderId: number, before: Projection, reason: string | null): void {
    if (this.ctx.source.deletes === 'keep') {
      this.change({ key, action: 'withheld', target: 'entity', kind, name: before.name, elderId, before, after: null, reason: 'deletes: keep' });
    } else if (this.ctx.source.deletes === 'mark') {
      if (before.staleSince) {
        this.counts.unchanged++;
        return;
      }
      const after = { ...before, staleSince: new Date().toISOString() };
      this.change({ key, action: 'mark', target: 'entity', kind, name: before.name, elderId, before, after, reason });
    } else {
      this.change({ key, action: 'delete', target: 'entity', kind, name: before.name, elderId, before, after: null, reason });
    }
  }
}

/**
 * An unowned Elder entity (the Python worker's, or anyone's) that matches this record on one of the
 * kind's natural keys, in the kind's declared order; claimed so no other record adopts it too.
 */
function findAdoptable(
  ctx: SourceContext,
  spec: Extract<KindSpec, { target: 'entity' }>,
  entityType: string,
  desired: Projection,
  claim: boolean,
): { entity: ElderEntity; naturalKey: string; before: Projection } | { ambiguous: number[]; naturalKey: string } | null {
  for (const naturalKey of spec.naturalKeys ?? []) {
    const value = desired.attributes[naturalKey];
    if (value === null || value === undefined || value === '') continue;
    // Compared the way the source compares them (an LDAP DN case-folded).
    const found = ctx.store.adoptable.find(ctx.source.name, entityType, naturalKey, value, { fold: foldsNaturalKey(ctx, entityType, naturalKey), claim });
    if (!found) continue;
    if ('ambiguous' in found) return { ambiguous: found.ambiguous, naturalKey };
    const entity = found.entity;
    const organization = ctx.rootId === null ? null : ctx.tree.pathBelow(ctx.rootId, entity.organizationId);
    // Compare on the attributes this tool is about to own; what else the entity holds stays.
    const before = actualProjection(
      entity,
      { v: 1, key: '', source: '', scope: '', kind: '', fields: Object.keys(desired.attributes), tags: [], relations: [] },
      organization === null ? `#${entity.organizationId}` : joinPath(organization),
    );
    return { entity, naturalKey, before };
  }
  return null;
}

export function organizationProjection(path: string[]): Projection {
  return {
    name: path[path.length - 1] ?? '',
    type: 'organization',
    subType: null,
    organization: joinPath(path.slice(0, -1)),
    attributes: {},
    tags: [],
    relations: [],
    staleSince: null,
  };
}
