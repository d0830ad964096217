import { z } from 'zod';
import { contentHash } from '../json.js';
import { createPlanSigner } from './plan-signature.js';
import { maskSensitive } from './format-plan.js';
import type { PlanChange, Projection, SyncReport } from './types.js';
import type { StoredChange } from './plan-store.js';

/** Version of the plan document (`diff --out`, `--format json`); bump it on any incompatible change. */
export const PLAN_FORMAT_VERSION = 1;

const countsSchema = z.object({
  read: z.number().int(),
  create: z.number().int(),
  update: z.number().int(),
  delete: z.number().int(),
  unchanged: z.number().int(),
  withheld: z.number().int(),
  errors: z.number().int(),
});

const projectionSchema = z.object({
  name: z.string(),
  type: z.string(),
  subType: z.string().nullable(),
  organization: z.string().describe('Organization path below the source root, joined with " / "'),
  attributes: z.record(z.string(), z.unknown()),
  tags: z.array(z.string()),
  relations: z.array(z.string()).describe('Sorted "type:targetKey" strings'),
  parent: z.string().optional().describe('Key of the parent entity (Elder parent_id)'),
  staleSince: z.string().nullable(),
});

const changeSchema = z.object({
  source: z.string(),
  scope: z.string(),
  scopeLabel: z.string(),
  key: z.string().describe('<source>/<kind>/<externalId>'),
  action: z.enum(['create', 'update', 'delete', 'mark', 'withheld', 'adopt']),
  target: z.enum(['entity', 'organization']),
  kind: z.string(),
  name: z.string(),
  elderId: z.number().int().nullable().describe('The Elder id the change was computed against'),
  before: projectionSchema.nullable(),
  after: projectionSchema.nullable(),
  beforeHash: z.string().nullable().describe('Content hash of `before`: what Elder held when the plan was made'),
  afterHash: z.string().nullable(),
  reason: z.string().nullable(),
  organizationPath: z.array(z.string()),
  duplicate: z.boolean().describe('Deletes an extra Elder entity carrying an already synced key'),
  sensitive: z.array(z.string()),
});

const scopeSchema = z.object({
  id: z.string(),
  label: z.string(),
  status: z.enum(['ok', 'failed']),
  error: z.string().nullable(),
  mode: z.enum(['full', 'incremental']),
  counts: countsSchema,
  cursor: z.unknown().optional().describe('The source cursor of this read; committed when the plan is applied'),
  guard: z
    .string()
    .optional()
    .describe('Why a safety guard withheld deletes of this otherwise completely planned scope; its other changes apply and it ends as failed'),
});

export const shardSchema = z
  .object({ index: z.number().int().min(1), count: z.number().int().min(2) })
  .refine((shard) => shard.index <= shard.count, { message: 'index must be at most count' });

/** The plan document. The zod schema is the source of the committed JSON Schema (`plan.schema.json`). */
export const planDocumentSchema = z.object({
  formatVersion: z.literal(PLAN_FORMAT_VERSION),
  runId: z.string(),
  mode: z.enum(['apply', 'plan']),
  createdAt: z.string(),
  elder: z.object({ url: z.string() }),
  options: z.object({
    full: z.boolean(),
    only: z.array(z.string()).nullable(),
    adopt: z.boolean(),
    allowMassDelete: z.boolean().optional().describe('Made with --allow-mass-delete: deletes above maxDeletePercent are planned, not withheld'),
    shard: shardSchema.optional().describe("Made with --shard i/N (N > 1): apply verifies and applies it with that shard's state file"),
  }),
  sources: z.array(z.object({ name: z.string(), connector: z.string(), scopes: z.array(scopeSchema) })),
  changes: z.array(changeSchema).describe('Sorted by source, scope and key; sensitive values replaced by "(sensitive)"'),
  totals: countsSchema,
  signature: z
    .object({ algorithm: z.literal('HMAC-SHA256'), keyId: z.string(), digest: z.string() })
    .optional()
    .describe('diff --out: HMAC-SHA256 of every byte before this member, keyed by a secret only the state file holds; apply refuses a plan whose bytes changed'),
});

export type PlanJson = z.infer<typeof planDocumentSchema>;
export type PlanJsonChange = z.infer<typeof changeSchema>;
export type PlanJsonScope = z.infer<typeof scopeSchema>;

