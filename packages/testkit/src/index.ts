export * from './elder-emulator/index.js';
export * from './slapd/index.js';
export * from './worker-env-example.js';
