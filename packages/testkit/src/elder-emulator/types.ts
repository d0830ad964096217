/** Public option, fault, row and statistics types of the Elder emulator. */

export type ElderDialect = 'v3.2.1' | 'legacy';

/**
 * The first seven are failures a real deployment produces; the rest are peers that lie (issue 13):
 * `html-200` a login portal or web UI answering 200 with HTML; `repeat-page` a list whose every page
 * is page 1 and always announces one more; `total-mismatch` a list whose `total` announces 1000 more
 * items than it holds; `huge-body` a 50 MB answer; `slow-loris` an answer dribbled a byte at a time.
 */
export type FaultKind =
  | '5xx-json'
  | '5xx-html'
  | '5xx-text'
  | 'reset'
  | 'slow'
  | 'apply-then-fail'
  | '429'
  | 'html-200'
  | 'repeat-page'
  | 'total-mismatch'
  | 'huge-body'
  | 'slow-loris';

/** Failures a real deployment produces, which a sink must survive and converge through (soak, fault matrix). */
export const FAULT_KINDS: readonly FaultKind[] = ['5xx-json', '5xx-html', '5xx-text', 'reset', 'slow', 'apply-then-fail', '429'];

/**
 * Answers that lie (a write "done" that was not, a list that does not hold what it says): a sink can
 * only refuse them by name and converge once they stop, so they are never mixed into a soak.
 */
export const LYING_FAULT_KINDS: readonly FaultKind[] = ['html-200', 'repeat-page', 'total-mismatch', 'huge-body', 'slow-loris'];

/** Size of the `huge-body` fault's answer. */
export const HUGE_BODY_BYTES = 50 * 1024 * 1024;

export interface FaultConfig {
  /** Probability (0..1) that an eligible request is faulted. */
  rate: number;
  /** Seed for the deterministic PRNG (mulberry32); without it, a seed is taken from Math.random. */
  seed?: number;
  kinds: FaultKind[];
  /** How long `slow` holds the response (default 5000 ms). */
  slowMs?: number;
  /** Only requests with these methods are eligible (default: all). */
  methods?: string[];
  /** Only requests whose path matches this regular expression (source text) are eligible. */
  paths?: string;
  /** Adds `Retry-After` to the `429` fault. Real Elder sends none (§6.5), so it is off by default. */
  retryAfterSeconds?: number;
}

export interface PortalUserSeed {
  email: string;
  password: string;
  /** `admin` makes the user a superuser; defaults to `admin`. */
  globalRole?: string | null;
  tenantRole?: string | null;
  fullName?: string | null;
  isActive?: boolean;
}

export interface ElderEmulatorOptions {
  /** Listen port; 0 (default) picks a free one. */
  port?: number;
  /** Listen address (default 127.0.0.1). */
  host?: string;
  /** Require a valid token on every route, closing the §0.2 asymmetry. Default false. */
  strictAuth?: boolean;
  /** Access-token lifetime (default 14400 = 4 h, §2.2). */
  tokenTtlSeconds?: number;
  /** Refresh-token lifetime (default 30 days). */
  refreshTtlSeconds?: number;
  /** Response shapes of v3.2.1 (default) or of ≤ v3.2.0 (§0.3). */
  dialect?: ElderDialect;
  /** Order lists by name, but randomly among equal names on every request (§0.1 item 5). */
  shuffleTies?: boolean;
  /** Fixed delay added to every API response (for benchmarks). */
  latencyMs?: number;
  /** Portal users; default is the fresh-install admin `admin@localhost.local` / `admin123`. */
  users?: PortalUserSeed[];
  /** HS256 secret; default is Elder's development default. */
  jwtSecret?: string;
  /** Bearer tokens accepted verbatim as the first portal user (what the Python worker sends as ELDER_API_KEY). */
  staticTokens?: string[];
  /** Faults active from the start. */
  faults?: FaultConfig | null;
  /** Pretty-print JSON with indent 2 as Flask does under DEBUG (default true). */
  prettyJson?: boolean;
  /** Reported by `GET /api/v1/status` (default "3.2.1"). */
  appVersion?: string;
}

export interface EmulatorStats {
  /** Total API requests (control routes under /__emulator excluded). */
  requests: number;
  /** GET/HEAD/OPTIONS on non-auth routes. */
  reads: number;
  /** POST/PATCH/PUT/DELETE on non-auth routes (including ones rejected with 4xx). */
  writes: number;
  /** Requests to /api/v1/portal-auth/* (logins and refreshes are neither reads nor writes). */
  auth: number;
  /** Keyed by `METHOD /route/{id}`, e.g. `POST /api/v1/entities`, `PATCH /api/v1/entities/{id}`. */
  byRoute: Record<string, number>;
  /** Keyed by HTTP status answered (faults included, `reset` excluded). */
  byStatus: Record<string, number>;
  faultsInjected: number;
  faultsByKind: Partial<Record<FaultKind, number>>;
}

/** Stored organization row (v3.2.1 columns, plus the legacy ones the legacy dialect keeps). */
export interface OrganizationRow {
  id: number;
  tenant_id: number | null;
  parent_id: number | null;
  name: string;
  slug: string | null;
  display_name: string | null;
  description: string | null;
  type: string | null;
  cloud_provider: string | null;
  cloud_account_id: string | null;
  region: string | null;
  owner_identity_id: number | null;
  owner_group_id: number | null;
  is_active: boolean;
  settings: unknown;
  tags: unknown;
  metadata: unknown;
  created_at: number | null;
  updated_at: number | null;
  ldap_dn: string | null;
  saml_group: string | null;
}

/** Stored entity row; `description`, `is_active`, `default_metadata` and `status_metadata` only matter in the legacy dialect. */
export interface EntityRow {
  id: number;
  organization_id: number | null;
  parent_id: number | null;
  name: string | null;
  type: string;
  sub_type: string | null;
  external_id: string | null;
  cloud_provider: string | null;
  region: string | null;
  status: string | null;
  is_managed: boolean;
  tags: unknown;
  metadata: unknown;
  last_seen_at: number | null;
  created_at: number | null;
  updated_at: number | null;
  description: string | null;
  is_active: boolean;
  default_metadata: unknown;
  status_metadata: unknown;
}

export interface DependencyRow {
  id: number;
  tenant_id: number | null;
  source_type: string;
  source_id: number;
  target_type: string;
  target_id: number;
  dependency_type: string;
  metadata: unknown;
  created_at: number | null;
  updated_at: number | null;
  village_id: string | null;
}

/** Seeds accept the response names (`type`, `metadata`) or the request names (`entity_type`, `attributes`). */
export type OrganizationSeed = Partial<Omit<OrganizationRow, 'id' | 'created_at' | 'updated_at'>> & {
  name: string;
  organization_type?: string;
  created_at?: Date | number | null;
  updated_at?: Date | number | null;
};

export type EntitySeed = Partial<Omit<EntityRow, 'id' | 'created_at' | 'updated_at' | 'last_seen_at' | 'type'>> & {
  type?: string;
  entity_type?: string;
  attributes?: unknown;
  created_at?: Date | number | null;
  updated_at?: Date | number | null;
  last_seen_at?: Date | number | null;
};

export type DependencySeed = Partial<Omit<DependencyRow, 'id' | 'created_at' | 'updated_at'>> & {
  source_type: string;
  source_id: number;
  target_type: string;
  target_id: number;
  created_at?: Date | number | null;
  updated_at?: Date | number | null;
};
