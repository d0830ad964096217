/**
 * The emulator's database: organizations, entities and dependencies with integer ids from 1 per table,
 * and the constraints PostgreSQL enforces for Elder (FKs with ON DELETE CASCADE, varchar lengths, int4).
 * Indexes: rows by id; entities sorted by name per (organization, type) bucket; parent → children maps;
 * dependencies by endpoint and by their identifying 5-tuple.
 */
import { DatabaseError } from './http.js';
import { SortedIndex } from './sorted-index.js';
import { pythonLength } from './validation.js';
import type { DependencyRow, EntityRow, OrganizationRow } from './types.js';

const INT4_MAX = 2147483647;

/** PostgreSQL `integer` columns and lookups reject values outside int4. */
export function assertInt4(value: number, column: string): void {
  if (value > INT4_MAX || value < -INT4_MAX - 1) throw new DatabaseError(`value "${value}" is out of range for type integer (${column})`);
}

export function assertVarchar(value: string | null | undefined, limit: number, column: string): void {
  if (typeof value !== 'string') return;
  if (value.includes('\u0000')) throw new DatabaseError(`invalid byte sequence in ${column}`);
  if (value.length > limit && pythonLength(value) > limit) {
    throw new DatabaseError(`value too long for type character varying(${limit}) (${column})`);
  }
}

function addToSetMap<K>(map: Map<K, Set<number>>, key: K, id: number): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(id);
}

function removeFromSetMap<K>(map: Map<K, Set<number>>, key: K, id: number): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(id);
  if (set.size === 0) map.delete(key);
}

export type EntityBucketKey = string;

/** The most specific sorted bucket for an exact-match filter. `null` org means `organization_id IS NULL`. */
export function entityBucketKey(organizationId: number | null | undefined, type: string | undefined): EntityBucketKey {
  const org = organizationId === undefined ? undefined : `o:${organizationId}`;
  const kind = type === undefined ? undefined : `t:${type}`;
  if (org && kind) return `${org}|${kind}`;
  return org ?? kind ?? 'all';
}

function endpointKey(type: string, id: number): string {
  return `${type}:${id}`;
}

function dependencyTupleKey(row: Pick<DependencyRow, 'source_type' | 'source_id' | 'target_type' | 'target_id' | 'dependency_type'>): string {
  return JSON.stringify([row.source_type, row.source_id, row.target_type, row.target_id, row.dependency_type]);
}

export class ElderStore {
  readonly organizations = new Map<number, OrganizationRow>();
  readonly organizationsByName = new SortedIndex<OrganizationRow>();
  private readonly organizationChildren = new Map<number, Set<number>>();

  readonly entities = new Map<number, EntityRow>();
  private readonly entityBuckets = new Map<EntityBucketKey, SortedIndex<EntityRow>>();
  private readonly entityChildren = new Map<number, Set<number>>();

  readonly dependencies = new Map<number, DependencyRow>();
  private readonly dependenciesBySource = new Map<string, Set<number>>();
  private readonly dependenciesByTarget = new Map<string, Set<number>>();
  private readonly dependenciesByTuple = new Map<string, Set<number>>();

  private nextOrganizationId = 1;
  private nextEntityId = 1;
  private nextDependencyId = 1;

  // ---------------------------------------------------------------- organizations

  organization(id: number): OrganizationRow | undefined {
    assertInt4(id, 'organizations.id');
    return this.organizations.get(id);
  }

  private checkOrganization(row: OrganizationRow): void {
    assertVarchar(row.name, 255, 'organizations.name');
    assertVarchar(row.type, 64, 'organizations.type');
    assertVarchar(row.slug, 255, 'organizations.slug');
    assertVarchar(row.display_name, 255, 'organizations.display_name');
    assertVarchar(row.description, Number.MAX_SAFE_INTEGER, 'organizations.description');
    if (row.parent_id !== null) {
      assertInt4(row.parent_id, 'organizations.parent_id');
      if (row.parent_id !== row.id && !this.organizations.has(row.parent_id)) {
        throw new DatabaseError('insert or update on table "organizations" violates foreign key constraint (parent_id)');
      }
    }
    // No identities or identity groups exist in the emulator (creating them 500s on real v3.2.1, §2.4, §6.2),
    // so any owner reference is a dangling FK.
    if (row.owner_identity_id !== null) throw new DatabaseError('violates foreign key constraint (owner_identity_id)');
    if (row.owner_group_id !== null) throw new DatabaseError('violates foreign key constraint (owner_group_id)');
  }

