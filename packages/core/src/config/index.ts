export * from './schema.js';
export * from './load.js';
export * from './source.js';
export * from './display.js';
export * from './example.js';
export { substitute, type Environment, type SubstitutionOptions, type SubstitutionResult } from './substitute.js';
export {
  secretPaths,
  formatSecretPath,
  valuesAtPath,
  secretValues,
  mapSecrets,
  type SecretPath,
  type PathSegment,
} from './secret-paths.js';
export { configIssuesFromZod, formatPath, type IssueContext } from './issues.js';
export * from './worker-env.js';
