export { startDirectoryServer, DIRECTORY_PAGE_CAPS, DIRECTORY_ROUTE_SCOPES } from './server.js';
export type { DirectoryServer, DirectoryServerOptions } from './server.js';
export { FakeDirectory } from './directory.js';
export { generateDirectory, GENERATED_ADMIN, userIdOf, groupIdOf, orgUnitIdOf } from './generate.js';
export type { GeneratedDirectoryOptions } from './generate.js';
export type * from './types.js';
export { startWorkspaceFake, WORKSPACE_READ_SCOPES } from './workspace-fake.js';
export type { WorkspaceFake, WorkspaceFakeOptions } from './workspace-fake.js';
