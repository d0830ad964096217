import { randomUUID } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';
import { existsSync } from 'node:fs';
import { DEFAULT_STATE_PATH, elderAuth, type ElderSyncConfig, type SourceConfig } from '../config/schema.js';
import { requireSources, validateSourceConfig } from '../config/index.js';
import { discoverScopes, type ConnectorDefinition, type Scope, type ScopeDiscovery } from '../connector.js';
import { createElderClient } from '../elder/client.js';
import type { ElderApi } from '../elder/types.js';
import { ConfigError, ElderSyncError, errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import { redact } from '../secrets.js';
import { StateStore } from '../state/index.js';
import { ScopeWrites, applyScope } from './apply-scope.js';
import { EarlyWrites } from './early-writes.js';
import { indexOwnedEntities } from './elder-index.js';
import { OrgTree } from './org-tree.js';
import { resolveRoot } from './organizations.js';
import { emptyCounts, organizationProjection, planScope, totalCounts } from './plan-scope.js';
import { PlanStore } from './plan-store.js';
import { planVanishedScope, vanishedScopes } from './plan-vanished-scope.js';
import { inShard, runsSourceWideSteps, shardStatePath, type Shard } from './shard.js';
import { organizationPathKey } from './projection.js';
import { runFairly } from './scheduler.js';
import type { SourceContext, SourceSettings } from './source-context.js';
import type { ScopeReport, SyncOptions, SyncReport } from './types.js';

export const INTERRUPTED = 'interrupted: stopped before every change was applied; the next run continues';

/** The scope id under which a plan shows organizations of the shared root that do not exist yet. */
export const ROOT_SCOPE = '@root';

/**
 * One run over the selected sources: index what each owns in Elder, read every scope, plan, and in
 * `apply` mode write. Scopes fail alone (DESIGN §5.6); checkpoints are committed per scope only
 * after its writes were confirmed (DESIGN §5.5).
 */
export async function runSync(options: SyncOptions): Promise<SyncReport> {
  const runId = randomUUID();
  const startedAt = new Date();
  const config = options.config as ElderSyncConfig;
  const log = options.log.child({ runId });
  const sources = selectSources(config, options.sources ?? []);
  const elder = options.elder ?? createElderClientFromConfig(config, log);
  // A caller-owned store (a worker's unit state from JetStream KV) is used as it is, and not closed here.
  const state = options.state ?? openState(config, options);
  // Source-wide steps (roots, vanished scopes) run in shard 1, never in a unit a dispatcher handed out.
  const sourceWide = runsSourceWideSteps(options.shard) && options.scopes === undefined;
  const store = new PlanStore();
  const signal = options.signal ?? new AbortController().signal;
  const reports: ScopeReport[] = [];
  let rootCreates = 0;

  try {
    let tree: OrgTree | null = null;
    let elderError: unknown = null;
    try {
      tree = await OrgTree.load(elder);
    } catch (error) {
      elderError = error;
    }
    // Discovery and roots one source after another (sources may share a root, created once)...
    const runs: SourceRun[] = [];
    for (const source of sources) {
      const run = await prepareSource({ config, source, tree, elderError, store, state, elder, log, signal, options, sourceWide, reports });
      if (!run) continue;
      rootCreates += run.rootCreates;
      runs.push(run);
    }
    // ...then every source's index at once, and all their scopes side by side (step 2-5 per scope).
    await Promise.all(runs.map((run) => indexSource(run, sourceWide, reports)));
    const lanes = runs
      .filter((run) => run.indexed)
      .map((run) => ({
        concurrency: run.ctx.source.concurrency,
        items: [
          ...run.scopes.map((scope) => ({ run, scope, vanished: false })),
          ...run.vanished.map((scope) => ({ run, scope, vanished: true })),
        ],
      }));
    const total = lanes.reduce((n, lane) => n + Math.max(1, lane.concurrency), 0);
    await runFairly(lanes, total, async ({ run, scope, vanished }) => {
      const report = await syncScope(run.ctx, scope, options.mode, run.log.child({ scope: scope.id }), vanished);
      reports.push(report);
      options.onScopeDone?.(report);
    });
  } finally {
    if (!options.state) state.close();
    if (!options.elder) await elder.close();
  }

  return finishReport({
    runId,
    mode: options.mode,
    startedAt,
    reports,
    extraCreates: rootCreates,
    elder,
    elderUrl: config.elder.url,
    options: {
      full: options.full ?? false,
      only: options.only?.length ? [...options.only] : null,
      adopt: options.adopt ?? false,
      ...(options.allowMassDelete ? { allowMassDelete: true } : {}),
      // A shard's plan is applied with that shard's state (its plan key, cursors and mappings).
      ...(options.shard && options.shard.count > 1 ? { shard: options.shard } : {}),
    },
    store,
  });
}

/** One source in a run: its context, the scopes it syncs, and the ones that vanished from it. */
interface SourceRun {
  ctx: SourceContext;
  log: Logger;
  discovery: Required<ScopeDiscovery>;
  scopes: Scope[];
  /** Filled once the index says which scopes own objects (`indexSource`). */
  vanished: Scope[];
  rootCreates: number;
  indexed: boolean;
}

/**
 * A source's connector, validated config, the scopes this run takes (a part that discovery could not
 * list fails as a scope of its own, exit 3) and root organization; null when none can run (reported).
 */
async function prepareSource(input: {
  config: ElderSyncConfig;
  source: SourceConfig;
  tree: OrgTree | null;
  elderError: unknown;
  store: PlanStore;
  state: StateStore;
  elder: ElderApi;
  log: Logger;
  signal: AbortSignal;
  options: SyncOptions;
  /** This process runs the source-wide steps (roots, vanished scopes). */
  sourceWide: boolean;
  reports: ScopeReport[];
}): Promise<SourceRun | null> {
  const { config, source, tree, options, reports } = input;
  const log = input.log.child({ source: source.name });
  let settings = sourceSettings(source);
  let connector: ConnectorDefinition<unknown>;
  let connectorConfig: unknown;
  let discovery: Required<ScopeDiscovery>;
  try {
    connector = await options.connectors(source.connector);
    settings = sourceSettings(source, connector);
    connectorConfig = validateSourceConfig(config.sources.indexOf(source), source.config, connector, source.types);
    // A worker's unit carries its scope, discovered once by the dispatcher.
    const given = options.scopes?.[source.name];
    discovery = given ? { scopes: given, failed: [] } : await discoverScopes(connector, connectorConfig, { log, signal: input.signal });
  } catch (error) {
    reports.push(failedScope(settings, { id: '*', label: source.connector }, error));
    return null;
  }
  // Sharded: this process takes only its units; each failure is reported by the shard that owns it.
  for (const failure of discovery.failed) {
    if (inShard(options.shard, source.name, failure.id)) reports.push(failedScope(settings, failure, failure.error, 'discovery: '));
  }
  options.onDiscovered?.(source.name, discovery);
  // A dispatcher runs no scope itself: the workers do.
  const scopes = options.sourceWideOnly ? [] : discovery.scopes.filter((scope) => inShard(options.shard, source.name, scope.id));
  if (!tree) {
    for (const scope of scopes) reports.push(failedScope(settings, scope, input.elderError, 'Elder: '));
    return null;
  }
  // Shard 1 opens every source (it creates the roots, removes vanished scopes); the others only the
  // sources they have units of.
  if (scopes.length === 0 && !input.sourceWide) return null;
  try {
    const opened = await openSourceContext({ ...input, source, connector, connectorConfig, tree, log, options });
    return { ctx: opened.ctx, log, discovery, scopes, vanished: [], rootCreates: opened.rootCreates, indexed: false };
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    for (const scope of scopes) reports.push(failedScope(settings, scope, error, 'Elder: '));
    return null;
  }
}

/**
 * Step 1 for one source: its index (a failure fails its scopes, reported). Then, as a source-wide
 * step (shard 1, a run of every scope and kind), the scopes that own objects but were not discovered.
 */
async function indexSource(run: SourceRun, sourceWide: boolean, reports: ScopeReport[]): Promise<void> {
  try {
    await indexOwnedEntities(run.ctx, run.log);
    run.indexed = true;
  } catch (error) {
    for (const scope of run.scopes) reports.push(failedScope(run.ctx.source, scope, error, 'Elder: '));
    return;
  }
  if (!sourceWide || run.ctx.only) return;
  const owned = run.ctx.store.owned.scopes(run.ctx.source.name);
  for (const summary of run.ctx.state.sources()) {
    if (summary.source === run.ctx.source.name && summary.ownedMappings > 0) owned.push(summary.scope);
  }
  const vanished = vanishedScopes(run.discovery, owned);
  run.vanished = vanished.map((id) => ({ id, label: `${id} (no longer in the source)` }));
  if (vanished.length > 0) run.log.warn('scopes no longer in the source; their objects are planned for removal', { scopes: vanished });
}

/** The report of a run (`runSync`) or of an applied plan (`applyPlan`): scopes sorted, totals summed. */
export function finishReport(input: {
  runId: string;
  mode: SyncReport['mode'];
  startedAt: Date;
  reports: ScopeReport[];
  /** Creations outside any scope (a missing root organization). */
  extraCreates?: number;
  elder: ElderApi;
  elderUrl: string;
  options: SyncReport['options'];
  store: PlanStore;
}): SyncReport {
  const scopes = [...input.reports].sort((a, b) => a.source.localeCompare(b.source) || a.scope.localeCompare(b.scope));
  const totals = totalCounts(scopes, input.extraCreates);
  return {
    runId: input.runId,
    mode: input.mode,
    startedAt: input.startedAt.toISOString(),
    durationMs: Date.now() - input.startedAt.getTime(),
    scopes,
    totals,
    elder: { ...input.elder.stats },
    elderUrl: input.elderUrl,
    options: input.options,
    changes: (limit) => input.store.changes.all(limit),
    tally: () => input.store.changes.tally(),
    organizationCreates: () => input.store.changes.organizationCreates(),
    close: () => input.store.close(),
  };
}

export interface OpenSourceInput {
  config: ElderSyncConfig;
  source: SourceConfig;
  connector: ConnectorDefinition<unknown>;
  connectorConfig: unknown;
  tree: OrgTree;
  store: PlanStore;
  state: StateStore;
  elder: ElderApi;
  log: Logger;
  signal: AbortSignal;
  options: Pick<SyncOptions, 'mode' | 'full' | 'only' | 'scopes' | 'allowMassDelete' | 'adopt' | 'onProgress' | 'shard' | 'rootWaitMs'>;
  /** Put the root's missing organizations into the plan (a saved plan already holds them). */
  planRoot?: boolean;
  /** Apply mode, but a missing root is created only by the returned `createRoot` (a saved plan is checked first). */
  deferRoot?: boolean;
  /** This process runs the source-wide steps (default true); else it waits for the root to appear. */
  sourceWide?: boolean;
}

/**
 * Everything a source's scopes share in one run: its root organization (created in apply mode),
 * and the index of what it owns in Elder. Used by `runSync` and by `applyPlan`.
 */
export async function openSource(input: OpenSourceInput): Promise<OpenedSource> {
  const opened = await openSourceContext(input);
  await indexOwnedEntities(opened.ctx, input.log);
  return opened;
}

interface OpenedSource {
  ctx: SourceContext;
  rootCreates: number;
  /** Creates the root's missing organizations (after `deferRoot`; else there are none left). */
  createRoot: () => Promise<void>;
}

/** `openSource` without the index: the root organization and the context. */
async function openSourceContext(input: OpenSourceInput): Promise<OpenedSource> {
  const { config, source, tree, store, elder, options } = input;
  const settings = sourceSettings(source, input.connector);
  const rootRef = source.organization ?? config.elder.organization;
  const rootOptions = {
    createMissing: config.elder.createMissingOrganizations,
    configPath: source.organization ? `sources[${config.sources.indexOf(source)}].organization` : 'elder.organization',
  };
  const root = await resolveRoot(elder, tree, rootRef, { ...rootOptions, create: false });
  // Creating the root is a source-wide step: shard 1 plans and creates it, the other shards wait for it,
  // so shards started at the same moment against an empty Elder make one root, not N.
  const createsRoot = input.sourceWide ?? true;
  // The root's own creation is part of the plan too, in both modes (DESIGN §5.3).
  const rootCreates = input.planRoot === false || !createsRoot ? 0 : planRootOrganizations(store, settings.name, rootRef, root.missing);
  const ctx: SourceContext = {
    source: settings,
    connector: input.connector,
    connectorConfig: input.connectorConfig,
    rootId: root.id,
    rootMissing: root.missing,
    tree,
    store,
    state: input.state,
    elder,
    log: input.log,
    mode: options.mode,
    full: options.full ?? false,
    only: options.only?.length ? new Set(options.only) : null,
    allowMassDelete: options.allowMassDelete ?? false,
    adopt: options.adopt ?? false,
    writeConcurrency: config.elder.concurrency,
    createMissingOrganizations: config.elder.createMissingOrganizations,
    mappedBefore: input.state.countMappings(settings.name) > 0,
    plannedOrganizations: new Map(),
    signal: input.signal,
    ...(options.onProgress ? { progress: options.onProgress } : {}),
  };
  const useRoot = (found: { id: number | null; missing: string[] }) => {
    ctx.rootId = found.id;
    ctx.rootMissing = found.missing;
  };
  const createRoot = async () => {
    if (ctx.rootMissing.length > 0) useRoot(await resolveRoot(elder, tree, rootRef, { ...rootOptions, create: true }));
  };
  if (root.missing.length > 0 && options.mode === 'apply' && !input.deferRoot) {
    if (createsRoot) await createRoot();
    else useRoot(await waitForRoot(elder, tree, rootRef, { ...rootOptions, create: false }, rootCreator(options.shard), options.rootWaitMs ?? ROOT_WAIT_MS, input.signal));
  }
  return { ctx, rootCreates, createRoot };
}

async function syncScope(ctx: SourceContext, scope: Scope, mode: 'apply' | 'plan', log: Logger, vanished = false): Promise<ScopeReport> {
  const started = Date.now();
  const base = { source: ctx.source.name, connector: ctx.source.connector, scope: scope.id, label: scope.label };
  if (ctx.signal.aborted) {
    return { ...base, status: 'failed', error: INTERRUPTED, mode: 'full', counts: emptyCounts(), durationMs: 0 };
  }
  // In `run`, writes start while the scope is still being read (EarlyWrites); the applier does the rest.
  const writes = mode === 'apply' ? new ScopeWrites(ctx, scope, log) : null;
  const early = writes && new EarlyWrites(ctx, writes);
  let plan;
  try {
    plan = vanished ? planVanishedScope(ctx, scope) : await planScope(ctx, scope, log, early);
  } catch (error) {
    early?.stop();
    // What was written while reading stays written and is counted; nothing else of the scope is applied.
    const written = writes ? await writes.settle() : {};
    if (ctx.signal.aborted) {
      return { ...base, status: 'failed', error: INTERRUPTED, mode: 'full', counts: { ...emptyCounts(), ...written }, durationMs: Date.now() - started };
    }
    log.error(`scope failed: ${errorMessage(error)}`);
    if (mode === 'apply') ctx.state.commitScope(ctx.source.name, scope.id, { fullRead: false, status: 'failed' });
    // One error, as for a scope that failed on Elder (`failedScope`): the column means the same everywhere.
    return { ...base, status: 'failed', error: redact(errorMessage(error)), mode: 'full', counts: { ...emptyCounts(), ...written, errors: 1 }, durationMs: Date.now() - started };
  }
  early?.stop();
  const counts = plan.counts;
  if (plan.guard) log.warn(plan.guard);
  if (mode === 'plan') {
    return {
      ...base,
      status: plan.guard ? 'failed' : 'ok',
      error: plan.guard,
      ...(plan.guard ? { guard: plan.guard } : {}),
      mode: plan.mode,
      counts,
      durationMs: Date.now() - started,
      ...(plan.cursor === undefined ? {} : { cursor: plan.cursor }),
    };
  }
  const applied = await applyScope(ctx, scope, log, writes!);
  const written = applied.errors === 0 && !applied.interrupted;
  const ok = written && plan.guard === null;
  ctx.state.commitScope(ctx.source.name, scope.id, {
    // A cursor moves only once every write before it is confirmed (DESIGN §5.5).
    ...(written && plan.cursor !== undefined ? { cursor: plan.cursor } : {}),
    fullRead: written && plan.mode === 'full',
    status: ok ? 'success' : 'partial',
  });
  return {
    ...base,
    status: ok ? 'ok' : 'failed',
    error: applied.interrupted
      ? INTERRUPTED
      : applied.errors > 0
        ? `${applied.errors} write(s) failed; see the log`
        : plan.guard,
    mode: plan.mode,
    counts: { ...counts, create: applied.create, update: applied.update, delete: applied.delete, errors: applied.errors },
    durationMs: Date.now() - started,
  };
}

/** How long a shard other than 1 waits for shard 1 to create a missing root organization. */
const ROOT_WAIT_MS = 120_000;
const ROOT_POLL_MS = 500;

async function waitForRoot(
  elder: ElderApi,
  tree: OrgTree,
  ref: { path: string[] } | { id: number },
  options: Parameters<typeof resolveRoot>[3],
  creator: string,
  waitMs: number,
  signal: AbortSignal,
): Promise<Awaited<ReturnType<typeof resolveRoot>>> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    await setTimeout(ROOT_POLL_MS, undefined, { signal });
    for await (const page of elder.listOrganizations()) for (const org of page) tree.add(org);
    const root = await resolveRoot(elder, tree, ref, options);
    if (root.missing.length === 0) return root;
    if (Date.now() >= deadline) {
      const name = 'path' in ref ? `"${ref.path.join(' / ')}"` : String(ref.id);
      throw new ElderSyncError(
        'ELDER_ROOT_PENDING',
        `the root organization ${name} does not exist yet; ${creator} creates it (waited ${Math.round(waitMs / 1000)} s): run ${creator}, or create the organization`,
      );
    }
  }
}

