/** Per-request counters, so tests can assert "a second run writes nothing" and count retries. */
import type { EmulatorStats, FaultKind } from './types.js';

export type RequestClass = 'read' | 'write' | 'auth';

export class StatsRecorder {
  private stats: EmulatorStats = StatsRecorder.empty();

  static empty(): EmulatorStats {
    return { requests: 0, reads: 0, writes: 0, auth: 0, byRoute: {}, byStatus: {}, faultsInjected: 0, faultsByKind: {} };
  }

  request(routeKey: string, kind: RequestClass): void {
    this.stats.requests++;
    if (kind === 'read') this.stats.reads++;
    else if (kind === 'write') this.stats.writes++;
    else this.stats.auth++;
    this.stats.byRoute[routeKey] = (this.stats.byRoute[routeKey] ?? 0) + 1;
  }

  status(code: number): void {
    const key = String(code);
    this.stats.byStatus[key] = (this.stats.byStatus[key] ?? 0) + 1;
  }

  fault(kind: FaultKind): void {
    this.stats.faultsInjected++;
    this.stats.faultsByKind[kind] = (this.stats.faultsByKind[kind] ?? 0) + 1;
  }

  snapshot(): EmulatorStats {
    return structuredClone(this.stats);
  }

  reset(): void {
    this.stats = StatsRecorder.empty();
  }
}
