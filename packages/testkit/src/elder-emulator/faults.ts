/**
 * Fault injection: a seeded PRNG decides, request by request, whether and how to misbehave. The kinds are
 * the failures a sink must survive against a real deployment (elder-api.md §7.1, §7.3, DESIGN §6 "Errors"):
 * non-JSON 5xx bodies, dropped connections, timeouts, and writes that were applied although the client saw
 * an error.
 */
import { FAULT_KINDS, LYING_FAULT_KINDS } from './types.js';
import type { FaultConfig, FaultKind } from './types.js';

/** mulberry32: tiny, fast, and good enough to make a fault schedule reproducible from a seed. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FaultConfigError';
  }
}

const WRITE_METHODS = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

export function isWriteMethod(method: string): boolean {
  return WRITE_METHODS.has(method);
}

/** Check a fault configuration (it may arrive as JSON over HTTP) and normalise it. */
export function parseFaultConfig(input: unknown): FaultConfig | null {
  if (input === null || input === undefined) return null;
  if (typeof input !== 'object' || Array.isArray(input)) throw new FaultConfigError('faults must be an object or null');
  const raw = input as Record<string, unknown>;
  const rate = raw['rate'] ?? 0;
  if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) throw new FaultConfigError('faults.rate must be a number between 0 and 1');
  const kinds = raw['kinds'] ?? [];
  const known = [...FAULT_KINDS, ...LYING_FAULT_KINDS];
  if (!Array.isArray(kinds) || kinds.some((kind) => !known.includes(kind as FaultKind))) {
    throw new FaultConfigError(`faults.kinds must be a list of: ${known.join(', ')}`);
  }
  if (rate > 0 && kinds.length === 0) throw new FaultConfigError('faults.kinds must not be empty when faults.rate > 0');
  const config: FaultConfig = { rate, kinds: kinds as FaultKind[] };
  const seed = raw['seed'];
  if (seed !== undefined && seed !== null) {
    if (typeof seed !== 'number' || !Number.isFinite(seed)) throw new FaultConfigError('faults.seed must be a number');
    config.seed = seed;
  }
  const slowMs = raw['slowMs'];
  if (slowMs !== undefined && slowMs !== null) {
    if (typeof slowMs !== 'number' || slowMs < 0) throw new FaultConfigError('faults.slowMs must be a non-negative number');
    config.slowMs = slowMs;
  }
  const methods = raw['methods'];
  if (methods !== undefined && methods !== null) {
    if (!Array.isArray(methods) || methods.some((method) => typeof method !== 'string')) throw new FaultConfigError('faults.methods must be a list of strings');
    config.methods = (methods as string[]).map((method) => method.toUpperCase());
  }
  const paths = raw['paths'];
  if (paths !== undefined && paths !== null) {
    if (typeof paths !== 'string') throw new FaultConfigError('faults.paths must be a regular expression source string');
    try {
      new RegExp(paths);
    } catch (error) {
      throw new FaultConfigError(`faults.paths is not a valid regular expression: ${(error as Error).message}`);
    }
    config.paths = paths;
  }
  const retryAfter = raw['retryAfterSeconds'];
  if (retryAfter !== undefined && retryAfter !== null) {
    if (typeof retryAfter !== 'number' || retryAfter < 0) throw new FaultConfigError('faults.retryAfterSeconds must be a non-negative number');
    config.retryAfterSeconds = retryAfter;
  }
  return config;
}

export interface FaultDecision {
  kind: FaultKind;
  /** For `5xx-html`: which gateway status to answer. */
  htmlStatus: 502 | 503;
}

/** Holds the active configuration and its PRNG; every eligible request consumes draws in arrival order. */
export class FaultInjector {
  private config: FaultConfig | null = null;
  private random: () => number = Math.random;
  private pathPattern: RegExp | null = null;

  constructor(initial: FaultConfig | null | undefined) {
    this.set(initial ?? null);
  }

  get current(): FaultConfig | null {
    return this.config;
  }

  set(config: FaultConfig | null): void {
    this.config = config && config.rate > 0 ? config : null;
    this.random = mulberry32(config?.seed ?? Math.floor(Math.random() * 2 ** 32));
    this.pathPattern = config?.paths ? new RegExp(config.paths) : null;
  }

  get slowMs(): number {
    return this.config?.slowMs ?? 5000;
  }

  get retryAfterSeconds(): number | undefined {
    return this.config?.retryAfterSeconds;
  }

  /**
   * Decide for one request. Only kinds that make sense for the method compete: `apply-then-fail` needs a
   * write, so `{kinds: ['apply-then-fail']}` leaves reads alone.
   */
  decide(method: string, path: string): FaultDecision | null {
    const config = this.config;
    if (!config) return null;
    if (config.methods && !config.methods.includes(method)) return null;
    if (this.pathPattern && !this.pathPattern.test(path)) return null;
    const applicable = config.kinds.filter((kind) => kind !== 'apply-then-fail' || isWriteMethod(method));
    if (applicable.length === 0) return null;
    if (this.random() >= config.rate) return null;
    const kind = applicable[Math.floor(this.random() * applicable.length)] as FaultKind;
    const htmlStatus = kind === '5xx-html' && this.random() < 0.5 ? 503 : 502;
    return { kind, htmlStatus };
  }
}