function rootCreator(shard: Shard | undefined): string {
  return shard && shard.index !== 1 ? `shard 1 of ${shard.count}` : 'the dispatcher (run --dispatch)';
}

/** A root that does not exist yet shows in the plan as organizations to create. */
function planRootOrganizations(store: PlanStore, source: string, ref: { path: string[] } | { id: number }, missing: string[]): number {
  if (missing.length === 0 || !('path' in ref)) return 0;
  for (let depth = ref.path.length - missing.length; depth < ref.path.length; depth++) {
    const prefix = ref.path.slice(0, depth + 1);
    store.changes.add({
      source,
      scope: ROOT_SCOPE,
      scopeLabel: 'root organization',
      key: organizationPathKey(source, ['@root', ...prefix]),
      action: 'create',
      target: 'organization',
      kind: '@org',
      name: prefix[prefix.length - 1]!,
      elderId: null,
      before: null,
      after: organizationProjection(prefix),
      reason: null,
    });
  }
  return missing.length;
}

export function failedScope(source: SourceSettings, scope: Pick<Scope, 'id' | 'label'>, error: unknown, prefix = ''): ScopeReport {
  return {
    source: source.name,
    connector: source.connector,
    scope: scope.id,
    label: scope.label,
    status: 'failed',
    error: redact(prefix + errorMessage(error)),
    mode: 'full',
    counts: { ...emptyCounts(), errors: 1 },
    durationMs: 0,
  };
}

