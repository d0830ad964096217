export * from './types.js';
export * from './format-plan.js';
export * from './format-summary.js';
export * from './plan-json.js';
export * from './format-markdown.js';
export { runSync, selectSources, ROOT_SCOPE } from './run-sync.js';
export { testConnectivity } from './connectivity.js';
export { ELDER_NAME_MAX, STAMP_ATTRIBUTE, entityKey, readStamp, type Stamp } from './projection.js';
export * from './progress.js';
