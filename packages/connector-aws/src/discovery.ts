import { pages, type DiscoveryContext, type Scope, type ScopeDiscovery, type ScopeDiscoveryFailure } from '@elder-sync/connector-sdk';
import { accountOfRoleArn, type AwsConfig, type AwsService } from './config.js';
import { GLOBAL_SERVICES } from './kinds.js';
import { awsRuntime, closePool, sdk, type AwsRuntime, type ClientPool, type Session } from './runtime.js';
import { externalIdFor, paramsJson } from './sessions.js';

/** Accounts discovered at once (role, alias, regions): a 300-account Organization is not 300 sockets. */
const DISCOVERY_CONCURRENCY = 16;

/** Runs `task` over `items`, at most `limit` at a time. */
async function forEachLimited<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: Math.min(limit, queue.length) }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await task(item);
    }),
  );
}

/** An account to read, before its role is assumed. */
interface Target {
  accountId: string;
  /** null: the caller's own credentials. */
  roleArn: string | null;
  name?: string;
  orgName?: string;
}

/**
 * Scopes at run time (reads only): the accounts (the caller's own; `accounts`; every ACTIVE member of
 * the Organization, filtered by `includeOus`/`excludeAccounts`), then for each its regions (`"*"`: the
 * regions enabled for it, ec2:DescribeRegions). An account whose role cannot be assumed, or whose
 * regions cannot be listed, is a `failed` entry: its scopes are not returned, and the engine takes no
 * scope of it to have vanished. A failure to list the Organization itself fails the whole discovery.
 */
export async function discoverAwsScopes(config: AwsConfig, ctx: DiscoveryContext): Promise<ScopeDiscovery> {
  const pool: ClientPool = new Map();
  try {
    return await discover(config, ctx, pool);
  } finally {
    await closePool(pool);
  }
}

async function discover(config: AwsConfig, ctx: DiscoveryContext, pool: ClientPool): Promise<ScopeDiscovery> {
  const runtime = awsRuntime(ctx.log);
  const { signal } = ctx;
  const endpoints = config.endpoints ?? {};
  const caller = await runtime.callerIdentity(signal, endpoints);
  const targets = new Map<string, Target>();
  for (const a of config.accounts ?? []) {
    targets.set(accountOfRoleArn(a.roleArn), { accountId: accountOfRoleArn(a.roleArn), roleArn: a.roleArn, ...(a.name ? { name: a.name } : {}) });
  }
  if (config.organization) {
    const partition = /^arn:(aws[a-z-]*):/.exec(caller.arn)?.[1] ?? 'aws';
    for (const member of await organizationAccounts(runtime, caller.session, config.organization, signal, pool)) {
      const known = targets.get(member.id);
      if (known) {
        known.orgName = member.name;
        continue;
      }
      // The caller's own account (the management account, usually without the member role) is read
      // with the caller's credentials.
      const roleArn = member.id === caller.session.accountId ? null : `arn:${partition}:iam::${member.id}:role/${config.organization.roleName}`;
      targets.set(member.id, { accountId: member.id, roleArn, orgName: member.name });
    }
  }
  if (targets.size === 0) targets.set(caller.session.accountId, { accountId: caller.session.accountId, roleArn: null });

  const services = new Set<AwsService>(config.services);
  const regional = [...services].some((s) => !GLOBAL_SERVICES.has(s));
  const global = [...services].some((s) => GLOBAL_SERVICES.has(s));
  const scopes: Scope[] = [];
  const failed: ScopeDiscoveryFailure[] = [];
  await forEachLimited([...targets.values()], DISCOVERY_CONCURRENCY, async (t) => {
    let session: Session;
    try {
      session = t.roleArn === null ? caller.session : await runtime.assume(t.roleArn, externalIdFor(config, t.roleArn), signal, endpoints);
    } catch (error) {
      const label = t.name ?? t.orgName ?? t.accountId;
      failed.push({ id: t.accountId, label: `account ${label} (${t.accountId})`, error });
      return;
    }
    const label = t.name ?? (await accountAlias(runtime, session, ctx, pool)) ?? t.orgName ?? t.accountId;
    let regions: string[];
    try {
      regions = regional ? await regionsOf(runtime, session, config, signal, pool) : [];
    } catch (error) {
      failed.push({ id: t.accountId, label: `account ${label} (${t.accountId})`, error });
      return;
    }
    // The home region when the account has it, else its first: where test-connectivity checks everything.
    const sampleRegion = regions.includes(runtime.homeRegion) ? runtime.homeRegion : regions[0];
    const scope = (region: string): Scope => ({
      id: `${t.accountId}/${region}`,
      label: `${label} ${region}`,
      params: paramsJson({ accountId: t.accountId, accountLabel: label, region, roleArn: t.roleArn, sample: region === sampleRegion || region === 'global' }),
    });
    for (const region of regions) scopes.push(scope(region));
    if (global) scopes.push(scope('global'));
  });
  scopes.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  failed.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  ctx.log.info('AWS scopes discovered', { accounts: targets.size, scopes: scopes.length, failedAccounts: failed.length });
  return { scopes, failed };
}

