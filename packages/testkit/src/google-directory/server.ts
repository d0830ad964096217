/**
 * A loopback Admin SDK Directory API (`admin.googleapis.com/admin/directory/v1`) for connector tests,
 * driven through the real `@googleapis/admin` client by pointing its `rootUrl` here. It serves the
 * read methods an inventory needs at their real paths (users, groups, members, org units, customers),
 * with the real page caps (users 500, groups and members 200), the real error bodies, and the access
 * rules of domain-wide delegation: a token must carry a scope that allows the method, and its subject
 * (the impersonated `sub`) must be an administrator of the customer.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeDirectory } from './directory.js';
import {
  badRequest,
  faultResponse,
  insufficientScopes,
  invalidParameter,
  notAuthorized,
  notFound,
  unauthenticated,
  type GoogleErrorResponse,
} from './errors.js';
import { decodePageToken, encodePageToken, isErrorResponse, pageSizeOf } from './paging.js';
import type {
  DirectoryData,
  DirectoryFault,
  DirectoryGrant,
  DirectoryGroup,
  DirectoryMember,
  DirectoryOrgUnit,
  DirectoryRequest,
  DirectoryRoute,
  DirectoryUser,
} from './types.js';

const AUTH = 'https://www.googleapis.com/auth/';

/** Scopes that allow each method (read-only or full), as the Directory API documents them. */
export const DIRECTORY_ROUTE_SCOPES: Readonly<Record<DirectoryRoute, readonly string[]>> = {
  users: [`${AUTH}admin.directory.user.readonly`, `${AUTH}admin.directory.user`],
  groups: [`${AUTH}admin.directory.group.readonly`, `${AUTH}admin.directory.group`],
  members: [
    `${AUTH}admin.directory.group.member.readonly`,
    `${AUTH}admin.directory.group.member`,
    `${AUTH}admin.directory.group.readonly`,
    `${AUTH}admin.directory.group`,
  ],
  orgunits: [`${AUTH}admin.directory.orgunit.readonly`, `${AUTH}admin.directory.orgunit`],
  customers: [`${AUTH}admin.directory.customer.readonly`, `${AUTH}admin.directory.customer`],
};

const METHOD_NAMES: Record<DirectoryRoute, string> = {
  users: 'ccc.hosted.frontend.directory.v1.DirectoryUsers.List',
  groups: 'ccc.hosted.frontend.directory.v1.DirectoryGroups.List',
  members: 'ccc.hosted.frontend.directory.v1.DirectoryMembers.List',
  orgunits: 'ccc.hosted.frontend.directory.v1.DirectoryOrgunits.List',
  customers: 'ccc.hosted.frontend.directory.v1.DirectoryCustomers.Get',
};

/** The API's own maximum `maxResults` and its default, per paged collection. */
export const DIRECTORY_PAGE_CAPS = { users: { max: 500, default: 100 }, groups: { max: 200, default: 200 }, members: { max: 200, default: 200 } } as const;

export interface DirectoryServerOptions {
  data: DirectoryData;
  /**
   * What an access token grants, or `undefined` for a token the token endpoint never issued (401).
   * Wire it to the token endpoint that verified the JWT-bearer assertion.
   */
  grantOf: (accessToken: string) => DirectoryGrant | undefined;
  /**
   * The most items the fake returns in one page even when `maxResults` allows more (real servers
   * may return fewer than asked), so a small fixture still pages.
   */
  pageLimit?: Partial<Record<'users' | 'groups' | 'members', number>>;
  /** Delay before each answer, so concurrency can be observed (`maxInFlight`). */
  latencyMs?: number;
}

export interface DirectoryServer {
  /** `http://127.0.0.1:PORT/`: the client's `rootUrl`. */
  readonly rootUrl: string;
  readonly directory: FakeDirectory;
  /** Every request answered, in order. */
  readonly requests: DirectoryRequest[];
  /** Requests answered per route. */
  count(route: DirectoryRoute): number;
  /** The next `times` requests to `route` (after authentication) fail with `fault`. */
  failNext(route: DirectoryRoute, fault: DirectoryFault, times?: number): void;
  /** Most requests being answered at the same time so far, per route. */
  maxInFlight(route: DirectoryRoute): number;
  resetStats(): void;
  close(): Promise<void>;
}

interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const PREFIX = '/admin/directory/v1/';

function etagOf(value: unknown): string {
  return `"${createHash('sha1').update(JSON.stringify(value)).digest('base64url')}"`;
}

