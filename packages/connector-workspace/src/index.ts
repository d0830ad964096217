import { CONNECTOR_API_VERSION, defineConnector } from '@elder-sync/connector-sdk';
import { testWorkspaceConnection } from './check.js';
import { scopeIdOf, scopeLabelOf, workspaceConfigSchema, type WorkspaceConfig } from './config.js';
import { readWorkspace } from './read.js';

export type { WorkspaceConfig, WorkspaceKind } from './config.js';
export { workspaceConfigSchema, WORKSPACE_KINDS } from './config.js';
export { DIRECTORY_SCOPES, DELEGATION_CONSOLE_PATH, scopesFor } from './oauth-scopes.js';
export { PAGE_SIZES, DIRECTORY_LIMITS, directoryLimiterStats } from './directory-client.js';

/**
 * Google Workspace → Elder: org units become organizations (the whole tree), users `user/person`
 * entities in their OU's organization, groups `user/group` entities, direct memberships `member_of`
 * dependencies (users and nested groups). The same Elder types as the LDAP connector, so a directory
 * reads the same whichever source it comes from; `--adopt` finds the Python worker's data by `email`.
 *
 * Only zod and the SDK are imported at module load; @googleapis/admin and google-auth-library when a
 * scope is read or checked.
 */
export default defineConnector<WorkspaceConfig>({
  apiVersion: CONNECTOR_API_VERSION,
  id: 'workspace',
  displayName: 'Google Workspace',
  description: 'Org units, users, groups and group membership from the Google Workspace Admin SDK Directory API (domain-wide delegation).',
  configSchema: workspaceConfigSchema,
  kinds: {
    orgunit: { target: 'organization', description: 'organizational units, the whole tree, as organizations' },
    user: {
      target: 'entity',
      entityType: 'user',
      subType: 'person',
      description: 'users, suspended and archived ones included (status attribute)',
      naturalKeys: ['email'],
      // Google compares addresses case-insensitively; the worker may have written another case.
      naturalKeyCase: 'insensitive',
    },
    group: {
      target: 'entity',
      entityType: 'user',
      subType: 'group',
      description: 'groups, linked to their member users and groups by member_of',
      naturalKeys: ['email'],
      naturalKeyCase: 'insensitive',
    },
  },
  scopes: (config) => [{ id: scopeIdOf(config), label: scopeLabelOf(config) }],
  testConnection: (ctx) => testWorkspaceConnection(ctx),
  read: (ctx) => readWorkspace(ctx),
});
