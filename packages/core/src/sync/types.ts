import type { ConnectionCheck, ConnectorDefinition, Scope, ScopeDiscovery } from '../connector.js';
import type { ElderApi } from '../elder/types.js';
import type { JsonObject, JsonValue } from '../json.js';
import type { Logger } from '../logger.js';
import type { StateStore } from '../state/store.js';
import type { ProgressListener } from './progress.js';
import type { Shard } from './shard.js';

/** Loads a connector by id, lazily (the CLI imports the plugin only when a source uses it). */
export type ConnectorLoader = (connectorId: string) => Promise<ConnectorDefinition<unknown>>;

/** `adopt`: take ownership of an existing, unowned Elder entity matched on a natural key (DESIGN §6). */
export type ChangeAction = 'create' | 'update' | 'delete' | 'mark' | 'withheld' | 'adopt';

/** An organization a plan creates: its scope, and its path below the source's root. */
export interface PlannedOrganization {
  source: string;
  scope: string;
  path: string[];
}

/** How many changes of a plan share a source, action, target, kind and organization. */
export interface PlanTally {
  source: string;
  action: ChangeAction;
  target: 'entity' | 'organization';
  kind: string;
  /** The organization path the change's object is in (its parent's, for an organization). */
  organization: string;
  count: number;
}

/** What the planner compares: the Elder-visible, connector-owned part of an object. */
export interface Projection {
  name: string;
  /** `organization` for organizations, else the Elder entity type. */
  type: string;
  subType: string | null;
  /** Organization path below the source's root, joined with " / ". */
  organization: string;
  attributes: JsonObject;
  tags: string[];
  /** Sorted `type:targetKey` strings. */
  relations: string[];
  /** Key of the parent entity (Elder `parent_id`), when the record names one. */
  parent?: string;
  /** Set when the delete policy `mark` flagged it. */
  staleSince: string | null;
}

export interface PlanChange {
  source: string;
  scope: string;
  scopeLabel: string;
  /** `<source>/<kind>/<externalId>` (organizations implied by a path: `<source>/@org/<path>`). */
  key: string;
  action: ChangeAction;
  target: 'entity' | 'organization';
  kind: string;
  name: string;
  elderId: number | null;
  before: Projection | null;
  after: Projection | null;
  /** Why a change is withheld or what it is (`duplicate of #12`, `above maxDeletePercent`...). */
  reason: string | null;
  /** Attribute names whose values are secret: printed as `(sensitive)`. */
  sensitive?: string[];
}

export interface ScopeCounts {
  read: number;
  create: number;
  update: number;
  delete: number;
  unchanged: number;
  withheld: number;
  errors: number;
}

export interface ScopeReport {
  source: string;
  connector: string;
  scope: string;
  label: string;
  status: 'ok' | 'failed';
  /** Why the scope failed (redacted), when it did. */
  error: string | null;
  mode: 'full' | 'incremental';
  counts: ScopeCounts;
  durationMs: number;
  /** The source cursor this read reached (saved plans carry it to `apply`). */
  cursor?: JsonValue | null;
  /**
   * Set when the scope read and planned completely but a safety guard withheld its deletes (the
   * reason): its other changes apply, the scope still ends as failed. A failed scope without it
   * has no complete plan.
   */
  guard?: string;
}

export interface SyncReport {
  runId: string;
  /** `plan` = dry-run/diff: nothing written anywhere. */
  mode: 'apply' | 'plan';
  startedAt: string;
  durationMs: number;
  scopes: ScopeReport[];
  totals: ScopeCounts;
  elder: { reads: number; writes: number; retries: number };
  /** The Elder the plan was computed against. */
  elderUrl: string;
  /** The plan-changing options it was made with; a saved plan carries them to `apply`. */
  options: { full: boolean; only: string[] | null; adopt: boolean; allowMassDelete?: boolean; shard?: Shard };
  /**
   * The plan, sorted by source, scope and key; read it before `close()`. `limit`: its first changes
   * only (a printed plan lists about 50 lines and counts the rest from `tally`).
   */
  changes(limit?: number): IterableIterator<PlanChange>;
  /** Every change of the plan counted, without reading them one by one. */
  tally(): PlanTally[];
  /**
   * The organizations the plan creates in its scopes (few; not a missing root), as paths below their
   * source's root: a dispatched plan counts one that several units plan once, as a local plan does.
   */
  organizationCreates(): PlannedOrganization[];
  /** Releases the run's temporary plan store. */
  close(): void;
}

export interface SyncOptions {
  // Typed as ElderSyncConfig once config/ lands.
  config: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  connectors: ConnectorLoader;
  /** Source names, or connector ids meaning every source of that connector; empty = all. */
  sources?: string[];
  mode: 'apply' | 'plan';
  /** Ignore incremental cursors: read everything (deletions can be found). */
  full?: boolean;
  /** Only these kinds (e.g. `user`); deletions only among them. */
  only?: string[];
  allowMassDelete?: boolean;
  /** Take ownership of unowned Elder entities that match a record on a natural key instead of creating. */
  adopt?: boolean;
  log: Logger;
  /** State store path override (else `config.state.path`); tests pass `:memory:`. */
  statePath?: string;
  /** Inject an Elder client (tests, benchmarks); else made from `config.elder`. */
  elder?: ElderApi;
  signal?: AbortSignal;
  /** Run only this shard's work units (`--shard i/N`); source-wide steps run in shard 1 only. */
  shard?: Shard;
  /**
   * Scopes already discovered, by source name (a worker's unit): no discovery, and none of the
   * source-wide steps; a missing root is waited for, as in a shard other than 1.
   */
  scopes?: Record<string, Scope[]>;
  /**
   * Only the source-wide steps (a dispatcher's part): discovery, missing roots, and the removal of
   * vanished scopes; no discovered scope runs. `onDiscovered` hands the scopes to whoever runs them.
   */
  sourceWideOnly?: boolean;
  /** Told each source's discovery (all of it, unsharded). */
  onDiscovered?: (source: string, discovery: Required<ScopeDiscovery>) => void;
  /** A state store the caller opened and will close (a worker's unit state from JetStream KV). */
  state?: StateStore;
  /** How long a shard other than 1 waits for shard 1 to create a missing root organization (default 120 s). */
  rootWaitMs?: number;
  /** Called as each scope finishes (progress lines). */
  onScopeDone?: (report: ScopeReport) => void;
  /** Called as records are read, plans complete and writes land (progress rows, metrics). Must not throw. */
  onProgress?: ProgressListener;
}

export interface ConnectivityReport {
  elder: ConnectionCheck[];
  sources: Array<{ source: string; connector: string; scope: string; label: string; checks: ConnectionCheck[] }>;
  ok: boolean;
}
