import { startElderEmulator, waitUntil, type ElderEmulator } from '@elder-sync/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { elderSyncConfigSchema, type ElderSyncConfig } from '../config/schema.js';
import { defineConnector } from '../connector.js';
import { ConfigError } from '../errors.js';
import { createLogger, silentLogger } from '../logger.js';
import type { PlanTally, SyncReport } from '../sync/types.js';
import { Daemon, countOrganizations } from './daemon.js';
import { cronSchedule, intervalSchedule, scheduleIssues } from './schedule.js';

describe('schedules', () => {
  it('an interval is a fixed rate from the anchor: a long run does not shift later due times', () => {
    const s = intervalSchedule(3, 1_000_000);
    expect(s.next(1_000_000)).toBe(1_003_000);
    expect(s.next(1_003_000)).toBe(1_006_000);
    expect(s.next(1_007_500)).toBe(1_009_000);
    expect(s.next(999_000)).toBe(1_003_000);
    expect(s.description).toBe('every 3s');
  });

  it('a cron expression with seconds fires on its grid', () => {
    const s = cronSchedule('*/2 * * * * *');
    const t = Date.parse('2026-01-01T00:00:01.500Z');
    expect(new Date(s.next(t)).toISOString()).toBe('2026-01-01T00:00:02.000Z');
    expect(new Date(s.next(Date.parse('2026-01-01T00:00:02.000Z'))).toISOString()).toBe('2026-01-01T00:00:04.000Z');
  });

  it('the config schema and the scheduler judge cron expressions with the same parser', () => {
    const input = (schedule: string) => ({
      elder: { url: 'http://127.0.0.1:1', token: 't' },
      sources: [{ name: 'ok', connector: 'x', schedule: '*/15 * * * *' }, { name: 'bad', connector: 'x', schedule }],
    });
    for (const schedule of ['99 * * * *', '0 25 * * *', '0 0 30 2 *', '@reboot']) {
      const parsed = elderSyncConfigSchema.safeParse(input(schedule));
      expect(parsed.success, schedule).toBe(false);
      expect(parsed.error?.issues[0]?.path).toEqual(['sources', 1, 'schedule']);
    }
    // What the schema accepts, the scheduler runs.
    const config = elderSyncConfigSchema.parse(input('0 30 2 * * MON-FRI'));
    expect(scheduleIssues(config)).toEqual([]);
  });
});

