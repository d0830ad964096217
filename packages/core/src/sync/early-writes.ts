import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import type { ScopeWrites } from './apply-scope.js';
import type { StoredChange } from './plan-changes.js';
import type { SourceContext } from './source-context.js';

/**
 * Step 4 begun during step 3: while `run` still reads a scope, a planned entity create or update is
 * written as soon as there is capacity nothing else uses, when writing it then is what the applier
 * would do after the read. Otherwise it stays in the plan for the applier, as every change did
 * before. The read never waits for a write: a slow source (a cloud API's pages) and a distant Elder
 * then overlap, instead of Elder's writes starting only once the whole scope was read.
 *
 * "What the applier would do": it writes entities after organization renames and creations, and a
 * parent before its children. So a change is written early only when
 * - its organization exists in Elder already, or the state file held no mapping of the source when
 *   the run began (`mappedBefore`: a first sync, or a lost state file), so no rename or move can be
 *   planned, and the write creates the path as the applier would (`ensureOrganizationPath` makes
 *   each organization once);
 * - it names no parent, or its parent is in Elder already (else it would need a second write);
 * - it is a create or an update (adoptions read the entity first; deletes wait for the whole read).
 *
 * "Capacity nothing else uses": a request slot no other write waits for, and CPU the read leaves
 * idle. Where the read keeps the process busy (a fast source) and Elder answers at once, writing
 * during it gains nothing and costs collection time: its writes' objects outlive the read's many
 * young-generation collections. Where Elder is far (its quickest recent answer took FAR_ELDER_MS or
 * more), a write holds its slot mostly waiting, for a fraction of a millisecond of CPU, so it goes
 * out even while the read is busy: the read's CPU and Elder's latency then overlap.
 */
export class EarlyWrites {
  /** Changes waiting for a slot, by sequence number (read back from the plan when a slot takes one). */
  private queue: number[] = [];
  private stopped = false;
  /**
   * The event loop's use since `windowStart`, and whether the last window left room to write: CPU to
   * spare, or an Elder far enough that a write costs the read little.
   */
  private elu: EventLoopUtilization = performance.eventLoopUtilization();
  private windowStart = performance.now();
  private roomToWrite = true;

  constructor(
    private readonly ctx: SourceContext,
    private readonly writes: ScopeWrites,
  ) {}

  /**
   * A change was planned: written soon if it can be (see the class), else left to the applier. A
   * slot free now writes it as given; a queued one is read back from the plan by its number.
   */
  offer(change: StoredChange): void {
    if (change.target !== 'entity' || (change.action !== 'create' && change.action !== 'update')) return;
    const { ctx } = this;
    if (this.stopped || ctx.rootId === null || !this.spare()) return;
    const parent = change.after?.parent;
    if (parent !== undefined && ctx.store.owned.elderIdOf(ctx.source.name, parent) === null) return;
    if (ctx.mappedBefore && ctx.tree.resolve(ctx.rootId, change.detail.organizationPath ?? []).missing.length > 0) return;
    if (!this.writes.pool.tryStart(() => this.writeFrom(change)) && this.queue.length < QUEUED_PER_SLOT * ctx.writeConcurrency) this.queue.push(change.seq);
  }

  /**
   * The read ended (or failed): what is still queued is left to the applier, which walks every change
   * not yet written. Writes in flight end on their own (the applier waits for them).
   */
  stop(): void {
    this.stopped = true;
    this.queue = [];
  }

  private spare(): boolean {
    if (this.ctx.signal.aborted || this.ctx.elder.waiting > 0) return false;
    const now = performance.now();
    // Measured once a window, not per record: spare() is on the read's path.
    if (now - this.windowStart >= CPU_WINDOW_MS) {
      this.roomToWrite = this.ctx.elder.latencyFloorMs >= FAR_ELDER_MS || performance.eventLoopUtilization(this.elu).utilization < MAX_BUSY;
      this.elu = performance.eventLoopUtilization();
      this.windowStart = now;
    }
    return this.roomToWrite;
  }

  /**
   * One slot's work: this change, then queued ones while the read goes on and capacity is spare
   * (read back from the plan: only their numbers were held).
   */
  private async writeFrom(first: StoredChange): Promise<void> {
    await this.writes.entity(first);
    for (let next = this.nextQueued(); next !== undefined; next = this.nextQueued()) {
      const change = this.ctx.store.changes.planned(next);
      if (change) await this.writes.entity(change);
    }
  }

  private nextQueued(): number | undefined {
    return this.stopped || !this.spare() ? undefined : this.queue.shift();
  }
}

/**
 * Changes queued for a slot, per slot: enough to keep the slots busy between a slow source's pages
 * (a slot writes a few per page at tens of ms each). Only their numbers are held.
 */
const QUEUED_PER_SLOT = 16;

/** How often the room to write is measured, and the busy share above which the CPU has none to spare. */
const CPU_WINDOW_MS = 100;
const MAX_BUSY = 0.5;
/**
 * Elder's quickest recent answer from which a write costs far less CPU than the time it waits (a
 * write takes 0.1-0.4 ms of CPU). Well above what a near Elder shows on a loaded machine: an
 * emulator answering at once read as up to 4.8 ms on 2 busy cores (cold connections, and answers
 * seen late by a busy event loop), where the gate must stay shut.
 */
const FAR_ELDER_MS = 15;
