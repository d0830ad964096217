/**
 * Resources of the fake Admin SDK Directory API, in the shapes (and with the field names) the real API
 * returns them (`admin#directory#user`, `…#group`, `…#member`, `…#orgUnit`, `…#customer`).
 */

export interface DirectoryCustomer {
  /** Google's customer id, e.g. `C03az79cb`; `my_customer` is accepted as its alias. */
  id: string;
  customerDomain: string;
  /** Secondary domains of a multi-domain customer (the `domain` parameter accepts these too). */
  secondaryDomains?: string[];
  customerCreationTime?: string;
  language?: string;
}

export interface DirectoryOrgUnit {
  /** `id:03ph8a2z…` as Google writes it. */
  orgUnitId: string;
  name: string;
  description?: string;
  /** `null` for a top-level OU: its parent is the customer's root OU. */
  parentOrgUnitId: string | null;
}

export interface DirectoryUser {
  /** Immutable numeric id (21 digits as a string). */
  id: string;
  primaryEmail: string;
  name: { givenName: string; familyName: string; fullName?: string };
  orgUnitPath: string;
  suspended?: boolean;
  suspensionReason?: string;
  archived?: boolean;
  isAdmin?: boolean;
  isDelegatedAdmin?: boolean;
  /**
   * For a delegated admin: the collections its admin role may read (default all), so a role without,
   * say, organizational-unit privileges can be tested.
   */
  adminReads?: DirectoryRoute[];
  isEnrolledIn2Sv?: boolean;
  isEnforcedIn2Sv?: boolean;
  creationTime?: string;
  lastLoginTime?: string;
  aliases?: string[];
  organizations?: { title?: string; department?: string; primary?: boolean }[];
  /** Fields the real API returns that a connector might send on; passed through verbatim. */
  extra?: Record<string, unknown>;
}

export interface DirectoryGroup {
  id: string;
  email: string;
  name: string;
  description?: string;
  adminCreated?: boolean;
  aliases?: string[];
}

export type MemberRole = 'OWNER' | 'MANAGER' | 'MEMBER';
export type MemberType = 'USER' | 'GROUP' | 'CUSTOMER';

export interface DirectoryMember {
  /** The user's or group's id; for an external address, an id that is no user of this customer. */
  id: string;
  email?: string;
  role: MemberRole;
  type: MemberType;
  status?: 'ACTIVE' | 'SUSPENDED' | 'UNKNOWN';
}

/** The whole directory a fake serves. */
export interface DirectoryData {
  customer: DirectoryCustomer;
  /** The customer's root OU id (never listed with type=all; the parent of top-level OUs). */
  rootOrgUnitId: string;
  orgUnits: DirectoryOrgUnit[];
  users: DirectoryUser[];
  groups: DirectoryGroup[];
  /** Group id → its direct members. */
  members: Record<string, DirectoryMember[]>;
}

/** What an access token grants, as the token endpoint issued it. */
export interface DirectoryGrant {
  /** The impersonated user (`sub` of the JWT-bearer assertion); absent without domain-wide delegation. */
  subject?: string;
  scopes: readonly string[];
}

/** The four resource collections and the customers route, as requests are counted and faults aimed. */
export type DirectoryRoute = 'users' | 'groups' | 'members' | 'orgunits' | 'customers';

export interface DirectoryRequest {
  route: DirectoryRoute | 'unknown';
  method: string;
  /** Path and query as received. */
  url: string;
  query: Record<string, string>;
  subject?: string;
  status: number;
  /** When the answer was sent (ms since the epoch). */
  at: number;
}

/** A failure the fake answers with instead of the resource. */
export type DirectoryFault =
  | { kind: 'userRateLimitExceeded' }
  | { kind: 'quotaExceeded' }
  | { kind: 'rateLimitExceeded'; retryAfterSeconds?: number }
  | { kind: 'backendError' };
