import { AdoptionCandidates } from './adoption-candidates.js';
import { OwnedIndex } from './owned-index.js';
import { PlanChanges } from './plan-changes.js';
import { RelationClaims } from './relation-claims.js';
import { RunDatabase } from './run-database.js';

export type { IndexedEntity, DuplicateEntity } from './owned-index.js';
export type { ChangeDetail, ChangeOutcome, StoredChange } from './plan-changes.js';

/**
 * The run's working set (DESIGN §9), one part per step that fills it, all in one private temporary
 * database written in batches: what each source owns in Elder (`owned`, step 1) with the relations
 * their stamps claim (`claims`), the unowned entities `--adopt` may take over (`adoptable`), and the
 * plan's changes (`changes`, step 3, walked by step 4).
 */
export class PlanStore {
  private readonly run = new RunDatabase();
  readonly claims = new RelationClaims(this.run);
  readonly owned = new OwnedIndex(this.run, this.claims);
  readonly adoptable = new AdoptionCandidates(this.run);
  readonly changes = new PlanChanges(this.run);

  /** Several writes in one batch (this store needs batching, not atomicity: see RunDatabase). */
  transaction<T>(fn: () => T): T {
    return this.run.write(fn);
  }

  close(): void {
    this.run.close();
  }
}
