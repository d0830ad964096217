export * from './store.js';
export { SCHEMA_VERSION as STATE_SCHEMA_VERSION } from './migrations.js';
