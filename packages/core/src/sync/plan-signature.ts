import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { DEFAULT_STATE_PATH, type ElderSyncConfig } from '../config/schema.js';
import { ConfigError, SafetyError } from '../errors.js';
import { StateStore } from '../state/index.js';
import { PLAN_FORMAT_VERSION, shardSchema } from './plan-json.js';
import { shardStatePath, type Shard } from './shard.js';

/**
 * Saved plans are tamper-evident. `diff --out` appends an HMAC-SHA256 of every byte before it,
 * keyed by a random secret that only the state file holds; `apply` recomputes it before anything is
 * written and refuses a plan whose bytes changed (an `update` turned `delete`, edited `after`
 * values, an invented `create`, a renamed source…). Whoever can edit the plan but not read the
 * state cannot make a plan `apply` accepts. The short digest is printed by `diff` and by `apply`,
 * so a reviewer can match the file that was applied with the one that was reviewed.
 */

export const PLAN_SIGNATURE_ALGORITHM = 'HMAC-SHA256';

/** `,\n  "signature": {...}\n}\n`: the only thing allowed after the signed bytes. */
const TRAILER = /^,\n {2}"signature": \{"algorithm": "HMAC-SHA256", "keyId": "([0-9a-f]{16})", "digest": "([0-9a-f]{64})"\}\n\}\n?$/;
const TRAILER_START = ',\n  "signature": ';

export interface PlanSigner {
  /** Feed every byte of the document as written, in order. */
  update(chunk: string): void;
  /** The document's last bytes (after everything fed), and the digest they carry. */
  finish(): { trailer: string; digest: string };
}

export function createPlanSigner(key: Buffer): PlanSigner {
  const hmac = createHmac('sha256', key);
  return {
    update: (chunk) => void hmac.update(chunk, 'utf8'),
    finish() {
      const digest = hmac.digest('hex');
      return { digest, trailer: `${TRAILER_START}{"algorithm": "${PLAN_SIGNATURE_ALGORITHM}", "keyId": "${keyId(key)}", "digest": "${digest}"}\n}\n` };
    },
  };
}

/** The 12 characters a person compares: enough to tell plans apart, short enough to read aloud. */
export function shortDigest(digest: string): string {
  return digest.slice(0, 12);
}

function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

export interface VerifiedPlan {
  /** The parsed document (still to be validated by its schema). */
  document: unknown;
  digest: string;
}

/**
 * Checks a saved plan's bytes against its signature with the state's key, then parses it.
 * `keyOf` gives the key of the state the plan names: a shard's plan (`diff --shard i/N`) was signed
 * with that shard's state, so the shard is read before the bytes are trusted. Pointing it at
 * another shard gains nothing: that state's key does not make this signature. `keyOf` gives null
 * when the state holds no plan key (never made a plan, or reset since).
 */
export function verifyPlanText(text: string, file: string, keyOf: (shard: Shard | undefined) => Buffer | null): VerifiedPlan {
  const at = text.lastIndexOf(TRAILER_START);
  const trailer = at === -1 ? null : TRAILER.exec(text.slice(at));
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new ConfigError([
      { path: file, message: `is not a complete plan document (${error instanceof Error ? error.message : String(error)}); it may be truncated: make a new plan with "elder-sync diff --out ${file}"` },
    ]);
  }
  const version = (document as { formatVersion?: unknown } | null)?.formatVersion;
  if (typeof version !== 'number') {
    throw new ConfigError([{ path: 'formatVersion', message: `required, got ${JSON.stringify(version) ?? 'none'} (not an elder-sync plan document? write one with "elder-sync diff --out ${file}")` }]);
  }
  if (version !== PLAN_FORMAT_VERSION) {
    throw new ConfigError([{ path: 'formatVersion', message: `plan format ${version} is not supported (this elder-sync reads ${PLAN_FORMAT_VERSION}); make the plan with this version` }]);
  }
  const signature = (document as { signature?: unknown }).signature;
  if ((trailer === null || at === -1) && signature !== undefined) {
    // A signature is there but not where and how diff wrote it: the bytes were re-formatted or
    // something was added after it (JSON's last duplicate key wins, so nothing may follow it).
    throw modified(file, typeof (signature as { digest?: unknown })?.digest === 'string' ? (signature as { digest: string }).digest : '');
  }
  if (trailer === null || at === -1) {
    throw new SafetyError(
      'PLAN_UNSIGNED',
      `${file} carries no valid signature: only a plan saved by "elder-sync diff --out" can be applied, unmodified (--format json and --json print plans for reading, not for apply); nothing was applied`,
    );
  }
  const [, id, digest] = trailer as unknown as [string, string, string];
  const shard = planShard(document);
  const key = keyOf(shard);
  if (key === null) {
    throw new SafetyError(
      'PLAN_KEY_MISSING',
      `${file} was signed with a plan key ${stateOf(shard)} does not hold (it was made with another state file, or the state was reset since); nothing was applied. Make a new plan with "elder-sync diff --out ${file}" and review it`,
    );
  }
  if (id !== keyId(key)) {
    throw new SafetyError(
      'PLAN_OTHER_STATE',
      `${file} was signed with another state file's plan key (key ${id}, ${stateOf(shard)} holds ${keyId(key)}); nothing was applied. Apply it with the configuration and state it was made with, or make a new plan`,
    );
  }
  const expected = createHmac('sha256', key).update(text.slice(0, at), 'utf8').digest();
  const given = Buffer.from(digest, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw modified(file, digest);
  return { document, digest };
}

/** The shard a plan says it was made by; a malformed one is refused before any key is read. */
function planShard(document: unknown): Shard | undefined {
  const raw = (document as { options?: { shard?: unknown } }).options?.shard;
  if (raw === undefined) return undefined;
  const parsed = shardSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError([{ path: 'options.shard', message: `must be {"index": i, "count": N} with 1 ≤ i ≤ N and N ≥ 2, as "diff --shard i/N --out" writes it; got ${JSON.stringify(raw)}` }]);
  }
  return parsed.data;
}

function stateOf(shard: Shard | undefined): string {
  return shard ? `the state file of shard ${shard.index} of ${shard.count}, which the plan names,` : 'this state file';
}

function modified(file: string, digest: string): SafetyError {
  return new SafetyError(
    'PLAN_MODIFIED',
    `${file} was modified after "elder-sync diff" wrote it: its content no longer matches its signature${digest ? ` (digest ${shortDigest(digest)})` : ''}; nothing was applied. A reviewed plan is applied exactly as saved: make a new plan with "elder-sync diff --out ${file}" and review it`,
  );
}

/**
 * The state's plan key; with `create`, made (32 random bytes) when there is none yet. That is the
 * one thing `diff --out` writes to the state file.
 */
export function planKeyOf(config: ElderSyncConfig, options: { create: boolean; statePath?: string; shard?: Shard }): Buffer | null {
  const path = shardStatePath(options.statePath ?? config.state.path ?? process.env.ELDER_SYNC_STATE ?? DEFAULT_STATE_PATH, options.shard);
  if (path === ':memory:') return null;
  if (!options.create && !existsSync(path)) return null;
  const store = StateStore.open(path);
  try {
    return store.planKey(options.create);
  } finally {
    store.close();
  }
}
