// Test support (not built). Runs the real engine (runSync + the real Elder client) against the
// Elder emulator with a ModelSource, the way the CLI would, minus the process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ElderEmulator } from '@elder-sync/testkit';
import { elderSyncConfigSchema } from '../config/schema.js';
import type { ConnectorDefinition } from '../connector.js';
import { createElderClient } from '../elder/client.js';
import type { Logger } from '../logger.js';
import { createLogger, silentLogger } from '../logger.js';
import { runSync } from '../sync/run-sync.js';
import type { PlanChange, SyncReport } from '../sync/types.js';

export const SOURCE = 'corp';
export const ROOT = ['Acme', 'Directory'];

export interface HarnessOptions {
  /** Client timeout; the `slow` fault holds answers past it. */
  timeoutMs?: number;
  /** Attempts per request inside the client (the first included). */
  maxAttempts?: number;
  /** Overrides of the source block (fullEvery, deletes, maxDeletePercent...). */
  source?: Record<string, unknown>;
  concurrency?: number;
}

export interface RunOutcome {
  report: SyncReport;
  changes: PlanChange[];
  ok: boolean;
}

/** One state file per harness, like one machine running elder-sync on a schedule. */
export class Harness {
  private readonly dir = mkdtempSync(join(tmpdir(), 'elder-sync-reliability-'));
  readonly statePath = join(this.dir, 'state.db');

  constructor(
    private readonly emulator: ElderEmulator,
    private readonly connector: () => ConnectorDefinition<unknown>,
    private readonly options: HarnessOptions = {},
  ) {}

  config() {
    return elderSyncConfigSchema.parse({
      elder: {
        url: this.emulator.url,
        email: 'admin@localhost.local',
        password: 'admin123',
        organization: { path: ROOT },
        concurrency: this.options.concurrency ?? 4,
      },
      sources: [{ name: SOURCE, connector: this.connector().id, maxDeletePercent: 100, ...this.options.source }],
    });
  }

  async run(mode: 'apply' | 'plan', extra: { full?: boolean; log?: Logger } = {}): Promise<RunOutcome> {
    const elder = createElderClient({
      url: this.emulator.url,
      auth: { kind: 'login', email: 'admin@localhost.local', password: 'admin123' },
      maxAttempts: this.options.maxAttempts ?? 4,
      backoffBaseMs: 1,
      backoffMaxMs: 10,
      timeoutMs: this.options.timeoutMs ?? 2000,
      concurrency: this.options.concurrency ?? 4,
    });
    try {
      const report = await runSync({
        config: this.config(),
        connectors: async () => this.connector(),
        mode,
        // RELIABILITY_LOG=debug shows the engine's log lines when replaying a seed.
        log: extra.log ?? (process.env.RELIABILITY_LOG ? createLogger({ level: process.env.RELIABILITY_LOG as 'debug', format: 'pretty' }) : silentLogger),
        statePath: this.statePath,
        elder,
        ...(extra.full ? { full: true } : {}),
      });
      const changes = [...report.changes()];
      report.close();
      return { report, changes, ok: report.scopes.every((s) => s.status === 'ok') };
    } finally {
      await elder.close();
    }
  }

  /** Applies until a run succeeds (at most `attempts`); returns every outcome. */
  async runUntilOk(attempts: number): Promise<RunOutcome[]> {
    const outcomes: RunOutcome[] = [];
    for (let i = 0; i < attempts; i++) {
      const outcome = await this.run('apply');
      outcomes.push(outcome);
      if (outcome.ok) break;
    }
    return outcomes;
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** One line per change, for failure messages. */
export function describeChanges(changes: PlanChange[]): string {
  return changes.map((c) => `${c.action} ${c.target} ${c.key}${c.reason ? ` (${c.reason})` : ''}`).join('\n') || '(none)';
}

/** Errors of the failed scopes of a run, for failure messages. */
export function describeFailures(outcomes: RunOutcome[]): string {
  return outcomes.map((o, i) => `run ${i + 1}: ${o.report.scopes.map((s) => `${s.scope} ${s.status}${s.error ? `: ${s.error}` : ''}`).join('; ')}`).join('\n');
}
