import PQueue from 'p-queue';
import type { ElderSyncConfig } from '../config/schema.js';
import { validateSourceConfig } from '../config/index.js';
import type { Scope } from '../connector.js';
import { ConfigError, SafetyError } from '../errors.js';
import { contentHash, type JsonValue } from '../json.js';
import { applyScope } from './apply-scope.js';
import { SENSITIVE } from '../secrets.js';
import { OrgTree } from './org-tree.js';
import { planDocumentSchema, PLAN_FORMAT_VERSION, type PlanJson, type PlanJsonChange } from './plan-json.js';
import { PlanStore } from './plan-store.js';
import { joinPath, readStamp } from './projection.js';
import { INTERRUPTED, ROOT_SCOPE, createElderClientFromConfig, finishReport, openSource, openState } from './run-sync.js';
import type { SourceContext } from './source-context.js';
import type { PlanChange, ScopeReport, SyncOptions, SyncReport } from './types.js';

/** How many moved objects a refusal lists before it says "and N more". */
const STALE_LISTED = 20;

export type ApplyPlanOptions = Pick<SyncOptions, 'config' | 'connectors' | 'log' | 'statePath' | 'elder' | 'signal' | 'onScopeDone' | 'onProgress'> & {
  /** The parsed plan document (`diff --out`). */
  plan: unknown;
};

/**
 * `elder-sync apply plan.json`: applies exactly a saved plan, Terraform-style. Before writing
 * anything it re-indexes Elder and checks every object the plan touches against the Elder id and
 * content hash the plan was computed against; if any moved, it refuses and names them.
 */
export async function applyPlan(options: ApplyPlanOptions): Promise<SyncReport> {
  const plan = parsePlan(options.plan);
  const inconsistent = planInconsistencies(plan);
  if (inconsistent.length > 0) {
    const listed = inconsistent.slice(0, STALE_LISTED).map((line) => `  ${line}`).join('\n');
    const more = inconsistent.length > STALE_LISTED ? `\n  … and ${inconsistent.length - STALE_LISTED} more` : '';
    throw new SafetyError(
      'PLAN_INCONSISTENT',
      `the plan is not one elder-sync would make; nothing was applied. ${inconsistent.length} change(s) do not hold together:\n${listed}${more}\nMake a new plan with "elder-sync diff --out" and review it.`,
    );
  }
  const config = options.config as ElderSyncConfig;
  if (plan.elder.url !== config.elder.url) {
    throw new SafetyError('PLAN_OTHER_ELDER', `the plan was made against ${plan.elder.url}, but the configuration points at ${config.elder.url}; make a new plan with "elder-sync diff --out"`);
  }
  const sensitive = plan.changes.filter((c) => JSON.stringify([c.before, c.after]).includes(JSON.stringify(SENSITIVE)));
  if (sensitive.length > 0) {
    throw new SafetyError('PLAN_HAS_SECRETS', `the plan holds ${sensitive.length} change(s) with masked secret values (e.g. ${sensitive[0]!.key}); saved plans never carry secrets, so apply these with "elder-sync run"`);
  }
  const started = new Date();
  const log = options.log.child({ runId: plan.runId });
  const elder = options.elder ?? createElderClientFromConfig(config, log);
  // A shard's plan commits its cursors and mappings to that shard's state, as its runs do.
  const state = openState(config, { ...options, mode: 'apply', ...(plan.options.shard ? { shard: plan.options.shard } : {}) } as SyncOptions);
  const store = new PlanStore();
  const signal = options.signal ?? new AbortController().signal;
  const reports: ScopeReport[] = [];
  try {
    const tree = await OrgTree.load(elder);
    const contexts: Array<{ ctx: SourceContext; createRoot: () => Promise<void>; scopes: PlanJson['sources'][number]['scopes'] }> = [];
    const stale: string[] = [];
    for (const planned of plan.sources) {
      const source = config.sources.find((s) => s.name === planned.name);
      if (!source) {
        throw new ConfigError([{ path: 'sources', message: `the plan has source "${planned.name}", which the configuration does not; apply it with the configuration it was made with` }]);
      }
      const connector = await options.connectors(source.connector);
      const connectorConfig = validateSourceConfig(config.sources.indexOf(source), source.config, connector, source.types);
      // A missing root is created only once the plan proved current: a refused plan writes nothing.
      const { ctx, createRoot } = await openSource({
        config, source, connector, connectorConfig, tree, store, state, elder, log: log.child({ source: source.name }), signal,
        options: { mode: 'apply', ...(options.onProgress ? { onProgress: options.onProgress } : {}) },
        planRoot: false,
        deferRoot: true,
      });
      for (const change of plan.changes) {
        if (change.source !== planned.name || change.scope === ROOT_SCOPE) continue;
        const moved = await checkUnchanged(ctx, change);
        if (moved) stale.push(moved);
        if (change.target === 'organization' && change.action === 'create') {
          // So the organizations it creates are recorded as owned under the plan's keys.
          const path = joinPath(change.organizationPath);
          ctx.plannedOrganizations.set(path, [...(ctx.plannedOrganizations.get(path) ?? []), change.key]);
        }
        store.changes.add(
          // The document was validated by its schema; attribute values are JSON by construction.
          change as unknown as PlanChange,
          { organizationPath: change.organizationPath, ...(change.duplicate ? { duplicate: true } : {}) },
        );
      }
      contexts.push({ ctx, createRoot, scopes: planned.scopes });
    }
    if (stale.length > 0) {
      const listed = stale.slice(0, STALE_LISTED).map((line) => `  ${line}`).join('\n');
      const more = stale.length > STALE_LISTED ? `\n  … and ${stale.length - STALE_LISTED} more` : '';
      throw new SafetyError(
        'PLAN_STALE',
        `Elder changed since the plan was made; nothing was applied. ${stale.length} object(s) moved:\n${listed}${more}\nMake a new plan with "elder-sync diff --out" and review it.`,
      );
    }
    for (const { ctx, createRoot, scopes } of contexts) {
      await createRoot();
      const queue = new PQueue({ concurrency: ctx.source.concurrency });
      for (const planned of scopes) {
        // A scope that failed while planning has no complete plan: nothing of it is applied, and
        // it is reported as failed (never silently left out: the plan cannot apply as saved).
        if (planned.status !== 'ok' && planned.guard === undefined) {
          const report = notApplied(ctx, planned);
          reports.push(report);
          options.onScopeDone?.(report);
          continue;
        }
        void queue.add(async () => {
          const report = await applyPlannedScope(ctx, { id: planned.id, label: planned.label }, planned);
          reports.push(report);
          options.onScopeDone?.(report);
        });
      }
      await queue.onIdle();
    }
  } finally {
    state.close();
    if (!options.elder) await elder.close();
  }
  return finishReport({
    runId: plan.runId,
    mode: 'apply',
    startedAt: started,
    reports,
    elder,
    elderUrl: config.elder.url,
    options: plan.options,
    store,
  });
}

