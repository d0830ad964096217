import type { ConnectorDefinition } from '../connector.js';
import type { ElderApi } from '../elder/types.js';
import type { Logger } from '../logger.js';
import type { StateStore } from '../state/index.js';
import type { OrgTree } from './org-tree.js';
import type { PlanStore } from './plan-store.js';
import type { ProgressListener } from './progress.js';
import type { EntityTypeOverride } from './projection.js';

/** The per-source settings the planner and applier use (from the source's config block). */
export interface SourceSettings {
  name: string;
  connector: string;
  deletes: 'delete' | 'mark' | 'keep';
  maxDeletePercent: number;
  fullEvery: number;
  types: Record<string, EntityTypeOverride>;
  concurrency: number;
}

/** Everything one source's scopes share during a run. */
export interface SourceContext {
  source: SourceSettings;
  connector: ConnectorDefinition<unknown>;
  connectorConfig: unknown;
  /** The source's root organization, or null when it does not exist yet (plan mode only). */
  rootId: number | null;
  /** Names of the root path still to be created (plan mode). */
  rootMissing: string[];
  tree: OrgTree;
  store: PlanStore;
  state: StateStore;
  elder: ElderApi;
  log: Logger;
  mode: 'apply' | 'plan';
  full: boolean;
  only: Set<string> | null;
  allowMassDelete: boolean;
  /** Plan adoptions of unowned Elder entities matching a record's natural keys. */
  adopt: boolean;
  /** Without `adopt`: unowned entities were indexed, so creates name the look-alikes `--adopt` would take. */
  lookAlikes?: boolean;
  /** Elder write concurrency. */
  writeConcurrency: number;
  createMissingOrganizations: boolean;
  /**
   * The state file held mappings of this source when the run began. Without any, no organization
   * rename or move can be planned (they follow mappings), so `EarlyWrites` may create paths.
   */
  mappedBefore: boolean;
  /** Organization paths (joined) already planned for creation in this run → the record keys naming them. */
  plannedOrganizations: Map<string, string[]>;
  signal: AbortSignal;
  /** `SyncOptions.onProgress`. */
  progress?: ProgressListener;
}
