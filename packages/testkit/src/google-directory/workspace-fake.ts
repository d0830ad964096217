import { mintServiceAccountKey, type MintedServiceAccount } from '../google/service-account-key.js';
import { startGoogleTokenServer, type GoogleTokenServer } from '../google/token-server.js';
import { GENERATED_ADMIN, generateDirectory, type GeneratedDirectoryOptions } from './generate.js';
import { startDirectoryServer, type DirectoryServer, type DirectoryServerOptions } from './server.js';
import type { DirectoryData } from './types.js';

const AUTH = 'https://www.googleapis.com/auth/';

/** The four read-only scopes a Workspace inventory needs; what delegation grants by default. */
export const WORKSPACE_READ_SCOPES = [
  `${AUTH}admin.directory.orgunit.readonly`,
  `${AUTH}admin.directory.user.readonly`,
  `${AUTH}admin.directory.group.readonly`,
  `${AUTH}admin.directory.group.member.readonly`,
] as const;

export interface WorkspaceFakeOptions {
  /** The directory served (default: `generateDirectory(generate)`). */
  data?: DirectoryData;
  generate?: GeneratedDirectoryOptions;
  /** Scopes domain-wide delegation grants the service account (default: the four read-only ones). */
  delegatedScopes?: readonly string[];
  pageLimit?: DirectoryServerOptions['pageLimit'];
  latencyMs?: number;
}

/**
 * A whole Google Workspace on loopback, as a Workspace connector meets it: a throwaway service
 * account, the token endpoint that verifies its JWT-bearer assertions and enforces domain-wide
 * delegation (which scopes the client id may use with a `sub`), and the Directory API that accepts
 * only the tokens that endpoint issued, for an administrator subject.
 */
export interface WorkspaceFake {
  readonly account: MintedServiceAccount;
  readonly tokens: GoogleTokenServer;
  readonly directory: DirectoryServer;
  /** The administrator generated directories have (the delegation subject). */
  readonly subject: string;
  /** Connector config keys (config-file form) that point a Workspace source here. */
  readonly config: { credentials: string; subject: string; endpoints: { token: string; admin: string } };
  /** Changes what delegation grants, as an administrator editing the client id in the Admin console. */
  setDelegatedScopes(scopes: readonly string[]): void;
  close(): Promise<void>;
}

export async function startWorkspaceFake(options: WorkspaceFakeOptions = {}): Promise<WorkspaceFake> {
  const account = mintServiceAccountKey({ email: 'elder-sync@workspace-test.iam.gserviceaccount.com', projectId: 'workspace-test' });
  const data = options.data ?? generateDirectory(options.generate);
  const tokens = await startGoogleTokenServer({
    accounts: [account],
    delegation: { [account.clientId]: [...(options.delegatedScopes ?? WORKSPACE_READ_SCOPES)] },
  });
  const directory = await startDirectoryServer({
    data,
    grantOf: (token) => {
      const result = tokens.authorize(`Bearer ${token}`);
      return result.ok ? { ...(result.token.subject ? { subject: result.token.subject } : {}), scopes: result.token.scopes } : undefined;
    },
    ...(options.pageLimit ? { pageLimit: options.pageLimit } : {}),
    ...(options.latencyMs ? { latencyMs: options.latencyMs } : {}),
  });
  const subject = data.users.find((u) => u.isAdmin)?.primaryEmail ?? GENERATED_ADMIN(data.customer.customerDomain);
  return {
    account,
    tokens,
    directory,
    subject,
    config: { credentials: account.json, subject, endpoints: { token: tokens.tokenUrl, admin: directory.rootUrl } },
    setDelegatedScopes: (scopes) => tokens.setDelegation(account.clientId, [...scopes]),
    close: async () => {
      await directory.close();
      await tokens.close();
    },
  };
}
