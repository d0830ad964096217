export { connectNats, displayUrl, type NatsTarget } from './connection.js';
export { dispatchRun, type DispatchOptions, type Dispatched } from './dispatcher.js';
export { KvStateStore, type CheckedOutState } from './kv-state.js';
export { Leases, type Lease } from './lease.js';
export { NAMES, unitKeyOf, type UnitResult, type WorkUnit } from './units.js';
export { runWorker, type WorkerOptions, type WorkerSummary, type WorkerUnitEvent } from './worker.js';
