export * from './types.js';
export * from './format-plan.js';
export * from './format-summary.js';
