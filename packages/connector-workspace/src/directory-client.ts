import { KeyedLimiter, pages, type LimiterStats, type Logger } from '@elder-sync/connector-sdk';
import { googleAuthOptionsOf, googleCredentials, rootUrlOf } from '@elder-sync/google-auth';
import type { admin_directory_v1 } from '@googleapis/admin';
import type { WorkspaceConfig } from './config.js';
import { directoryError } from './errors.js';
import { DIRECTORY_SCOPES, scopesFor } from './oauth-scopes.js';

export type DirectoryUser = admin_directory_v1.Schema$User;
export type DirectoryGroup = admin_directory_v1.Schema$Group;
export type DirectoryMember = admin_directory_v1.Schema$Member;
export type DirectoryOrgUnit = admin_directory_v1.Schema$OrgUnit;

/** The API's maximum `maxResults` per collection: fewest calls (org units are not paged). */
export const PAGE_SIZES = { users: 500, groups: 200, members: 200 } as const;

/**
 * The Directory API's default quota is 2,400 queries per minute per user per project, and it also
 * caps concurrent requests per domain (`quotaExceeded`); one limiter key per customer keeps every
 * source of a process reading that customer within both, and slows down on 429 / quota errors.
 */
export const DIRECTORY_LIMITS = { concurrency: 10, rates: [{ limit: 2400, intervalMs: 60_000 }], maxRetries: 8 };
let sharedLimiter: KeyedLimiter | undefined;
const limiter = () => (sharedLimiter ??= new KeyedLimiter(DIRECTORY_LIMITS));

/** Throttling and retries so far, per customer key (`<customer>@<subject's domain>`), for logs and tests. */
export function directoryLimiterStats(): LimiterStats {
  return limiter().stats();
}

/** The Directory API as the read needs it: one async generator per paged list, each call limited. */
export interface Directory {
  /** Who is calling: `sync@p.iam.gserviceaccount.com acting as admin@example.com`. */
  readonly principal: string;
  /** The limiter key of this customer. */
  readonly limiterKey: string;
  orgUnits(): Promise<DirectoryOrgUnit[]>;
  users(options?: { maxResults?: number }): AsyncGenerator<DirectoryUser[]>;
  groups(options?: { maxResults?: number }): AsyncGenerator<DirectoryGroup[]>;
  /** Direct members of a group, page by page. */
  members(groupId: string, options?: { maxResults?: number }): AsyncGenerator<DirectoryMember[]>;
}

/**
 * Authenticates (a token with domain-wide delegation for the scopes the kinds need, fetched once up
 * front so a refused delegation fails here with its fix) and builds the client. `@googleapis/admin`
 * and google-auth-library are imported here, never when the CLI starts.
 */
export async function openDirectory(config: WorkspaceConfig, options: { log: Logger; signal: AbortSignal; scopes?: string[] }): Promise<Directory> {
  const scopes = options.scopes ?? scopesFor(config.kinds);
  const credentials = await googleCredentials(googleAuthOptionsOf(config, scopes));
  await credentials.accessToken();
  const { admin } = await import('@googleapis/admin');
  const api = admin({
    version: 'directory_v1',
    auth: credentials.client as never,
    ...(config.endpoints?.admin === undefined ? {} : { rootUrl: rootUrlOf(config.endpoints.admin) }),
  });
  const { signal, log } = options;
  // The limiter is the one retry loop: gaxios must not retry 429s and 5xx on its own.
  const request = { retry: false, signal } as const;
  const subjectDomain = config.subject.slice(config.subject.indexOf('@') + 1).toLowerCase();
  const key = `${config.customer}@${subjectDomain}`;
  const where = config.domain === undefined ? { customer: config.customer } : { domain: config.domain };
  const whereText = config.domain ?? config.customer;

  const call = <T>(what: string, scope: string, fetch: () => Promise<{ data: T }>): Promise<T> =>
    limiter().run(
      key,
      async (attempt) => {
        if (attempt > 0) log.debug('Directory API call retried', { what, attempt });
        try {
          return (await fetch()).data;
        } catch (error) {
          throw directoryError(error, { what, scope, subject: config.subject });
        }
      },
      { signal },
    );

  return {
    principal: `${credentials.principal} acting as ${config.subject}`,
    limiterKey: key,
    async orgUnits() {
      const what = `orgunits.list (type=all) for ${config.customer}`;
      const data = await call(what, DIRECTORY_SCOPES.orgunit, () => api.orgunits.list({ customerId: config.customer, type: 'all' }, request));
      return data.organizationUnits ?? [];
    },
    users(opts = {}) {
      const what = `users.list for ${whereText}`;
      return mapPages(
        pages({
          what,
          fetchPage: (pageToken) =>
            call(what, DIRECTORY_SCOPES.user, () =>
              api.users.list({ ...where, maxResults: opts.maxResults ?? PAGE_SIZES.users, orderBy: 'email', projection: 'basic', ...(pageToken ? { pageToken } : {}) }, request),
            ),
          nextToken: (page) => page.nextPageToken,
        }),
        (page) => page.users ?? [],
      );
    },
    groups(opts = {}) {
      const what = `groups.list for ${whereText}`;
      return mapPages(
        pages({
          what,
          fetchPage: (pageToken) =>
            call(what, DIRECTORY_SCOPES.group, () =>
              api.groups.list({ ...where, maxResults: opts.maxResults ?? PAGE_SIZES.groups, orderBy: 'email', ...(pageToken ? { pageToken } : {}) }, request),
            ),
          nextToken: (page) => page.nextPageToken,
        }),
        (page) => page.groups ?? [],
      );
    },
    members(groupId, opts = {}) {
      const what = `members.list of group ${groupId}`;
      return mapPages(
        pages({
          what,
          fetchPage: (pageToken) =>
            call(what, DIRECTORY_SCOPES.member, () =>
              api.members.list({ groupKey: groupId, maxResults: opts.maxResults ?? PAGE_SIZES.members, ...(pageToken ? { pageToken } : {}) }, request),
            ),
          nextToken: (page) => page.nextPageToken,
        }),
        (page) => page.members ?? [],
      );
    },
  };
}

async function* mapPages<P, T>(source: AsyncIterable<P>, items: (page: P) => T[]): AsyncGenerator<T[]> {
  for await (const page of source) yield items(page);
}