  insertOrganization(fields: Omit<OrganizationRow, 'id'>): OrganizationRow {
    const row: OrganizationRow = { ...fields, id: this.nextOrganizationId };
    this.checkOrganization(row);
    this.nextOrganizationId++;
    this.organizations.set(row.id, row);
    this.organizationsByName.insert(row);
    if (row.parent_id !== null) addToSetMap(this.organizationChildren, row.parent_id, row.id);
    return row;
  }

  updateOrganization(row: OrganizationRow, changes: Partial<OrganizationRow>): OrganizationRow {
    const next: OrganizationRow = { ...row, ...changes, id: row.id };
    this.checkOrganization(next);
    this.organizationsByName.remove(row);
    if (row.parent_id !== null) removeFromSetMap(this.organizationChildren, row.parent_id, row.id);
    Object.assign(row, next);
    this.organizationsByName.insert(row);
    if (row.parent_id !== null) addToSetMap(this.organizationChildren, row.parent_id, row.id);
    return row;
  }

  organizationChildCount(id: number): number {
    return this.organizationChildren.get(id)?.size ?? 0;
  }

  /** DELETE with the FK cascades: child organizations, the org's entities, and their child entities. */
  deleteOrganization(id: number): void {
    const row = this.organizations.get(id);
    if (!row) return;
    this.organizations.delete(id);
    this.organizationsByName.remove(row);
    if (row.parent_id !== null) removeFromSetMap(this.organizationChildren, row.parent_id, id);
    for (const childId of [...(this.organizationChildren.get(id) ?? [])]) this.deleteOrganization(childId);
    this.organizationChildren.delete(id);
    const owned = this.entityBuckets.get(entityBucketKey(id, undefined));
    if (owned) for (const entity of [...owned.view()]) this.deleteEntity(entity.id);
  }

  // ---------------------------------------------------------------- entities

  entity(id: number): EntityRow | undefined {
    assertInt4(id, 'entities.id');
    return this.entities.get(id);
  }

  /** Sorted entities matching exact filters; `organizationId: null` selects rows without an organization. */
  entitiesSorted(organizationId: number | null | undefined, type: string | undefined): readonly EntityRow[] {
    return this.entityBuckets.get(entityBucketKey(organizationId, type))?.view() ?? [];
  }

  private bucketKeysOf(row: EntityRow): EntityBucketKey[] {
    return ['all', entityBucketKey(row.organization_id, undefined), entityBucketKey(undefined, row.type), entityBucketKey(row.organization_id, row.type)];
  }

  private indexEntity(row: EntityRow): void {
    for (const key of this.bucketKeysOf(row)) {
      let bucket = this.entityBuckets.get(key);
      if (!bucket) this.entityBuckets.set(key, (bucket = new SortedIndex()));
      bucket.insert(row);
    }
    if (row.parent_id !== null) addToSetMap(this.entityChildren, row.parent_id, row.id);
  }

  private unindexEntity(row: EntityRow): void {
    for (const key of this.bucketKeysOf(row)) {
      const bucket = this.entityBuckets.get(key);
      if (!bucket) continue;
      bucket.remove(row);
      if (bucket.size === 0 && key !== 'all') this.entityBuckets.delete(key);
    }
    if (row.parent_id !== null) removeFromSetMap(this.entityChildren, row.parent_id, row.id);
  }

  private checkEntity(row: EntityRow): void {
    assertVarchar(row.name, 255, 'entities.name');
    assertVarchar(row.type, 64, 'entities.type');
    assertVarchar(row.sub_type, 64, 'entities.sub_type');
    assertVarchar(row.external_id, 255, 'entities.external_id');
    if (row.organization_id !== null) {
      assertInt4(row.organization_id, 'entities.organization_id');
      if (!this.organizations.has(row.organization_id)) throw new DatabaseError('violates foreign key constraint (organization_id)');
    }
    if (row.parent_id !== null) {
      assertInt4(row.parent_id, 'entities.parent_id');
      if (row.parent_id !== row.id && !this.entities.has(row.parent_id)) throw new DatabaseError('violates foreign key constraint (parent_id)');
    }
  }

  insertEntity(fields: Omit<EntityRow, 'id'>): EntityRow {
    const row: EntityRow = { ...fields, id: this.nextEntityId };
    this.checkEntity(row);
    this.nextEntityId++;
    this.entities.set(row.id, row);
    this.indexEntity(row);
    return row;
  }