function withEtag<T extends object>(value: T): T & { etag: string } {
  return { ...value, etag: etagOf(value) };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export async function startDirectoryServer(options: DirectoryServerOptions): Promise<DirectoryServer> {
  const directory = new FakeDirectory(options.data);
  const requests: DirectoryRequest[] = [];
  const faults = new Map<DirectoryRoute, DirectoryFault[]>();
  const inFlight = new Map<DirectoryRoute, number>();
  const peak = new Map<DirectoryRoute, number>();
  const data = () => directory.data;

  const isCustomer = (value: string | undefined) => value === 'my_customer' || value === data().customer.id;
  const domains = () => [data().customer.customerDomain, ...(data().customer.secondaryDomains ?? [])].map((d) => d.toLowerCase());
  const domainOf = (email: string) => email.slice(email.lastIndexOf('@') + 1).toLowerCase();

  /** `customer` or `domain` (one is required), as users.list and groups.list take them. */
  const scopeFilter = (q: URLSearchParams): ((email: string) => boolean) | GoogleErrorResponse => {
    const customer = q.get('customer') ?? undefined;
    const domain = q.get('domain')?.toLowerCase() ?? undefined;
    if (customer === undefined && domain === undefined) return badRequest();
    if (customer !== undefined && !isCustomer(customer)) return badRequest();
    if (domain !== undefined) {
      if (!domains().includes(domain)) return badRequest();
      return (email) => domainOf(email) === domain;
    }
    return () => true;
  };

  const page = <T>(route: 'users' | 'groups' | 'members', all: T[], q: URLSearchParams, queryKey: string) => {
    const caps = DIRECTORY_PAGE_CAPS[route];
    const size = pageSizeOf(q.get('maxResults') ?? undefined, caps.max, caps.default);
    if (isErrorResponse(size)) return size;
    const offset = decodePageToken(q.get('pageToken') ?? undefined, `${route}:${queryKey}`);
    if (isErrorResponse(offset)) return offset;
    const end = Math.min(all.length, offset + Math.min(size, options.pageLimit?.[route] ?? Infinity));
    return { items: all.slice(offset, end), next: end < all.length ? encodePageToken(`${route}:${queryKey}`, end) : undefined };
  };

  const sorted = <T>(list: T[], key: (item: T) => string, q: URLSearchParams) => {
    const out = [...list].sort((a, b) => compare(key(a), key(b)));
    return q.get('sortOrder')?.toUpperCase() === 'DESCENDING' ? out.reverse() : out;
  };

  const userView = (u: DirectoryUser) =>
    withEtag({
      kind: 'admin#directory#user',
      id: u.id,
      primaryEmail: u.primaryEmail,
      name: { givenName: u.name.givenName, familyName: u.name.familyName, fullName: u.name.fullName ?? `${u.name.givenName} ${u.name.familyName}` },
      isAdmin: u.isAdmin ?? false,
      isDelegatedAdmin: u.isDelegatedAdmin ?? false,
      lastLoginTime: u.lastLoginTime ?? '1970-01-01T00:00:00.000Z',
      creationTime: u.creationTime ?? '2024-01-02T03:04:05.000Z',
      agreedToTerms: true,
      suspended: u.suspended ?? false,
      ...(u.suspended && u.suspensionReason ? { suspensionReason: u.suspensionReason } : {}),
      archived: u.archived ?? false,
      changePasswordAtNextLogin: false,
      ipWhitelisted: false,
      emails: [{ address: u.primaryEmail, primary: true }, ...(u.aliases ?? []).map((address) => ({ address }))],
      ...(u.aliases?.length ? { aliases: u.aliases } : {}),
      ...(u.organizations?.length ? { organizations: u.organizations.map((o) => ({ ...o, customType: '' })) } : {}),
      customerId: data().customer.id,
      orgUnitPath: u.orgUnitPath,
      isMailboxSetup: true,
      isEnrolledIn2Sv: u.isEnrolledIn2Sv ?? false,
      isEnforcedIn2Sv: u.isEnforcedIn2Sv ?? false,
      includeInGlobalAddressList: true,
      ...(u.extra ?? {}),
    });

  const groupView = (g: DirectoryGroup) =>
    withEtag({
      kind: 'admin#directory#group',
      id: g.id,
      email: g.email,
      name: g.name,
      directMembersCount: String(directory.membersOf(g.id).length),
      description: g.description ?? '',
      adminCreated: g.adminCreated ?? true,
      ...(g.aliases?.length ? { aliases: g.aliases } : {}),
      nonEditableAliases: [`${g.email.slice(0, g.email.indexOf('@'))}@${data().customer.customerDomain}.test-google-a.com`],
    });

  const memberView = (m: DirectoryMember) =>
    withEtag({
      kind: 'admin#directory#member',
      id: m.id,
      ...(m.email ? { email: m.email } : {}),
      role: m.role,
      type: m.type,
      ...(m.type === 'CUSTOMER' ? {} : { status: m.status ?? 'ACTIVE' }),
    });

  const orgUnitView = (o: DirectoryOrgUnit) => {
    const parentPath = directory.orgUnitPathOf(o.parentOrgUnitId);
    return withEtag({
      kind: 'admin#directory#orgUnit',
      name: o.name,
      description: o.description ?? '',
      orgUnitPath: directory.orgUnitPathOf(o.orgUnitId),
      orgUnitId: o.orgUnitId,
      parentOrgUnitPath: parentPath,
      parentOrgUnitId: o.parentOrgUnitId ?? data().rootOrgUnitId,
      blockInheritance: false,
    });
  };

  const list = (kind: string, field: string, items: unknown[], next?: string): Answer => ({
    status: 200,
    // Google leaves the list field out entirely when it is empty.
    body: withEtag({ kind, ...(items.length ? { [field]: items } : {}), ...(next ? { nextPageToken: next } : {}) }),
  });

  const routes: { route: DirectoryRoute; pattern: RegExp; handle: (m: RegExpExecArray, q: URLSearchParams) => Answer | GoogleErrorResponse }[] = [
    {
      route: 'users',
      pattern: /^users$/,
      handle: (_m, q) => {
        const filter = scopeFilter(q);
        if (isErrorResponse(filter)) return filter;
        if (q.get('showDeleted') === 'true') return list('admin#directory#users', 'users', []);
        const orderBy = q.get('orderBy');
        const keys: Record<string, (u: DirectoryUser) => string> = {
          email: (u) => u.primaryEmail.toLowerCase(),
          familyName: (u) => u.name.familyName.toLowerCase(),
          givenName: (u) => u.name.givenName.toLowerCase(),
        };
        if (orderBy !== null && !keys[orderBy]) return invalidParameter(`Invalid value '${orderBy}' for orderBy`);
        const all = sorted(data().users.filter((u) => filter(u.primaryEmail)), orderBy ? keys[orderBy]! : (u) => u.id, q);
        const result = page('users', all, q, `${q.get('customer')}|${q.get('domain')}|${orderBy}|${q.get('sortOrder')}`);
        if (isErrorResponse(result)) return result;
        return list('admin#directory#users', 'users', result.items.map(userView), result.next);
      },
    },
    {
      route: 'members',
      pattern: /^groups\/([^/]+)\/members$/,
      handle: (m, q) => {
        const key = decodeURIComponent(m[1]!).toLowerCase();
        const group = data().groups.find((g) => g.id.toLowerCase() === key || g.email.toLowerCase() === key || g.aliases?.some((a) => a.toLowerCase() === key));
        if (!group) return notFound('groupKey');
        if (q.get('includeDerivedMembership') === 'true') return invalidParameter('includeDerivedMembership is not served by this fake');
        const roles = q.get('roles')?.split(',').map((r) => r.trim().toUpperCase());
        const all = directory.membersOf(group.id).filter((x) => !roles || roles.includes(x.role));
        const result = page('members', all, q, `${group.id}|${q.get('roles')}`);
        if (isErrorResponse(result)) return result;
        return list('admin#directory#members', 'members', result.items.map(memberView), result.next);
      },
    },
    {
      route: 'groups',
      pattern: /^groups$/,
      handle: (_m, q) => {
        if (q.get('userKey') !== null) return invalidParameter('userKey is not served by this fake');
        const filter = scopeFilter(q);
        if (isErrorResponse(filter)) return filter;
        const orderBy = q.get('orderBy');
        if (orderBy !== null && orderBy !== 'email') return invalidParameter(`Invalid value '${orderBy}' for orderBy`);
        const all = sorted(data().groups.filter((g) => filter(g.email)), orderBy ? (g) => g.email.toLowerCase() : (g) => g.id, q);
        const result = page('groups', all, q, `${q.get('customer')}|${q.get('domain')}|${orderBy}|${q.get('sortOrder')}`);
        if (isErrorResponse(result)) return result;
        return list('admin#directory#groups', 'groups', result.items.map(groupView), result.next);
      },
    },
    {
      route: 'orgunits',
      pattern: /^customer\/([^/]+)\/orgunits$/,
      handle: (m, q) => {
        if (!isCustomer(decodeURIComponent(m[1]!))) return badRequest();
        const type = q.get('type') ?? 'children';
        if (!['all', 'children', 'allIncludingParent'].includes(type)) return invalidParameter(`Invalid value '${type}' for type`);
        const from = q.get('orgUnitPath') ?? '/';
        const start = from === '/' || from === '' ? null : from.startsWith('id:') ? data().orgUnits.find((o) => o.orgUnitId === from) : directory.orgUnitByPath(from.startsWith('/') ? from : `/${from}`);
        if (start === undefined) return notFound('orgUnitPath');
        const startId = start === null ? null : start.orgUnitId;
        const parentOf = (o: DirectoryOrgUnit) => o.parentOrgUnitId;
        const below = (o: DirectoryOrgUnit): boolean => {
          for (let p = parentOf(o); ; ) {
            if (p === startId) return true;
            if (p === null) return false;
            p = directory.orgUnit(p).parentOrgUnitId;
          }
        };
        const chosen = data().orgUnits.filter((o) => (type === 'children' ? parentOf(o) === startId : below(o)));
        if (type === 'allIncludingParent' && start) chosen.unshift(start);
        // Google lists in no documented order: here by id, which is unrelated to the tree.
        const items = [...chosen].sort((a, b) => compare(a.orgUnitId, b.orgUnitId)).map(orgUnitView);
        return { status: 200, body: withEtag({ kind: 'admin#directory#org_units', ...(items.length ? { organizationUnits: items } : {}) }) };
      },
    },
    {
      route: 'customers',
      pattern: /^customers\/([^/]+)$/,
      handle: (m) => {
        if (!isCustomer(decodeURIComponent(m[1]!))) return badRequest();
        const c = data().customer;
        return {
          status: 200,
          body: withEtag({
            kind: 'admin#directory#customer',
            id: c.id,
            customerDomain: c.customerDomain,
            alternateEmail: `postmaster@${c.customerDomain}`,
            customerCreationTime: c.customerCreationTime ?? '2020-01-01T00:00:00.000Z',
            language: c.language ?? 'en',
          }),
        };
      },
    },
  ];

  const answer = (req: IncomingMessage, url: URL): { route: DirectoryRoute | 'unknown'; subject?: string; answer: Answer } => {
    const rest = url.pathname.startsWith(PREFIX) ? url.pathname.slice(PREFIX.length) : undefined;
    let match: { route: (typeof routes)[number]; m: RegExpExecArray } | undefined;
    if (rest !== undefined) {
      for (const route of routes) {
        const m = route.pattern.exec(rest);
        if (m) {
          match = { route, m };
          break;
        }
      }
    }
    if (!match) return { route: 'unknown', answer: notFound(url.pathname) };
    const route = match.route.route;
    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const grant = bearer === undefined ? undefined : options.grantOf(bearer);
    if (!grant) return { route, answer: unauthenticated() };
    const subject = grant.subject;
    const fault = faults.get(route)?.shift();
    if (fault) return { route, ...(subject ? { subject } : {}), answer: faultResponse(fault) };
    if (!DIRECTORY_ROUTE_SCOPES[route].some((s) => grant.scopes.includes(s))) {
      return { route, ...(subject ? { subject } : {}), answer: insufficientScopes(METHOD_NAMES[route]) };
    }
    if (req.method !== 'GET') return { route, ...(subject ? { subject } : {}), answer: invalidParameter('this fake serves reads only') };
    const admin = subject === undefined ? undefined : data().users.find((u) => u.primaryEmail.toLowerCase() === subject.toLowerCase());
    const mayRead = admin !== undefined && (admin.isAdmin || (admin.isDelegatedAdmin && (admin.adminReads === undefined || admin.adminReads.includes(route))));
    if (!admin || !mayRead || admin.suspended) {
      return { route, ...(subject ? { subject } : {}), answer: notAuthorized() };
    }
    return { route, ...(subject ? { subject } : {}), answer: match.route.handle(match.m, url.searchParams) };
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const result = answer(req, url);
      const route = result.route;
      if (route !== 'unknown') {
        const now = (inFlight.get(route) ?? 0) + 1;
        inFlight.set(route, now);
        peak.set(route, Math.max(peak.get(route) ?? 0, now));
      }
      const send = () => {
        if (route !== 'unknown') inFlight.set(route, (inFlight.get(route) ?? 1) - 1);
        const { status, body, headers } = result.answer;
        requests.push({
          route,
          method: req.method ?? 'GET',
          url: req.url ?? '/',
          query: Object.fromEntries(url.searchParams),
          ...(result.subject ? { subject: result.subject } : {}),
          status,
          at: Date.now(),
        });
        res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', vary: 'Origin, X-Origin, Referer', ...(headers ?? {}) });
        res.end(JSON.stringify(body));
      };
      if (options.latencyMs) setTimeout(send, options.latencyMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    rootUrl: `http://127.0.0.1:${port}/`,
    directory,
    requests,
    count: (route) => requests.filter((r) => r.route === route).length,
    failNext: (route, fault, times = 1) => {
      const queue = faults.get(route) ?? [];
      for (let i = 0; i < times; i++) queue.push(fault);
      faults.set(route, queue);
    },
    maxInFlight: (route) => peak.get(route) ?? 0,
    resetStats: () => {
      requests.length = 0;
      peak.clear();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