describe('Daemon', () => {
  let emulator: ElderEmulator;
  beforeAll(async () => {
    emulator = await startElderEmulator({ staticTokens: ['daemon-unit'] });
  });
  afterAll(async () => emulator.close());

  /** A connector whose read waits until `release()`: a run that outlasts its interval. */
  function gatedConnector() {
    let open!: () => void;
    let gate = new Promise<void>((r) => (open = r));
    let reads = 0;
    const readsAt: number[] = [];
    const connector = defineConnector({
      apiVersion: 1,
      id: 'gated',
      configSchema: z.object({}),
      kinds: { user: { target: 'entity', entityType: 'user', subType: 'person' } },
      scopes: () => [{ id: 'one', label: 'one' }],
      testConnection: async () => [],
      async *read() {
        reads++;
        readsAt.push(performance.now());
        await gate;
        yield { type: 'record' as const, record: { kind: 'user', externalId: 'u1', name: 'User 1', attributes: {} } };
      },
    });
    return {
      connector,
      reads: () => reads,
      readsAt,
      release: () => {
        open();
        gate = new Promise<void>((r) => (open = r));
      },
    };
  }

  const configWith = (sources: unknown[], daemon: Record<string, unknown> = {}): ElderSyncConfig =>
    elderSyncConfigSchema.parse({
      elder: { url: emulator.url, token: 'daemon-unit' },
      state: { path: ':memory:' },
      daemon: { listen: '127.0.0.1:0', runOnStart: false, ...daemon },
      sources,
    });

  type Status = { sources: Array<{ name: string; runs: number; skipped: number; running: boolean; lastRun: { status: string } | null }>; lastReload: { applied: boolean; errors: string[] } | null };

  it('skips and counts a due time that finds the previous run still going, and never runs one source twice at once', async () => {
    const gated = gatedConnector();
    const daemon = new Daemon({ load: async () => configWith([{ name: 'g', connector: 'gated', interval: 1 }]), connectors: async () => gated.connector, log: silentLogger });
    const { url } = await daemon.start();
    try {
      const source = () => (daemon.status() as Status).sources[0]!;
      // Due every second; the first run waits at the gate, so the next due times find it running.
      await waitUntil('a skipped due time', () => source().skipped >= 1);
      let s = source();
      expect(gated.reads()).toBe(1);
      expect(s).toMatchObject({ running: true, runs: 0 });
      gated.release();
      await waitUntil('the first run to end', () => source().runs >= 1);
      s = source();
      expect(s.runs).toBe(1);
      expect(s.lastRun).toMatchObject({ status: 'success' });
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toContain(`elder_sync_runs_skipped_total{source="g"} ${s.skipped}`);
      expect(metrics).toContain('connector_sync_total{connector="gated",source="g",status="success"} 1');
    } finally {
      gated.release();
      await daemon.stop(5);
    }
  });

  it('keeps the running configuration when a reload fails, and says why', async () => {
    let next: () => Promise<ElderSyncConfig> = async () => configWith([{ name: 'a', connector: 'gated', interval: 600 }]);
    const gated = gatedConnector();
    const daemon = new Daemon({ load: () => next(), connectors: async () => gated.connector, log: silentLogger });
    await daemon.start();
    try {
      next = async () => {
        throw new ConfigError([{ path: 'sources[0].interval', message: 'must be at least 1' }]);
      };
      expect(await daemon.reload()).toBe(false);
      let status = daemon.status() as Status;
      expect(status.lastReload).toMatchObject({ applied: false, errors: ['sources[0].interval: must be at least 1'] });
      expect(status.sources.map((s) => s.name)).toEqual(['a']);

      // The daemon's own checks apply on reload too: a cron expression croner refuses.
      next = async () => configWith([{ name: 'b', connector: 'gated', schedule: '99 * * * *' }]);
      expect(await daemon.reload()).toBe(false);
      expect((daemon.status() as Status).sources.map((s) => s.name)).toEqual(['a']);

      next = async () => configWith([{ name: 'b', connector: 'gated', interval: 600 }]);
      expect(await daemon.reload()).toBe(true);
      status = daemon.status() as Status;
      expect(status.sources.map((s) => s.name)).toEqual(['b']);
    } finally {
      await daemon.stop(5);
    }
  });

  it('stop() aborts runs in flight and waits for them within the grace period; reports when they outlast it', async () => {
    const gated = gatedConnector();
    const daemon = new Daemon({
      load: async () => configWith([{ name: 'g', connector: 'gated', interval: 600 }], { runOnStart: true }),
      connectors: async () => gated.connector,
      log: silentLogger,
    });
    await daemon.start();
    await waitUntil('the run to start reading', () => gated.reads() === 1);
    // The read ignores the signal (a slow source) and never ends before release(): stop returns
    // only because the grace period ended first, and says so.
    expect(await daemon.stop(0.3)).toEqual({ completed: false });
    gated.release();
  });

  it('logs a failed run at error with its cause, the same cause as /status, for Elder and source failures alike', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const log = createLogger({ level: 'info', format: 'json', write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    const broken = defineConnector({
      apiVersion: 1,
      id: 'broken',
      configSchema: z.object({}),
      kinds: { user: { target: 'entity', entityType: 'user', subType: 'person' } },
      scopes: () => [{ id: 'one', label: 'one' }],
      testConnection: async () => [],
      // eslint-disable-next-line require-yield
      async *read() {
        throw new Error('directory unreachable: connect ECONNREFUSED 127.0.0.1:1');
      },
    });
    const elderDown = { ...configWith([{ name: 'e', connector: 'broken', interval: 600 }], { runOnStart: true }) };
    elderDown.elder = { ...elderDown.elder, token: 'not-the-token' };
    for (const [config, source] of [
      [configWith([{ name: 's', connector: 'broken', interval: 600 }], { runOnStart: true }), 's'],
      [elderDown, 'e'],
    ] as const) {
      const daemon = new Daemon({ load: async () => config, connectors: async () => broken, log });
      await daemon.start();
      try {
        await waitUntil('the failed run', () => Boolean((daemon.status() as Status).sources[0]?.lastRun));
        const lastRun = (daemon.status() as Status).sources[0]!.lastRun as { status: string; error: string; counts: { errors: number } };
        expect(lastRun.status).toBe('failed');
        expect(lastRun.counts.errors, source).toBe(1);
        const logged = lines.filter((l) => l['source'] === source && typeof l['msg'] === 'string' && /^run /.test(l['msg'] as string));
        expect(logged).toEqual([expect.objectContaining({ level: 'error', msg: `run failed: ${lastRun.error}`, error: lastRun.error, status: 'failed', errors: 1 })]);
        expect(lastRun.error).toMatch(source === 's' ? /ECONNREFUSED/ : /^Elder: /);
      } finally {
        await daemon.stop(5);
      }
    }
  });

  it('jitter delays each run by up to jitterSeconds', async () => {
    const gated = gatedConnector();
    gated.release();
    const daemon = new Daemon({
      load: async () => configWith([{ name: 'g', connector: 'gated', interval: 600 }], { runOnStart: true, jitterSeconds: 1 }),
      connectors: async () => gated.connector,
      log: silentLogger,
      random: () => 0.8,
    });
    const started = performance.now();
    await daemon.start();
    try {
      await waitUntil('the delayed run', () => gated.reads() === 1);
      // random() 0.8 of jitterSeconds 1: the run on start waits 800 ms (a timer never fires early).
      expect(gated.readsAt[0]! - started).toBeGreaterThanOrEqual(800);
    } finally {
      gated.release();
      await daemon.stop(5);
    }
  });
});

describe('countOrganizations (connector_organizations_synced, for the daemon and run --serve-metrics)', () => {
  it('counts the organizations created, updated and deleted, of one source or of all, not withheld ones or entities', () => {
    const row = (source: string, action: PlanTally['action'], target: PlanTally['target'], count: number): PlanTally => ({ source, action, target, kind: 'ou', organization: 'Corp', count });
    const report = {
      tally: () => [
        row('a', 'create', 'organization', 3),
        row('a', 'update', 'organization', 1),
        row('a', 'withheld', 'organization', 5),
        row('a', 'create', 'entity', 40),
        row('b', 'delete', 'organization', 2),
      ],
    } as unknown as SyncReport;
    expect(countOrganizations(report)).toBe(6);
    expect(countOrganizations(report, 'a')).toBe(4);
    expect(countOrganizations(report, 'b')).toBe(2);
    expect(countOrganizations(report, 'c')).toBe(0);
  });
});
