import { CONNECTOR_API_VERSION, defineConnector } from '@elder-sync/connector-sdk';
import { testLdapConnection } from './check.js';
import { legacyScopeIdOf, ldapConfigSchema, scopeIdOf, scopeLabelOf, type LdapConfig } from './config.js';
import { readDirectory } from './read.js';

export type { LdapConfig } from './config.js';
export {
  ldapConfigSchema,
  parseLdapUrl,
  DEFAULT_USER_FILTER,
  DEFAULT_GROUP_FILTER,
  DEFAULT_OU_FILTER,
  DEFAULT_PAGE_SIZE,
  DEFAULT_TIMEOUT_MS,
} from './config.js';
export { parseDn, normalizeDn, escapeDnValue, organizationPathOf, type Rdn, type Ava } from './dn.js';
export { LdapError, LdapErrorCode } from './errors.js';

/**
 * LDAP / Active Directory → Elder: OUs become organizations, people `user/person` entities, groups
 * `user/group` entities (Elder has no user or group type in `/entity-types/`; `user` is what the
 * Python worker wrote, so `--adopt` by `ldap_dn` finds its data), memberships `member_of` dependencies.
 *
 * Only zod and core are imported at module load; ldapts is imported when a connection is opened.
 */
export default defineConnector<LdapConfig>({
  apiVersion: CONNECTOR_API_VERSION,
  id: 'ldap',
  displayName: 'LDAP / Active Directory',
  description: 'Users, groups and organizational units from an LDAP directory (OpenLDAP, Active Directory, 389-DS).',
  configSchema: ldapConfigSchema,
  kinds: {
    ou: { target: 'organization', description: 'organizationalUnit entries, as the organization tree' },
    group: {
      target: 'entity',
      entityType: 'user',
      subType: 'group',
      description: 'groups (groupOfNames, groupOfUniqueNames, posixGroup, AD group)',
      naturalKeys: ['ldap_dn'],
      // DNs compare case-folded in LDAP (and mail addresses in practice).
      naturalKeyCase: 'insensitive',
    },
    user: {
      target: 'entity',
      entityType: 'user',
      subType: 'person',
      description: 'people (inetOrgPerson, person, AD user)',
      naturalKeys: ['ldap_dn', 'email'],
      naturalKeyCase: 'insensitive',
    },
  },
  // One scope per directory, named by its base DN; ownership recorded under the host:port id of
  // earlier versions (for the URL configured now) moves over on the first run.
  scopes: (config) => [{ id: scopeIdOf(config), label: scopeLabelOf(config), formerIds: [legacyScopeIdOf(config)] }],
  testConnection: (ctx) => testLdapConnection(ctx),
  read: (ctx) => readDirectory(ctx),
});