export function parsePlan(raw: unknown): PlanJson {
  const version = (raw as { formatVersion?: unknown } | null)?.formatVersion;
  if (typeof version === 'number' && version !== PLAN_FORMAT_VERSION) {
    throw new ConfigError([{ path: 'formatVersion', message: `plan format ${version} is not supported (this elder-sync reads ${PLAN_FORMAT_VERSION}); make the plan with this version` }]);
  }
  const parsed = planDocumentSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.slice(0, 10).map((i) => {
        const given = valueAt(raw, i.path);
        const shown = given === undefined ? '' : ` (got ${JSON.stringify(given)?.slice(0, 60)})`;
        const values = (i as { values?: unknown[] }).values;
        const expected = Array.isArray(values) ? `: must be one of ${values.join(', ')}` : `: ${i.message}`;
        return { path: i.path.join('.'), message: `${expected.slice(2)}${shown} (not an elder-sync plan document?)` };
      }),
    );
  }
  return parsed.data;
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return typeof current === 'object' ? undefined : current;
}

/**
 * What no planner output looks like, checked before Elder is asked anything (a signed plan cannot
 * be edited; this is the second line of defence, and it guards `run`'s in-memory plans too):
 * every change belongs to a source the plan lists and carries that source's key; an action has
 * the before/after it implies; updates and deletes name the Elder id they were computed against.
 * Ownership (the stamp) is checked against Elder afterwards, in `checkUnchanged`.
 */
export function planInconsistencies(plan: PlanJson): string[] {
  const sources = new Set(plan.sources.map((s) => s.name));
  const scopes = new Set(plan.sources.flatMap((s) => s.scopes.map((scope) => `${s.name}\u0000${scope.id}`)));
  const out: string[] = [];
  plan.changes.forEach((c, i) => {
    const at = `changes[${i}] (${c.action} ${c.key})`;
    if (!sources.has(c.source)) out.push(`${at}: source "${c.source}" is not among the plan's sources (${[...sources].join(', ') || 'none'})`);
    else if (c.scope !== ROOT_SCOPE && !scopes.has(`${c.source}\u0000${c.scope}`)) out.push(`${at}: scope "${c.scope}" is not among source "${c.source}"'s scopes`);
    else if (!c.key.startsWith(`${c.source}/`)) out.push(`${at}: the key is not one of source "${c.source}" (keys start with "${c.source}/")`);
    const needsId = c.action === 'update' || c.action === 'delete' || c.action === 'mark' || c.action === 'adopt';
    if (needsId && c.elderId === null) out.push(`${at}: a ${c.action} without the Elder id it was computed against`);
    if (c.action === 'create' && (c.before !== null || c.elderId !== null)) out.push(`${at}: a create of an object that already exists (before or elderId set)`);
    if ((c.action === 'create' || c.action === 'update' || c.action === 'adopt') && c.after === null) out.push(`${at}: a ${c.action} without the values to write (after)`);
    if ((c.action === 'update' || c.action === 'delete' || c.action === 'mark') && c.before === null) out.push(`${at}: a ${c.action} without the values it was computed against (before)`);
    if (c.action === 'delete' && c.after !== null) out.push(`${at}: a delete with values to write (after)`);
    // Masked secrets hash differently from what was hashed; such plans are refused on their own.
    const hash = (p: unknown) => (p === null ? null : contentHash(p));
    if (c.sensitive.length === 0 && (hash(c.before) !== c.beforeHash || hash(c.after) !== c.afterHash)) {
      out.push(`${at}: its before/after values do not match their hashes`);
    }
  });
  return out;
}

