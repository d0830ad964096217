/**
 * A time cursor that re-reads a window before the highest time seen and skips what it already
 * emitted there. Microsoft's security feeds (alerts' `lastUpdateDateTime`, Defender's change events)
 * are indexed asynchronously: an item changed during a read can appear later with a time before ones
 * already read. Re-reading the window catches it; remembering `id@time` of the window keeps the
 * window's unchanged items from being emitted twice. Times are the service's, never this machine's.
 */
export type OverlapCursor = { since: string; seen: string[] };

export class OverlapWindow {
  private readonly seenBefore: Set<string>;
  private highest: number;
  private readonly recent: { key: string; at: number }[] = [];

  constructor(
    private readonly previous: OverlapCursor | undefined,
    private readonly overlapMs: number,
  ) {
    this.seenBefore = new Set(previous?.seen ?? []);
    this.highest = previous ? Date.parse(previous.since) : Number.NEGATIVE_INFINITY;
  }

  /** Where the read starts (ISO), or undefined for everything. */
  get from(): string | undefined {
    return this.previous ? new Date(Date.parse(this.previous.since) - this.overlapMs).toISOString() : undefined;
  }

  /** Notes an item; true when it is new (emit it), false when this exact version was emitted before. */
  fresh(id: string, time: unknown): boolean {
    const text = String(time ?? '');
    const at = Date.parse(text);
    const key = `${id}@${text}`;
    if (!Number.isNaN(at)) {
      this.highest = Math.max(this.highest, at);
      this.recent.push({ key, at });
    }
    return !this.seenBefore.has(key);
  }

  /** The next cursor: the highest time seen and what the next window will return again. */
  next(): OverlapCursor | undefined {
    if (!Number.isFinite(this.highest)) return this.previous;
    const windowStart = this.highest - this.overlapMs;
    const seen = new Set(this.recent.filter((r) => r.at >= windowStart).map((r) => r.key));
    for (const key of this.seenBefore) if (Date.parse(key.slice(key.lastIndexOf('@') + 1)) >= windowStart) seen.add(key);
    return { since: new Date(this.highest).toISOString(), seen: [...seen].sort() };
  }
}
