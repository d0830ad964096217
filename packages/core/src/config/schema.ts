import { Cron } from 'croner';
import { z } from 'zod';
import { secret } from '../connector.js';
import type { ElderAuth } from '../elder/types.js';

/**
 * The configuration file's schema (DESIGN §3): the only source of the config types.
 *
 * Cross-field rules are `superRefine`s with `when: () => true`, so they run even when other
 * fields already failed: a user fixes every problem in one edit, not one per run. That means
 * they see unparsed input and must check types themselves.
 */

/** Where synced organizations hang when neither `elder.organization` nor a source says otherwise. */
export const DEFAULT_ORGANIZATION_PATH = ['elder-sync'] as const;
/** Used when neither `state.path` nor `$ELDER_SYNC_STATE` is set; relative to the working directory. */
export const DEFAULT_STATE_PATH = './.elder-sync/state.db';

const ALWAYS = { when: () => true } as const;

export const SOURCE_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;
const CONNECTOR_ID_PATTERN = /^[a-z][a-z0-9-]*$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function int(min: number, max: number) {
  // Not `.int()`: its issue aborts the enclosing object's refinements even with `when`, which
  // would hide e.g. the duplicate-name check behind a `fullEvery: 1.5`. `multipleOf(1)` does not.
  return z.number().multipleOf(1).min(min).max(max);
}

/** `{ path: [names from the top] }` or `{ id }` of an Elder organization. */
export const organizationRefSchema = z
  .strictObject({
    path: z.array(z.string().trim().min(1).max(255)).min(1).optional(),
    id: int(1, Number.MAX_SAFE_INTEGER).optional(),
  })
  .superRefine((value, ctx) => {
    if (!isPlainObject(value)) return;
    const hasPath = value.path !== undefined;
    const hasId = value.id !== undefined;
    if (hasPath === hasId) {
      ctx.addIssue({
        code: 'custom',
        message: hasPath
          ? 'give either path or id, not both'
          : 'give either path (organization names from the top, e.g. [Acme, Infrastructure]) or id (a number)',
      });
    }
  }, ALWAYS)
  .transform((value): { path: string[] } | { id: number } =>
    value.id !== undefined ? { id: value.id } : { path: value.path ?? [...DEFAULT_ORGANIZATION_PATH] },
  );

export const elderConfigSchema = z
  .strictObject({
    /** Base URL of Elder, without `/api/v1`. */
    url: z
      .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL, e.g. https://elder.example.com' })
      // The client appends `/api/v1/...` itself; forgive a copied API base URL.
      .overwrite((url) => url.replace(/\/+$/, '').replace(/\/api\/v1$/, '')),
    token: secret(z.string().min(1)).optional(),
    email: z.string().min(1).optional(),
    password: secret(z.string().min(1)).optional(),
    organization: organizationRefSchema.default(() => ({ path: [...DEFAULT_ORGANIZATION_PATH] })),
    createMissingOrganizations: z.boolean().default(true),
    /** Elder requests in flight at once. */
    concurrency: int(1, 64).default(8),
    timeoutMs: int(1000, 600_000).default(30_000),
    /** Attempts per request for transient errors, the first included. */
    maxAttempts: int(1, 20).default(5),
  })
  .superRefine((value, ctx) => {
    if (!isPlainObject(value)) return;
    const fields: Record<string, unknown> = value;
    const has = (key: string) => fields[key] !== undefined;
    if (has('token') && (has('email') || has('password'))) {
      ctx.addIssue({ code: 'custom', message: 'give either token, or email and password, not both' });
    } else if (!has('token') && !has('email') && !has('password')) {
      ctx.addIssue({ code: 'custom', message: 'give either token, or email and password' });
    } else if (has('email') && !has('password')) {
      ctx.addIssue({ code: 'custom', path: ['password'], message: 'required with email (or use token instead)' });
    } else if (has('password') && !has('email')) {
      ctx.addIssue({ code: 'custom', path: ['email'], message: 'required with password (or use token instead)' });
    }
  }, ALWAYS);

