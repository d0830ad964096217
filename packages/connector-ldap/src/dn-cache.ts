import { formatNormalized, formatNormalizedRdn, organizationPathBelow, parseDn, readOwnRdn, type Rdn } from './dn.js';

/** What every entry directly below one parent DN shares. */
interface Parent {
  /** The parent's RDNs (the entry's DN without its own RDN). */
  rdns: Rdn[];
  /** Organization path of any entry directly below this parent. */
  organizationPath: string[];
  /** Normal form of the parent DN, made the first time a child's normal form is asked for. */
  normalized: string | undefined;
}

/** One entry's DN as the cache sees it: its own RDN, and its parent when it has one. */
interface Placed {
  own: Rdn;
  parent: Parent | undefined;
}

/** Entries per parent are many in practice; a directory with as many parents as entries still stays bounded. */
const DEFAULT_PARENT_LIMIT = 1024;

/**
 * DN work for the entries of one read below one base DN. A directory of 100 000 users has them under a
 * handful of containers, and parsing, normalising and placing the same `ou=…,dc=…` tail once per user
 * was most of the connector's own CPU. Here each distinct parent DN text is parsed, placed below the
 * base and (when membership needs it) normalised once; per entry only its own RDN is parsed.
 *
 * The results are exactly those of `parseDn`, `organizationPathOf` and `normalizeDn` (same parser, same
 * errors): the parser reads the RDNs after a separator the same whatever precedes it, a parent is
 * cached only after the whole DN it came from parsed, and an entry's organization path depends only on
 * its parent's RDNs. The parent map is cleared when it reaches its limit, so memory stays bounded
 * whatever the directory's shape.
 */
export class DnCache {
  readonly baseNormalized: string;
  private readonly parents = new Map<string, Parent>();
  /** The last DN placed: a user's DN is asked for its path and then, maybe, its normal form. */
  private lastDn: string | undefined;
  private last: Placed | undefined;

  constructor(
    readonly base: readonly Rdn[],
    private readonly parentLimit = DEFAULT_PARENT_LIMIT,
  ) {
    this.baseNormalized = formatNormalized(base);
  }

  /** `organizationPathOf(parseDn(dn), base)`; a fresh array each call. */
  organizationPath(dn: string): string[] {
    const placed = this.place(dn);
    if (placed?.parent === undefined) return []; // nothing lies between a one-RDN DN and any base
    return placed.parent.organizationPath.slice();
  }

  /** `organizationPathOf(rdns, base)` for a DN already parsed (OUs, which need their own RDN too). */
  pathOf(rdns: readonly Rdn[]): string[] {
    return organizationPathBelow(rdns, this.base.length, this.baseNormalized);
  }

  /** `normalizeDn(dn)`. */
  normalize(dn: string): string {
    const placed = this.place(dn);
    if (placed === undefined) return '';
    const own = formatNormalizedRdn(placed.own);
    const parent = placed.parent;
    if (parent === undefined) return own;
    parent.normalized ??= formatNormalized(parent.rdns);
    return `${own},${parent.normalized}`;
  }

  /** Number of parent DNs held (for tests of the bound). */
  get size(): number {
    return this.parents.size;
  }

  /** Parses `dn` (its own RDN always, its parent only the first time); `undefined` for the empty DN. */
  private place(dn: string): Placed | undefined {
    if (dn === this.lastDn) return this.last;
    let placed: Placed | undefined;
    if (dn.trim() !== '') {
      const { rdn: own, end } = readOwnRdn(dn);
      if (end >= dn.length) {
        placed = { own, parent: undefined };
      } else {
        const key = dn.slice(end + 1);
        let parent = this.parents.get(key);
        if (parent === undefined) {
          // The whole DN, so that a malformed parent fails exactly as parseDn(dn) does.
          const rdns = parseDn(dn);
          const organizationPath = this.pathOf(rdns);
          parent = { rdns: rdns.slice(1), organizationPath, normalized: undefined };
          if (this.parents.size >= this.parentLimit) this.parents.clear();
          this.parents.set(key, parent);
        }
        placed = { own, parent };
      }
    }
    this.lastDn = dn;
    this.last = placed;
    return placed;
  }
}
