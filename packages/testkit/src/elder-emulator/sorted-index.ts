/**
 * Rows kept in `ORDER BY name` order (ties broken by id, NULL names last as PostgreSQL does for ASC).
 * Writes are O(1): inserts and removals are buffered and folded in by one merge pass when the order is next
 * read, so seeding 100 000 rows costs one sort, a page read with no writes in between costs nothing, and a
 * read after a few writes costs one linear merge of that bucket. Names compare by UTF-16 code unit (a
 * C-collation approximation; Elder's database collation may order case and punctuation differently, and
 * clients must not depend on either).
 */

export interface Named {
  id: number;
  name: string | null;
}

export function compareNamed(a: Named, b: Named): number {
  if (a.name !== b.name) {
    if (a.name === null) return 1;
    if (b.name === null) return -1;
    return a.name < b.name ? -1 : 1;
  }
  return a.id - b.id;
}

export class SortedIndex<T extends Named> {
  private sorted: T[] = [];
  /** Rows inserted since the last read, not yet merged. */
  private readonly pendingInserts = new Set<T>();
  /** Rows (by identity) to drop from `sorted` at the next read; their names may already have changed. */
  private readonly pendingRemovals = new Set<T>();

  get size(): number {
    return this.sorted.length - this.pendingRemovals.size + this.pendingInserts.size;
  }

  /** Call before changing a row's name, together with `insert` after the change. */
  remove(row: T): void {
    if (this.pendingInserts.delete(row)) return;
    this.pendingRemovals.add(row);
  }

  insert(row: T): void {
    this.pendingInserts.add(row);
  }

  /** The rows in order; callers must not mutate the array. */
  view(): readonly T[] {
    if (this.pendingRemovals.size > 0) {
      const removals = this.pendingRemovals;
      this.sorted = this.sorted.filter((row) => !removals.has(row));
      removals.clear();
    }
    if (this.pendingInserts.size > 0) {
      const additions = [...this.pendingInserts].sort(compareNamed);
      this.pendingInserts.clear();
      this.sorted = this.sorted.length === 0 ? additions : merge(this.sorted, additions);
    }
    return this.sorted;
  }
}

function merge<T extends Named>(left: readonly T[], right: readonly T[]): T[] {
  const merged = new Array<T>(left.length + right.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < left.length && j < right.length) {
    merged[k++] = compareNamed(left[i] as T, right[j] as T) <= 0 ? (left[i++] as T) : (right[j++] as T);
  }
  while (i < left.length) merged[k++] = left[i++] as T;
  while (j < right.length) merged[k++] = right[j++] as T;
  return merged;
}