const NATS_URL = /^(nats|tls):\/\/[^\s/]+\/?$/;
const NATS_URL_MESSAGE = 'must be a NATS server URL: nats://host:4222 (or tls://host:4222; user:password@ is accepted)';

export const stateConfigSchema = z.strictObject({
  /**
   * SQLite file. Relative paths in the file are resolved against the config file's directory;
   * the default (`$ELDER_SYNC_STATE`, else `./.elder-sync/state.db`) against the working directory.
   * Optional here; `loadConfig` always fills it in (absolute).
   */
  path: z.string().min(1).optional(),
  /**
   * `nats://host:4222`: checkpoints and id mappings in JetStream KV buckets instead of SQLite, so
   * workers on different machines share them (credentials and TLS from the `nats` block).
   */
  url: z.string().regex(NATS_URL, NATS_URL_MESSAGE).optional(),
});

/** NATS connection for scale-out (`run --dispatch`, `worker`, `state.url`), DESIGN §8. */
export const natsConfigSchema = z.strictObject({
  servers: z.union([z.string().regex(NATS_URL, NATS_URL_MESSAGE), z.array(z.string().regex(NATS_URL, NATS_URL_MESSAGE)).min(1)]),
  user: z.string().min(1).optional(),
  password: secret(z.string().min(1)).optional(),
  token: secret(z.string().min(1)).optional(),
  /** A `.creds` file (JWT and nkey seed) from `nsc`. */
  credsFile: z.string().min(1).optional(),
  tls: z
    .strictObject({ caFile: z.string().min(1).optional(), certFile: z.string().min(1).optional(), keyFile: z.string().min(1).optional() })
    .optional(),
});

/**
 * Null when croner — the scheduler the daemon runs — accepts `expression` and it fires again; else
 * why not. `config validate` and the daemon thus agree on every schedule (`61 * * * *`, `0 0 30 2 *`).
 */
export function cronProblem(expression: string): string | null {
  let cron: Cron;
  try {
    cron = new Cron(expression, { paused: true });
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).replace(/^CronPattern:\s*/, '');
    return `${JSON.stringify(expression)} is not a cron expression the scheduler accepts (${reason}); use 5 fields (minute hour day month weekday) such as "*/15 * * * *", or @hourly/@daily`;
  }
  if (cron.nextRun() === null) return `${JSON.stringify(expression)} never fires (no such date); fix the day and month fields`;
  return null;
}

/** Shape and range, checked by croner itself (see `cronProblem`). */
export function isCronExpression(value: string): boolean {
  return cronProblem(value) === null;
}

export const kindOverrideSchema = z.strictObject({
  entityType: z.string().min(1).max(64).optional(),
  subType: z.string().min(1).max(64).optional(),
});