/** Null when the object is as the plan saw it; else one line naming it and what moved. */
async function checkUnchanged(ctx: SourceContext, change: PlanJsonChange): Promise<string | null> {
  const label = `${change.target === 'organization' ? 'organization' : change.kind} "${change.name}"`;
  if (change.action === 'withheld') return null;
  if (change.target === 'organization') {
    if (change.action === 'create') return null;
    return ctx.tree.get(change.elderId ?? -1) ? null : `${label} (#${change.elderId}): no longer in Elder`;
  }
  if (change.duplicate) {
    // A duplicate is deleted by id: it must still be an entity of this source carrying this key.
    const entity = await ctx.elder.getEntity(change.elderId ?? -1);
    if (!entity) return null; // already gone: the delete is a no-op
    const stamp = readStamp(entity.attributes);
    return stamp?.source === ctx.source.name && stamp.key === change.key
      ? null
      : `${label} (#${change.elderId}): not an object of source "${ctx.source.name}" with this key (its stamp says ${stamp ? `"${stamp.key}"` : 'nothing'}); never touched`;
  }
  const indexed = ctx.store.owned.get(ctx.source.name, change.key);
  if (change.action === 'create') {
    return indexed ? `${label}: created in Elder since (#${indexed.elderId})` : null;
  }
  if (change.action === 'adopt') {
    const entity = await ctx.elder.getEntity(change.elderId ?? -1);
    if (!entity) return `${label} (#${change.elderId}): no longer in Elder`;
    return indexed ? `${label} (#${change.elderId}): already owned since` : null;
  }
  if (!indexed || indexed.elderId !== change.elderId) return `${label} (#${change.elderId}): no longer in Elder`;
  if (change.before && indexed.hash !== contentHash(change.before)) return `${label} (#${change.elderId}): changed in Elder since the plan`;
  return null;
}

async function applyPlannedScope(ctx: SourceContext, scope: Scope, planned: PlanJson['sources'][number]['scopes'][number]): Promise<ScopeReport> {
  const started = Date.now();
  // The progress rows of an applied plan: the scope's label, and the planned writes to count down from.
  ctx.progress?.({ type: 'scope-start', source: ctx.source.name, scope: scope.id, label: scope.label });
  ctx.progress?.({ type: 'planned', source: ctx.source.name, scope: scope.id, counts: { ...planned.counts } });
  const applied = await applyScope(ctx, scope, ctx.log.child({ scope: scope.id }));
  const ok = applied.errors === 0 && !applied.interrupted;
  ctx.state.commitScope(ctx.source.name, scope.id, {
    ...(ok && planned.cursor !== undefined ? { cursor: planned.cursor as JsonValue } : {}),
    fullRead: ok && planned.mode === 'full',
    status: ok ? 'success' : 'partial',
  });
  // A guarded scope applies like `run` would: its other changes, not the withheld deletes, and it
  // ends as failed with the guard's reason, so cron and CI notice.
  const guard = planned.guard ?? null;
  return {
    source: ctx.source.name,
    connector: ctx.source.connector,
    scope: scope.id,
    label: scope.label,
    status: ok && guard === null ? 'ok' : 'failed',
    error: applied.interrupted ? INTERRUPTED : !ok ? `${applied.errors} write(s) failed; see the log` : guard,
    ...(guard === null ? {} : { guard }),
    mode: planned.mode,
    counts: { ...planned.counts, create: applied.create, update: applied.update, delete: applied.delete, errors: applied.errors },
    durationMs: Date.now() - started,
  };
}

/** A scope of the plan whose read or planning failed: reported as failed, with the plan's reason. */
function notApplied(ctx: SourceContext, planned: PlanJson['sources'][number]['scopes'][number]): ScopeReport {
  return {
    source: ctx.source.name,
    connector: ctx.source.connector,
    scope: planned.id,
    label: planned.label,
    status: 'failed',
    error: `not applied: the plan has no complete plan of this scope (${planned.error ?? 'it failed'}); make a new plan with "elder-sync diff --out"`,
    mode: planned.mode,
    counts: { ...planned.counts, create: 0, update: 0, delete: 0, errors: Math.max(planned.counts.errors, 1) },
    durationMs: 0,
  };
}
