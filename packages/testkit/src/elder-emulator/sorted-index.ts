/**
 * Rows kept sorted by `ORDER BY name` (ties broken by id, NULL names last as PostgreSQL does for ASC),
 * maintained by binary insertion so a list request never sorts: 100 000 entities paged by 1000 stays cheap
 * even when writes interleave with reads. Names compare by UTF-16 code unit (a C-collation approximation;
 * Elder's database collation may order case and punctuation differently, and clients must not care).
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
  private readonly rows: T[] = [];

  get size(): number {
    return this.rows.length;
  }

  /** The sorted rows; callers must not mutate the array. */
  view(): readonly T[] {
    return this.rows;
  }

  private position(key: Named): number {
    let low = 0;
    let high = this.rows.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compareNamed(this.rows[mid] as T, key) < 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  insert(row: T): void {
    this.rows.splice(this.position(row), 0, row);
  }

  /** Remove the row stored under `key` (pass the row's name as it was when inserted). */
  remove(key: Named): boolean {
    const at = this.position(key);
    const found = this.rows[at];
    if (found === undefined || found.id !== key.id) return false;
    this.rows.splice(at, 1);
    return true;
  }
}
