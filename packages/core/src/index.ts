export * from './errors.js';
export * from './json.js';
export * from './record.js';
export * from './secrets.js';
export * from './logger.js';
export * from './connector.js';
export * from './elder/types.js';
