export { startElderEmulator, EmulatorOptionsError } from './server.js';
export type { ElderEmulator } from './server.js';
export { FaultConfigError, mulberry32 } from './faults.js';
export { SeedError } from './seeds.js';
export { DEFAULT_ADMIN, DEFAULT_JWT_SECRET } from './auth.js';
export { FAULT_KINDS, LYING_FAULT_KINDS } from './types.js';
export type {
  DependencyRow,
  DependencySeed,
  ElderDialect,
  ElderEmulatorOptions,
  EmulatorStats,
  EntityRow,
  EntitySeed,
  FaultConfig,
  FaultKind,
  OrganizationRow,
  OrganizationSeed,
  PortalUserSeed,
} from './types.js';
