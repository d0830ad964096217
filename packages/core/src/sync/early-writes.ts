import type { ScopeWrites } from './apply-scope.js';
import type { StoredChange } from './plan-changes.js';
import type { SourceContext } from './source-context.js';

/**
 * Step 4 begun during step 3: while `run` still reads a scope, a planned entity create or update is
 * written as soon as a write slot is free, when writing it now is what the applier would do after
 * the read. Otherwise it stays in the plan for the applier, as every change did before. The read
 * never waits for a slot: a slow source (a cloud API's pages) and a distant Elder then overlap,
 * instead of Elder's writes starting only once the whole scope was read.
 *
 * "What the applier would do": it writes entities after organization renames and creations, and a
 * parent before its children. So a change is written early only when
 * - its organization exists in Elder already, or the state file held no mapping of the source when
 *   the run began (`mappedBefore`: a first sync, or a lost state file), so no rename or move can be
 *   planned, and the write creates the path as the applier would (`ensureOrganizationPath` makes
 *   each organization once);
 * - it names no parent, or its parent is in Elder already (else it would need a second write);
 * - it is a create or an update (adoptions read the entity first; deletes wait for the whole read).
 */
export class EarlyWrites {
  /** Changes waiting for a slot, oldest first; at most QUEUED_PER_SLOT a slot (the rest wait for the applier). */
  private queue: StoredChange[] = [];
  private stopped = false;

  constructor(
    private readonly ctx: SourceContext,
    private readonly writes: ScopeWrites,
  ) {}

  /** Writes the change soon if it can be (see the class); else it stays in the plan for the applier. */
  offer(change: StoredChange): void {
    if (change.target !== 'entity' || (change.action !== 'create' && change.action !== 'update')) return;
    const { ctx } = this;
    if (this.stopped || ctx.rootId === null || ctx.signal.aborted) return;
    if (!this.spare()) return;
    const parent = change.after?.parent;
    if (parent !== undefined && ctx.store.owned.elderIdOf(ctx.source.name, parent) === null) return;
    if (ctx.mappedBefore && ctx.tree.resolve(ctx.rootId, change.detail.organizationPath ?? []).missing.length > 0) return;
    if (!this.writes.pool.tryStart(() => this.writeFrom(change)) && this.queue.length < QUEUED_PER_SLOT * this.ctx.writeConcurrency) this.queue.push(change);
  }

  /**
   * The read ended (or failed): what is still queued is left to the applier, which walks every change
   * not yet written. Writes in flight end on their own (the applier waits for them).
   */
  stop(): void {
    this.stopped = true;
    this.queue = [];
  }

  /**
   * Elder has capacity no other write is waiting for. Early writes only fill it: where Elder is the
   * bottleneck already (other scopes applying), they would only queue, and hold memory.
   */
  private spare(): boolean {
    return this.ctx.elder.waiting === 0 && !this.ctx.signal.aborted;
  }

  /** One slot's work: this change, then queued ones while the read goes on. */
  private async writeFrom(change: StoredChange): Promise<void> {
    for (let next: StoredChange | undefined = change; next; next = this.stopped || !this.spare() ? undefined : this.queue.shift()) {
      await this.writes.entity(next);
    }
  }
}

/**
 * Planned changes held for a free slot, per slot: enough to keep the slots busy between a slow
 * source's pages (a slot writes a few per page at tens of ms each), few enough to stay small when
 * the read is faster than Elder and many scopes are read at once (each holds one record's projection).
 */
const QUEUED_PER_SLOT = 16;