interface Member {
  id: string;
  name: string;
}

/** ACTIVE member accounts, from ListAccounts or (with includeOus) each OU's subtree. */
async function organizationAccounts(
  runtime: AwsRuntime,
  session: Session,
  org: NonNullable<AwsConfig['organization']>,
  signal: AbortSignal,
  pool: ClientPool,
): Promise<Member[]> {
  const client = await runtime.client('organizations', session, 'global', (m, c) => new m.OrganizationsClient(c), pool);
  const { ListAccountsCommand, ListAccountsForParentCommand, ListOrganizationalUnitsForParentCommand } = await sdk('organizations');
  const call = <T>(action: string, task: () => Promise<T>) => runtime.call(session, 'global', action, task, signal);
  const members = new Map<string, Member>();
  const add = (accounts: { Id?: string | undefined; Name?: string | undefined; Status?: string | undefined; State?: string | undefined }[] | undefined) => {
    for (const a of accounts ?? []) {
      const state = a.State ?? a.Status;
      if (a.Id && state === 'ACTIVE') members.set(a.Id, { id: a.Id, name: a.Name ?? a.Id });
    }
  };
  if (!org.includeOus) {
    for await (const page of pages({
      what: 'organizations:ListAccounts',
      fetchPage: (token) => call('organizations:ListAccounts', () => client.send(new ListAccountsCommand({ ...(token ? { NextToken: token } : {}) }))),
      nextToken: (p) => p.NextToken,
    })) {
      add(page.Accounts);
    }
  } else {
    const queue = [...org.includeOus];
    const seen = new Set<string>();
    while (queue.length > 0) {
      const parent = queue.shift()!;
      if (seen.has(parent)) continue;
      seen.add(parent);
      for await (const page of pages({
        what: `organizations:ListAccountsForParent ${parent}`,
        fetchPage: (token) => call('organizations:ListAccountsForParent', () => client.send(new ListAccountsForParentCommand({ ParentId: parent, ...(token ? { NextToken: token } : {}) }))),
        nextToken: (p) => p.NextToken,
      })) {
        add(page.Accounts);
      }
      for await (const page of pages({
        what: `organizations:ListOrganizationalUnitsForParent ${parent}`,
        fetchPage: (token) =>
          call('organizations:ListOrganizationalUnitsForParent', () => client.send(new ListOrganizationalUnitsForParentCommand({ ParentId: parent, ...(token ? { NextToken: token } : {}) }))),
        nextToken: (p) => p.NextToken,
      })) {
        for (const ou of page.OrganizationalUnits ?? []) if (ou.Id) queue.push(ou.Id);
      }
    }
  }
  const excluded = new Set(org.excludeAccounts ?? []);
  return [...members.values()].filter((m) => !excluded.has(m.id)).sort((a, b) => (a.id < b.id ? -1 : 1));
}

/** The account's alias (iam:ListAccountAliases); none when it has none or the call is denied. */
async function accountAlias(runtime: AwsRuntime, session: Session, ctx: DiscoveryContext, pool: ClientPool): Promise<string | undefined> {
  try {
    const iam = await runtime.client('iam', session, 'global', (m, c) => new m.IAMClient(c), pool);
    const { ListAccountAliasesCommand } = await sdk('iam');
    const out = await runtime.call(session, 'global', 'iam:ListAccountAliases', () => iam.send(new ListAccountAliasesCommand({})), ctx.signal);
    return out.AccountAliases?.[0];
  } catch (error) {
    // A label is not worth failing the account for (the alias is often denied by narrow policies).
    ctx.signal.throwIfAborted();
    ctx.log.debug('no account alias', { account: session.accountId, error: (error as Error).message });
    return undefined;
  }
}

/** The configured regions, or with `"*"` every region enabled for the account. */
async function regionsOf(runtime: AwsRuntime, session: Session, config: AwsConfig, signal: AbortSignal, pool: ClientPool): Promise<string[]> {
  if (!config.regions.includes('*')) return [...new Set(config.regions)].sort();
  const ec2 = await runtime.client('ec2', session, runtime.homeRegion, (m, c) => new m.EC2Client(c), pool);
  const { DescribeRegionsCommand } = await sdk('ec2');
  // Without AllRegions, DescribeRegions lists only the regions enabled for the account.
  const out = await runtime.call(session, runtime.homeRegion, 'ec2:DescribeRegions', () => ec2.send(new DescribeRegionsCommand({})), signal);
  return (out.Regions ?? [])
    .filter((r) => r.RegionName && r.OptInStatus !== 'not-opted-in')
    .map((r) => r.RegionName!)
    .sort();
}