export function planJsonSchema(): object {
  return z.toJSONSchema(planDocumentSchema, { target: 'draft-2020-12' });
}

/** One change as the plan document holds it: with the hashes `apply` checks Elder against. */
export function changeToJson(change: PlanChange, options: { maskSecrets?: boolean } = {}): PlanJsonChange {
  const masked = options.maskSecrets === false ? change : maskSensitive(change);
  const detail = (change as Partial<StoredChange>).detail ?? {};
  const hash = (p: Projection | null) => (p === null ? null : contentHash(p));
  return {
    source: masked.source,
    scope: masked.scope,
    scopeLabel: masked.scopeLabel,
    key: masked.key,
    action: masked.action,
    target: masked.target,
    kind: masked.kind,
    name: masked.name,
    elderId: masked.elderId,
    before: masked.before,
    after: masked.after,
    beforeHash: hash(change.before),
    afterHash: hash(change.after),
    reason: masked.reason,
    organizationPath: detail.organizationPath ?? [],
    duplicate: detail.duplicate ?? false,
    sensitive: change.sensitive ?? [],
  };
}

/** Everything but the changes, which `writePlanJson` streams. */
function planHeader(report: SyncReport): Omit<PlanJson, 'changes'> {
  const sources = new Map<string, PlanJson['sources'][number]>();
  for (const s of report.scopes) {
    let entry = sources.get(s.source);
    if (entry === undefined) sources.set(s.source, (entry = { name: s.source, connector: s.connector, scopes: [] }));
    entry.scopes.push({
      id: s.scope,
      label: s.label,
      status: s.status,
      error: s.error,
      mode: s.mode,
      counts: s.counts,
      ...(s.cursor === undefined ? {} : { cursor: s.cursor }),
      ...(s.guard === undefined ? {} : { guard: s.guard }),
    });
  }
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    runId: report.runId,
    mode: report.mode,
    createdAt: report.startedAt,
    elder: { url: report.elderUrl },
    options: report.options,
    sources: [...sources.values()],
    totals: report.totals,
  };
}

/**
 * The plan as one JSON document (`--json`). Reads `report.changes()`: call it before `close()`.
 * `maskSecrets: false` only for a plan that never leaves the process (`run` applying the plan it
 * just showed): a saved or printed plan never holds secrets.
 */
export function planToJson(report: SyncReport, options: { maskSecrets?: boolean } = {}): PlanJson {
  const changes: PlanJsonChange[] = [];
  for (const change of report.changes()) changes.push(changeToJson(change, options));
  return { ...planHeader(report), changes };
}

/**
 * The same document written piece by piece (`diff --out`), so a plan of any size is saved without
 * holding it in memory. Byte-identical to `JSON.stringify(planToJson(report), null, 2)`; with a
 * `key`, a `signature` member follows (plan-signature.ts) and its digest is returned.
 * `redact` runs on every chunk before it is signed and written.
 */
export async function writePlanJson(
  report: SyncReport,
  write: (chunk: string) => Promise<void> | void,
  options: { key?: Buffer; redact?: (chunk: string) => string } = {},
): Promise<{ digest: string | null }> {
  const signer = options.key === undefined ? null : createPlanSigner(options.key);
  const emit = async (chunk: string) => {
    const text = options.redact ? options.redact(chunk) : chunk;
    signer?.update(text);
    await write(text);
  };
  const header = JSON.stringify({ ...planHeader(report), changes: [] }, null, 2);
  const at = header.indexOf('"changes": []');
  await emit(header.slice(0, at) + '"changes": [');
  let first = true;
  for (const change of report.changes()) {
    const body = JSON.stringify(changeToJson(change), null, 2).replace(/\n/g, '\n    ');
    await emit(`${first ? '' : ','}\n    ${body}`);
    first = false;
  }
  await emit(first ? ']' : '\n  ]');
  const tail = header.slice(at + '"changes": []'.length);
  if (signer === null) {
    await emit(tail + '\n');
    return { digest: null };
  }
  // Everything but the closing brace is signed; the signature member closes the document.
  await emit(tail.replace(/\n\}$/, ''));
  const { trailer, digest } = signer.finish();
  await write(trailer);
  return { digest };
}
