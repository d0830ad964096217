import type { JsonObject } from '../json.js';

/** An Elder organization, normalised from either API dialect (`type ?? organization_type`). */
export interface ElderOrganization {
  id: number;
  name: string;
  parentId: number | null;
  description: string | null;
  type: string | null;
}

/** An Elder entity, normalised from either API dialect (`metadata ?? attributes`, `type ?? entity_type`). */
export interface ElderEntity {
  id: number;
  name: string;
  type: string;
  subType: string | null;
  organizationId: number;
  parentId: number | null;
  /** The entity's `metadata` (v3.2.1) or `attributes` (legacy); `{}` when null. */
  attributes: JsonObject;
  tags: string[];
}

export interface ElderDependency {
  id: number;
  sourceType: string;
  sourceId: number;
  targetType: string;
  targetId: number;
  dependencyType: string;
}

export interface NewOrganization {
  name: string;
  parentId: number | null;
  description?: string;
  /** Sent as `organization_type` only when given; Elder defaults it to `"organization"` (elder-api.md §3.3). */
  type?: string;
}

/** Only the fields present are sent; Elder cannot clear a field to null (elder-api.md §3.3). */
export interface OrganizationPatch {
  name?: string;
  description?: string;
  parentId?: number;
  type?: string;
}

export interface NewEntity {
  name: string;
  entityType: string;
  subType?: string | null;
  organizationId: number;
  parentId?: number | null;
  attributes: JsonObject;
  tags: string[];
}

/** Only the fields present are sent. `attributes` and `tags` replace the stored ones whole. */
export interface EntityPatch {
  name?: string;
  entityType?: string;
  subType?: string;
  organizationId?: number;
  parentId?: number;
  attributes?: JsonObject;
  tags?: string[];
}

export type ElderAuth =
  | { kind: 'token'; token: string }
  | { kind: 'login'; email: string; password: string };

export interface ElderClientOptions {
  /** Base URL, e.g. `https://elder.example.com` (no `/api/v1`). */
  url: string;
  auth: ElderAuth;
  /** Per-request timeout. */
  timeoutMs?: number;
  /** Attempts for transient failures (network, 429, 5xx), the first included. */
  maxAttempts?: number;
  /** Base of the exponential backoff with full jitter. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Requests in flight at once over the keep-alive pool. */
  concurrency?: number;
  /** Sees every HTTP exchange (metrics). Must not throw. */
  observer?: ElderRequestObserver;
}

/** One HTTP exchange with Elder, for request-duration and throttling metrics. */
export interface ElderRequestEvent {
  method: string;
  /** The route with ids and the query dropped (`/api/v1/entities/{id}`): a bounded label set. */
  route: string;
  /** HTTP status, or `error` when no response came (reset, timeout). */
  status: number | 'error';
  durationMs: number;
  /** Elder answered 429 (the client halves its requests in flight and backs off). */
  throttled: boolean;
}

/** One page of an Elder list. */
export interface ListPage<T> {
  items: T[];
  page: number;
  /** Pages the list has (at least `page`). */
  pages: number;
  /** The items the list announces across all pages (`total`), when the answer says. */
  total?: number | null;
  /** What was listed, for messages (`/entities (entity_type=user)`). */
  what?: string;
}

export type ElderRequestObserver = (event: ElderRequestEvent) => void;

/** Everything elder-sync needs from Elder's REST API (`../shared/elder-api.md`), typed and retried. */
export interface ElderApi {
  /** GET /api/v1/status (no auth) — proves the URL points at Elder. */
  status(): Promise<{ version: string; service: string }>;
  /** Logs in (or checks the static token) and lists one entity page — proves auth and read permission. */
  checkAuth(): Promise<void>;

  /**
   * Page `page` of a list (per_page=1000) and how many pages it has, so a caller can fetch the
   * others concurrently. Lists have no stable order (§4.3): a caller de-duplicates by id.
   */
  listOrganizationsPage(page: number, query?: { parentId?: number; name?: string }): Promise<ListPage<ElderOrganization>>;
  listEntitiesPage(page: number, query: { organizationId?: number; entityType?: string; name?: string }): Promise<ListPage<ElderEntity>>;
  listDependenciesPage(page: number, query: { dependencyType?: string; sourceType?: string; targetType?: string }): Promise<ListPage<ElderDependency>>;

  /** Pages of `GET /api/v1/organizations` (per_page=1000), de-duplicated by id. */
  listOrganizations(query?: { parentId?: number; name?: string }): AsyncGenerator<ElderOrganization[]>;
  getOrganization(id: number): Promise<ElderOrganization | null>;
  /**
   * Not retried once it may have reached Elder (5xx, reset or timeout after sending): throws
   * `ElderWriteUncertainError` (`mayHaveApplied`), so the caller looks the org up before creating again.
   */
  createOrganization(org: NewOrganization): Promise<ElderOrganization>;
  updateOrganization(id: number, patch: OrganizationPatch): Promise<ElderOrganization>;
  /** 404 counts as success (already gone). */
  deleteOrganization(id: number): Promise<void>;

  /** Pages of `GET /api/v1/entities` (per_page=1000), de-duplicated by id. */
  listEntities(query: { organizationId?: number; entityType?: string; name?: string }): AsyncGenerator<ElderEntity[]>;
  getEntity(id: number): Promise<ElderEntity | null>;
  /** Like `createOrganization`: may throw `ElderWriteUncertainError` instead of risking a duplicate. */
  createEntity(entity: NewEntity): Promise<ElderEntity>;
  updateEntity(id: number, patch: EntityPatch): Promise<ElderEntity>;
  /** 404 counts as success (already gone). */
  deleteEntity(id: number): Promise<void>;

  /** Pages of `GET /api/v1/dependencies` (per_page=1000), de-duplicated by id. */
  listDependencies(query: { dependencyType?: string; sourceType?: string; targetType?: string }): AsyncGenerator<ElderDependency[]>;
  /** Both directions of `GET /api/v1/dependencies/resource/entity/{id}`. */
  entityDependencies(entityId: number): Promise<ElderDependency[]>;
  /** 409 (already there) counts as success and returns the existing id. */
  createDependency(dep: { sourceId: number; targetId: number; dependencyType: string }): Promise<number>;
  /** `DELETE /api/v1/dependencies/bulk` in chunks of 100. */
  deleteDependencies(ids: number[]): Promise<void>;

  /** Counters for summaries and benchmarks. */
  readonly stats: { reads: number; writes: number; retries: number };
  /** Requests waiting for one of the `concurrency` slots: 0 when Elder has capacity to spare. */
  readonly waiting: number;
  /** The quickest of the last exchanges with Elder that had a small answer, in ms (Infinity before the first): how far Elder is. */
  readonly latencyFloorMs: number;
  close(): Promise<void>;
}
