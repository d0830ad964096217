// `@elder-sync/core/daemon`: not re-exported from the package root, so `run` and `--help` do not
// load prom-client and croner.
export * from './daemon.js';
export * from './health-server.js';
export * from './metrics.js';
export * from './schedule.js';
export * from './tracker.js';