/** The source block's settings, with the connector's defaults (`defaults.fullEvery`) where it gives none. */
export function sourceSettings(source: SourceConfig, connector?: Pick<ConnectorDefinition<unknown>, 'defaults'>): SourceSettings {
  return {
    name: source.name,
    connector: source.connector,
    deletes: source.deletes,
    maxDeletePercent: source.maxDeletePercent,
    fullEvery: source.fullEvery ?? connector?.defaults?.fullEvery ?? 1,
    types: source.types ?? {},
    concurrency: source.concurrency,
  };
}

/** SOURCE arguments: source names, or connector ids meaning every source of that connector. */
export function selectSources(config: ElderSyncConfig, names: readonly string[]): SourceConfig[] {
  requireSources(config);
  if (names.length === 0) return config.sources;
  const unknown = names.filter((n) => !config.sources.some((s) => s.name === n || s.connector === n));
  if (unknown.length > 0) {
    const known = config.sources.map((s) => s.name).join(', ') || '(none configured)';
    throw new ConfigError(unknown.map((n) => ({ path: 'SOURCE', message: `no source or connector named "${n}"; configured sources: ${known}` })));
  }
  return config.sources.filter((s) => names.includes(s.name) || names.includes(s.connector));
}

export function createElderClientFromConfig(config: ElderSyncConfig, log: Logger): ElderApi {
  return createElderClient({
    url: config.elder.url,
    auth: elderAuth(config.elder),
    timeoutMs: config.elder.timeoutMs,
    maxAttempts: config.elder.maxAttempts,
    concurrency: config.elder.concurrency,
    log,
  });
}

/**
 * Plan mode writes nothing anywhere, state included: it reads a copy-free read-only handle when the
 * file exists and an empty in-memory store when it does not.
 */
export function openState(config: ElderSyncConfig, options: SyncOptions): StateStore {
  const path = shardStatePath(options.statePath ?? config.state.path ?? process.env.ELDER_SYNC_STATE ?? DEFAULT_STATE_PATH, options.shard);
  if (path === ':memory:') return StateStore.memory();
  if (options.mode === 'plan') return existsSync(path) ? StateStore.open(path, { readonly: true }) : StateStore.memory();
  return StateStore.open(path);
}
