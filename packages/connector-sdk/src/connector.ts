import { z } from 'zod';
import { ConnectorContractError } from './errors.js';
import type { JsonObject, JsonValue } from './json.js';
import type { Logger } from './logger.js';
import type { ReadItem } from './record.js';

/** The connector contract version this core speaks. A plugin declares the one it was built for. */
export const CONNECTOR_API_VERSION = 1;

/** How a record kind lands in Elder. */
export type KindSpec =
  | { target: 'organization'; description?: string }
  | {
      target: 'entity';
      /** Elder `entity_type` (free text; defaults follow Elder's `/api/v1/entity-types/`). */
      entityType: string;
      subType?: string;
      description?: string;
      /** Attribute names that identify the object in data written by others (adoption, DESIGN §6). */
      naturalKeys?: string[];
      /**
       * How the source compares natural key values: `exact` (the default) or `insensitive`, case
       * folded (LDAP DNs and mail addresses: `UID=carol,OU=People` is `uid=carol,ou=People`).
       * `--adopt` matches the way the source does, so a case difference never makes a duplicate.
       */
      naturalKeyCase?: 'exact' | 'insensitive';
    };

/** A fan-out unit the runner schedules on its own: account × region, project, tenant, directory. */
export interface Scope {
  /** Stable id within the source; state and ownership are keyed by it. */
  id: string;
  /** Human label for plans and logs (no secrets). */
  label: string;
  /** Connector-private data the scope needs (region, account, ...). */
  params?: JsonObject;
  /**
   * Ids this scope had in earlier versions of the connector (it changed how it names scopes). What
   * Elder and the state file hold under them is taken as this scope's, so the change deletes and
   * duplicates nothing.
   */
  formerIds?: string[];
}

export interface ConnectionCheck {
  /** What was checked: `reachable`, `bind`, `baseDn`, `pagedResults`, ... */
  name: string;
  ok: boolean;
  detail?: string;
  /** Permissions, roles, controls or scopes that are missing, by name. */
  missing?: string[];
}

/** What `scopes()` gets: discovery may read the source (never write) and must stop when `signal` aborts. */
export interface DiscoveryContext {
  log: Logger;
  signal: AbortSignal;
}

/**
 * The result of discovering scopes at run time (AWS accounts and enabled regions, GCP projects below
 * folders). A part of the source that could not be discovered goes in `failed`: the run reports each
 * as a failed scope (exit 3), and while any is present no scope seen before is taken to have vanished,
 * so nothing is deleted because discovery failed.
 */
export interface ScopeDiscovery {
  scopes: Scope[];
  failed?: ScopeDiscoveryFailure[];
}

export interface ScopeDiscoveryFailure {
  /** The id of the scope, or of the part of the source (an account), that could not be discovered. */
  id: string;
  label: string;
  error: unknown;
}

export interface ConnectorContext<C> {
  config: C;
  scope: Scope;
  log: Logger;
  signal: AbortSignal;
}

export interface ReadContext<C> extends ConnectorContext<C> {
  /** `full` reads everything (deletions can be found); `incremental` reads what changed since `checkpoint`. */
  mode: 'full' | 'incremental';
  checkpoint: JsonValue | null;
}

/**
 * Source settings a connector may default differently from the engine. Only what differs by the
 * nature of the source belongs here: `fullEvery` for a source whose full read is expensive and whose
 * delta API reports deletions (Microsoft Graph), where every run being full (the engine's default, 1)
 * would waste the delta.
 */
export interface ConnectorDefaults {
  /** Every Nth run reads everything (the source's `fullEvery` when it gives none). */
  fullEvery?: number;
}

export interface ConnectorDefinition<C = unknown> {
  apiVersion: number;
  id: string;
  displayName?: string;
  description?: string;
  /** zod schema of the source's `config` block; the only source of the config type. Mark secrets with `secret()`. */
  configSchema: z.ZodType<C>;
  /** Record kinds this connector emits and where each lands in Elder. */
  kinds: Record<string, KindSpec>;
  /** Defaults of source settings for this connector, used where the source block leaves them out. */
  defaults?: ConnectorDefaults;
  /**
   * Fan-out units for a config: a fixed list, or discovered at run time (reading the source, never
   * writing). A discovery that could not see everything says so in `ScopeDiscovery.failed`.
   */
  scopes(config: C, context: DiscoveryContext): Scope[] | ScopeDiscovery | Promise<Scope[] | ScopeDiscovery>;
  /** Structured checks against the source; never writes. */
  testConnection(context: ConnectorContext<C>): Promise<ConnectionCheck[]>;
  /** Records page by page, in a stable order, with checkpoints between pages. */
  read(context: ReadContext<C>): AsyncIterable<ReadItem>;
}

