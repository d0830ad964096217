import { Cron } from 'croner';
import type { ConfigIssue } from '../errors.js';
import type { ElderSyncConfig, SourceConfig } from '../config/schema.js';

/** When a source is due: a cron expression (croner: 5 fields, or 6 with seconds first) or a fixed interval. */
export interface Schedule {
  /** `cron 0 * * * *` or `every 3600s`, for /status and logs. */
  readonly description: string;
  /** The first due time strictly after `after` (ms since the epoch). */
  next(after: number): number;
}

export function scheduleOf(source: Pick<SourceConfig, 'schedule' | 'interval'>, defaultInterval: number, anchor: number): Schedule {
  if (source.schedule !== undefined) return cronSchedule(source.schedule);
  return intervalSchedule(source.interval ?? defaultInterval, anchor);
}

export function cronSchedule(expression: string): Schedule {
  // Paused: used only to compute times; the daemon owns the timers (one mechanism for cron and interval).
  const cron = new Cron(expression, { paused: true });
  return {
    description: `cron ${expression}`,
    next(after) {
      const next = cron.nextRun(new Date(after));
      // A pattern that never fires again (e.g. a past date in a 6-field year-less pattern cannot happen,
      // but "0 0 30 2 *" can): treat it as never.
      return next === null ? Number.POSITIVE_INFINITY : next.getTime();
    },
  };
}

/** Fixed rate from `anchor` (the daemon's start), so runs do not drift by their own duration. */
export function intervalSchedule(seconds: number, anchor: number): Schedule {
  const period = seconds * 1000;
  return {
    description: `every ${seconds}s`,
    next(after) {
      const k = Math.floor((after - anchor) / period) + 1;
      return anchor + Math.max(1, k) * period;
    },
  };
}

/**
 * The config schema checks a schedule's shape offline; croner has the final word on whether it is
 * a cron expression it can run (a minute of 70, the 31st of February).
 */
export function scheduleIssues(config: ElderSyncConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  config.sources.forEach((source, index) => {
    if (source.schedule === undefined) return;
    try {
      const next = cronSchedule(source.schedule).next(Date.now());
      if (!Number.isFinite(next)) {
        issues.push({ path: `sources[${index}].schedule`, message: `"${source.schedule}" never fires` });
      }
    } catch (error) {
      issues.push({
        path: `sources[${index}].schedule`,
        message: `not a cron expression the scheduler accepts: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  });
  return issues;
}
