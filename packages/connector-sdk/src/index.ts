export * from './connector.js';
export * from './errors.js';
export * from './json.js';
export * from './limiter.js';
export * from './logger.js';
export * from './paging.js';
export * from './record.js';