  updateEntity(row: EntityRow, changes: Partial<EntityRow>): EntityRow {
    const next: EntityRow = { ...row, ...changes, id: row.id };
    this.checkEntity(next);
    this.unindexEntity(row);
    Object.assign(row, next);
    this.indexEntity(row);
    return row;
  }

  /** DELETE with the `parent_id ON DELETE CASCADE` of entities; dependencies are left dangling (no FKs, §6.1). */
  deleteEntity(id: number): void {
    const row = this.entities.get(id);
    if (!row) return;
    this.entities.delete(id);
    this.unindexEntity(row);
    const children = this.entityChildren.get(id);
    if (children) {
      this.entityChildren.delete(id);
      for (const childId of [...children]) this.deleteEntity(childId);
    }
  }

  // ---------------------------------------------------------------- dependencies

  dependency(id: number): DependencyRow | undefined {
    assertInt4(id, 'dependencies.id');
    return this.dependencies.get(id);
  }

  /** The resource a dependency endpoint names, for the types the emulator stores (entity, organization). */
  resource(type: string, id: number): OrganizationRow | EntityRow | undefined {
    if (type === 'entity') return this.entity(id);
    if (type === 'organization') return this.organization(id);
    assertInt4(id, `${type}.id`);
    return undefined;
  }

  dependenciesFrom(type: string, id: number): DependencyRow[] {
    return [...(this.dependenciesBySource.get(endpointKey(type, id)) ?? [])].sort((a, b) => a - b).map((depId) => this.dependencies.get(depId) as DependencyRow);
  }

  dependenciesTo(type: string, id: number): DependencyRow[] {
    return [...(this.dependenciesByTarget.get(endpointKey(type, id)) ?? [])].sort((a, b) => a - b).map((depId) => this.dependencies.get(depId) as DependencyRow);
  }

  findDuplicateDependency(tuple: Pick<DependencyRow, 'source_type' | 'source_id' | 'target_type' | 'target_id' | 'dependency_type'>): DependencyRow | undefined {
    const ids = this.dependenciesByTuple.get(dependencyTupleKey(tuple));
    if (!ids || ids.size === 0) return undefined;
    return this.dependencies.get(Math.min(...ids));
  }

  private checkDependency(row: DependencyRow): void {
    assertVarchar(row.source_type, 50, 'dependencies.source_type');
    assertVarchar(row.target_type, 50, 'dependencies.target_type');
    assertVarchar(row.dependency_type, 64, 'dependencies.dependency_type');
    assertInt4(row.source_id, 'dependencies.source_id');
    assertInt4(row.target_id, 'dependencies.target_id');
  }

  private indexDependency(row: DependencyRow): void {
    addToSetMap(this.dependenciesBySource, endpointKey(row.source_type, row.source_id), row.id);
    addToSetMap(this.dependenciesByTarget, endpointKey(row.target_type, row.target_id), row.id);
    addToSetMap(this.dependenciesByTuple, dependencyTupleKey(row), row.id);
  }

  private unindexDependency(row: DependencyRow): void {
    removeFromSetMap(this.dependenciesBySource, endpointKey(row.source_type, row.source_id), row.id);
    removeFromSetMap(this.dependenciesByTarget, endpointKey(row.target_type, row.target_id), row.id);
    removeFromSetMap(this.dependenciesByTuple, dependencyTupleKey(row), row.id);
  }

  insertDependency(fields: Omit<DependencyRow, 'id'>): DependencyRow {
    const row: DependencyRow = { ...fields, id: this.nextDependencyId };
    this.checkDependency(row);
    this.nextDependencyId++;
    this.dependencies.set(row.id, row);
    this.indexDependency(row);
    return row;
  }

  updateDependency(row: DependencyRow, changes: Partial<DependencyRow>): DependencyRow {
    const next: DependencyRow = { ...row, ...changes, id: row.id };
    this.checkDependency(next);
    this.unindexDependency(row);
    Object.assign(row, next);
    this.indexDependency(row);
    return row;
  }

  deleteDependency(id: number): boolean {
    const row = this.dependencies.get(id);
    if (!row) return false;
    this.dependencies.delete(id);
    this.unindexDependency(row);
    return true;
  }

  /** Dependencies in the order `GET /dependencies` returns them (see routes-dependencies.ts). */
  dependenciesInListOrder(): DependencyRow[] {
    return [...this.dependencies.values()];
  }
}
