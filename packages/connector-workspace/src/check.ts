import { PermissionDeniedError, SourceError, type ConnectionCheck, type ConnectorContext } from '@elder-sync/connector-sdk';
import { googleAuthOptionsOf, googleCredentials, isServiceAccountKey, parseCredentialsJson } from '@elder-sync/google-auth';
import type { WorkspaceConfig } from './config.js';
import { openDirectory, type Directory } from './directory-client.js';
import { DELEGATION_CONSOLE_PATH, scopesFor } from './oauth-scopes.js';

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

function failed(name: string, error: unknown, missing?: string[]): ConnectionCheck {
  const permission = error instanceof PermissionDeniedError ? error.permission : undefined;
  const names = missing ?? (permission ? [permission] : undefined);
  return { name, ok: false, detail: message(error), ...(names ? { missing: names } : {}) };
}

/**
 * credentials → delegation (a token for the subject with every scope the kinds need) → one read per
 * kind (org units, users, groups, a group's members), each reported. When delegation is refused, each
 * scope is asked for alone, because Google refuses the whole token if one scope is not granted: the
 * check then names exactly the scopes to add, and where. Read-only throughout.
 */
export async function testWorkspaceConnection(ctx: ConnectorContext<WorkspaceConfig>): Promise<ConnectionCheck[]> {
  const { config, log, signal } = ctx;
  const scopes = scopesFor(config.kinds);
  // The same reads, and so the same scopes, as a read of these kinds (groups need the user listing too).
  const reads = [
    ...(config.kinds.includes('orgunit') ? ['orgunits'] : []),
    ...(config.kinds.includes('user') || config.kinds.includes('group') ? ['users'] : []),
    ...(config.kinds.includes('group') ? ['groups', 'members'] : []),
  ];
  const order = ['credentials', 'delegation', ...reads];
  const checks: ConnectionCheck[] = [];
  const finish = () => {
    const failedAt = checks.find((c) => !c.ok)?.name;
    for (const name of order.slice(checks.length)) checks.push({ name, ok: false, detail: `not checked: ${failedAt} failed` });
    return checks;
  };

  let clientId: string | undefined;
  try {
    if (config.credentials !== undefined) {
      const json = parseCredentialsJson(config.credentials);
      if (isServiceAccountKey(json)) clientId = json.client_id;
      else throw new SourceError(`credentials are of type "${json.type}": domain-wide delegation needs a service-account key`, { code: 'WORKSPACE_CONFIG' });
    }
    const credentials = await googleCredentials(googleAuthOptionsOf({ ...config, subject: undefined }, scopes));
    checks.push({ name: 'credentials', ok: true, detail: `${credentials.principal}${clientId ? ` (client id ${clientId})` : ''}` });
  } catch (error) {
    checks.push(failed('credentials', error, ['credentials']));
    return finish();
  }

  let directory: Directory;
  try {
    directory = await openDirectory(config, { log, signal, scopes });
    checks.push({ name: 'delegation', ok: true, detail: `token for ${config.subject} with ${scopes.length} read-only scopes` });
  } catch (error) {
    checks.push(await delegationFailure(config, scopes, clientId, error));
    return finish();
  }

  const read = async (name: string, probe: () => Promise<string>) => {
    try {
      checks.push({ name, ok: true, detail: await probe() });
    } catch (error) {
      checks.push(failed(name, error));
    }
  };
  if (reads.includes('orgunits')) await read('orgunits', async () => `${(await directory.orgUnits()).length} org units`);
  if (reads.includes('users')) {
    await read('users', async () => {
      const first = await firstPage(directory.users({ maxResults: 1 }));
      return first.length ? `users readable (e.g. ${first[0]!.primaryEmail})` : 'users readable (none found)';
    });
  }
  if (reads.includes('groups')) {
    let sample: string | undefined;
    await read('groups', async () => {
      const first = await firstPage(directory.groups({ maxResults: 1 }));
      sample = first[0]?.id ?? undefined;
      return first.length ? `groups readable (e.g. ${first[0]!.email})` : 'groups readable (none found)';
    });
    if (checks[checks.length - 1]!.ok) {
      await read('members', async () => {
        if (sample === undefined) return 'no group to read the members of';
        await firstPage(directory.members(sample, { maxResults: 1 }));
        return `members readable (group ${sample})`;
      });
    }
  }
  return finish();
}

async function firstPage<T>(pages: AsyncGenerator<T[]>): Promise<T[]> {
  try {
    const first = await pages.next();
    return first.done ? [] : first.value;
  } finally {
    await pages.return(undefined);
  }
}

/**
 * Google refuses a delegated token outright when any one scope is not granted, so each scope is asked
 * for alone to name the ones missing. If none works, delegation itself is missing (or the subject is
 * no user of the customer), which the first error says.
 */
async function delegationFailure(config: WorkspaceConfig, scopes: string[], clientId: string | undefined, error: unknown): Promise<ConnectionCheck> {
  if (config.credentials === undefined && !(error instanceof SourceError && error.code === 'SOURCE_AUTH')) return failed('delegation', error);
  const refused: string[] = [];
  for (const scope of scopes) {
    try {
      await (await googleCredentials(googleAuthOptionsOf(config, [scope]))).accessToken();
    } catch {
      refused.push(scope);
    }
  }
  if (refused.length === 0) return failed('delegation', error);
  const client = clientId ? `client id ${clientId}` : "the service account's client id";
  if (refused.length < scopes.length && refused.length < scopes.length) {
    return {
      name: 'delegation',
      ok: false,
      detail: `domain-wide delegation for ${client} acting as ${config.subject} does not grant ${refused.join(', ')}: add ${refused.length === 1 ? 'it' : 'them'} to ${client} in ${DELEGATION_CONSOLE_PATH}`,
      missing: refused,
    };
  }
  return {
    name: 'delegation',
    ok: false,
    detail: `${message(error)}. If ${config.subject} is a user of this customer, set up domain-wide delegation for ${client} with the scopes ${scopes.join(',')} in ${DELEGATION_CONSOLE_PATH}`,
    missing: [`domain-wide delegation for ${client}`, ...scopes],
  };
}