/** `scopes()` called and its answer in one shape, whichever the connector returned. */
export async function discoverScopes<C>(
  connector: Pick<ConnectorDefinition<C>, 'scopes'>,
  config: C,
  context: DiscoveryContext,
): Promise<Required<ScopeDiscovery>> {
  const answer = await connector.scopes(config, context);
  if (Array.isArray(answer)) return { scopes: answer, failed: [] };
  if (answer === null || typeof answer !== 'object' || !Array.isArray((answer as ScopeDiscovery).scopes)) {
    throw new ConnectorContractError('scopes() must return an array of scopes or { scopes, failed }');
  }
  return { scopes: answer.scopes, failed: answer.failed ?? [] };
}

/** Identity function that gives a connector its types; the object itself is the contract. */
export function defineConnector<C>(definition: ConnectorDefinition<C>): ConnectorDefinition<C> {
  return definition;
}

/** Marks a config field as secret: redacted everywhere, shown as `(sensitive)`. */
export function secret<T extends z.ZodType>(schema: T): T {
  return schema.meta({ secret: true, writeOnly: true }) as T;
}

const kindSpecShape = z.union([
  z.object({ target: z.literal('organization'), description: z.string().optional() }),
  z.object({
    target: z.literal('entity'),
    entityType: z.string().min(1).max(64),
    subType: z.string().min(1).max(64).optional(),
    description: z.string().optional(),
    naturalKeys: z.array(z.string()).optional(),
    naturalKeyCase: z.enum(['exact', 'insensitive']).optional(),
  }),
]);

// Structural, not `instanceof`: a user-installed plugin may carry its own copy of core and zod.
const connectorShape = z.object({
  apiVersion: z.number().int(),
  id: z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be lower-case letters, digits and dashes'),
  displayName: z.string().optional(),
  description: z.string().optional(),
  configSchema: z.custom<z.ZodType>(
    (v) => typeof v === 'object' && v !== null && typeof (v as { safeParse?: unknown }).safeParse === 'function',
    'must be a zod schema (an object with safeParse)',
  ),
  kinds: z.record(z.string(), kindSpecShape).refine((k) => Object.keys(k).length > 0, 'must declare at least one kind'),
  defaults: z.object({ fullEvery: z.number().int().min(1).max(10_000).optional() }).optional(),
  scopes: z.custom<(...args: unknown[]) => unknown>((v) => typeof v === 'function', 'must be a function'),
  testConnection: z.custom<(...args: unknown[]) => unknown>((v) => typeof v === 'function', 'must be a function'),
  read: z.custom<(...args: unknown[]) => unknown>((v) => typeof v === 'function', 'must be a function'),
});

/**
 * Checks a loaded module's default export against the contract and names what is wrong.
 * `origin` says where it came from (package name) for the error message.
 */
export function validateConnector(candidate: unknown, origin: string): ConnectorDefinition<unknown> {
  if (candidate === null || typeof candidate !== 'object') {
    throw new ConnectorContractError(
      `${origin}: the default export is ${candidate === null ? 'null' : typeof candidate}, not a connector; export default defineConnector({...}).`,
    );
  }
  const apiVersion = (candidate as { apiVersion?: unknown }).apiVersion;
  if (typeof apiVersion === 'number' && apiVersion !== CONNECTOR_API_VERSION) {
    const upgrade = apiVersion > CONNECTOR_API_VERSION ? 'upgrade elder-sync' : `upgrade the plugin ${origin}`;
    throw new ConnectorContractError(
      `${origin}: connector apiVersion ${apiVersion} is not supported (this elder-sync speaks apiVersion ${CONNECTOR_API_VERSION}); ${upgrade}.`,
    );
  }
  const parsed = connectorShape.safeParse(candidate);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.length ? i.path.join('.') : '(export)'} ${i.message}`)
      .join('; ');
    throw new ConnectorContractError(`${origin}: not a valid elder-sync connector: ${problems}.`);
  }
  return candidate as ConnectorDefinition<unknown>;
}