export const sourceConfigSchema = z
  .strictObject({
    /** Unique; state and ownership are keyed by it, so renaming a source orphans what it created. */
    name: z
      .string()
      .max(64)
      .regex(SOURCE_NAME_PATTERN, 'must be lower-case letters, digits, ".", "_" or "-", starting with a letter or digit'),
    connector: z.string().regex(CONNECTOR_ID_PATTERN, 'must be a connector id such as ldap or aws'),
    /** Cron expression; the daemon runs the source on it. */
    schedule: z
      .string()
      .superRefine((value, ctx) => {
        const problem = cronProblem(value);
        if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
    /** Seconds between runs in the daemon. */
    interval: int(1, 31 * 24 * 3600).optional(),
    deletes: z.enum(['delete', 'mark', 'keep']).default('delete'),
    maxDeletePercent: z.number().min(0).max(100).default(20),
    /**
     * Every Nth run reads everything (1 = every run is a full read and sees deletions). Left out: the
     * connector's default (`defaults.fullEvery`, e.g. 96 for graph), else 1.
     */
    fullEvery: int(1, 10_000).optional(),
    organization: organizationRefSchema.optional(),
    /** Per-kind Elder type override. */
    types: z.record(z.string(), kindOverrideSchema).optional(),
    /** Scopes of this source read in parallel. */
    concurrency: int(1, 64).default(4),
    /** Validated later against the connector's own schema (`validateSourceConfig`). */
    config: z.unknown().default(() => ({})),
  })
  .superRefine((value, ctx) => {
    if (isPlainObject(value) && value.schedule !== undefined && value.interval !== undefined) {
      ctx.addIssue({ code: 'custom', message: 'give either schedule or interval, not both' });
    }
  }, ALWAYS);

/** `host:port` (IPv6 in brackets) the daemon's health server binds. */
const LISTEN_PATTERN = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** `elder-sync daemon` and `run --serve-metrics` (DESIGN §7). Optional: `run` never needs it. */
export const daemonConfigSchema = z.strictObject({
  /** Health and metrics server. Loopback by default: /status names sources and errors. */
  listen: z
    .string()
    .regex(LISTEN_PATTERN, 'must be host:port, e.g. 127.0.0.1:9464 or 0.0.0.0:9464 ([::1]:9464 for IPv6)')
    .default('127.0.0.1:9464'),
  /** Run every source once at start, then on its schedule (the worker's SYNC_ON_STARTUP). */
  runOnStart: z.boolean().default(true),
  /** Seconds for a source without schedule or interval (the worker's default interval). */
  defaultInterval: int(1, 31 * 24 * 3600).default(3600),
  /** Each run starts up to this many seconds late, at random, so sources on one cron line do not stampede Elder. */
  jitterSeconds: z.number().min(0).max(3600).default(0),
  /** On SIGTERM, how long runs in flight may take to finish their writes before the process exits anyway. */
  gracePeriodSeconds: z.number().min(0).max(3600).default(30),
  /** Serve /metrics (the worker's METRICS_ENABLED). */
  metrics: z.boolean().default(true),
});

export const elderSyncConfigSchema = z
  .strictObject({
    /** For editors' YAML/JSON language servers. */
    $schema: z.string().optional(),
    elder: elderConfigSchema,
    state: stateConfigSchema.default(() => ({})),
    sources: z.array(sourceConfigSchema).default(() => []),
    daemon: daemonConfigSchema.optional(),
    nats: natsConfigSchema.optional(),
  })
  .superRefine((value, ctx) => {
    if (!isPlainObject(value) || !Array.isArray(value.sources)) return;
    const firstIndex = new Map<string, number>();
    value.sources.forEach((source: unknown, index) => {
      if (!isPlainObject(source) || typeof source.name !== 'string') return;
      const first = firstIndex.get(source.name);
      if (first === undefined) firstIndex.set(source.name, index);
      else
        ctx.addIssue({
          code: 'custom',
          path: ['sources', index, 'name'],
          message: `duplicate source name "${source.name}" (also sources[${first}]); names must be unique`,
        });
    });
  }, ALWAYS);

export type ElderSyncConfig = z.infer<typeof elderSyncConfigSchema>;
export type ElderConfig = z.infer<typeof elderConfigSchema>;
export type StateConfig = z.infer<typeof stateConfigSchema>;
export type SourceConfig = z.infer<typeof sourceConfigSchema>;
export type DaemonConfig = z.infer<typeof daemonConfigSchema>;
export type NatsConfig = z.infer<typeof natsConfigSchema>;
export type OrganizationRef = z.infer<typeof organizationRefSchema>;
export type KindOverride = z.infer<typeof kindOverrideSchema>;
export type DeleteMode = SourceConfig['deletes'];

/** The Elder client's auth from a validated `elder` block. */
export function elderAuth(elder: ElderConfig): ElderAuth {
  if (elder.token !== undefined) return { kind: 'token', token: elder.token };
  // The schema guarantees email and password when there is no token.
  return { kind: 'login', email: elder.email ?? '', password: elder.password ?? '' };
}
