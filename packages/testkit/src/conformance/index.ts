// `@elder-sync/testkit/conformance`: imports vitest, so it is a subpath of its own; the emulators
// in the main entry stay usable outside a test runner (the `elder-emulator` bin, scripts).
export { describeConnector, MIN_SECRET_LENGTH } from './describe-connector.js';
export { itemProblems } from './record-problems.js';
export { renderJsonSchema } from './json-schema.js';
export type { AnyConnector, ConnectorFake, DescribeConnectorOptions, RecordRef } from './types.js';
