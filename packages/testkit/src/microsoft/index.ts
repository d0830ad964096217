export { startMicrosoftFake, GRAPH_AUDIENCE, DEFENDER_AUDIENCE } from './server.js';
export type { MicrosoftFake, MicrosoftFakeOptions, ApiFamily, RequestLogEntry, ThrottleRecord } from './server.js';
export { FakeTenant, PERMISSIONS, ALL_PERMISSIONS, seedTenant, fakeGuid, fakeMachineId } from './tenant.js';
export type { FakeTenantOptions, SeedSizes, Row } from './tenant.js';
export type { GraphObject } from './directory.js';
