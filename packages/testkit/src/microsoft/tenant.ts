import { createHash } from 'node:crypto';
import { Clock, DeltaCollection, Memberships, type GraphObject } from './directory.js';

/** The application permissions (app roles) each fake API checks, as an admin grants them. */
export const PERMISSIONS = {
  users: 'User.Read.All',
  groups: 'GroupMember.Read.All',
  devices: 'Device.Read.All',
  managedDevices: 'DeviceManagementManagedDevices.Read.All',
  alerts: 'SecurityAlert.Read.All',
  secureScore: 'SecurityEvents.Read.All',
  machines: 'Machine.Read.All',
  vulnerabilities: 'Vulnerability.Read.All',
} as const;
export const ALL_PERMISSIONS: string[] = Object.values(PERMISSIONS);

export interface FakeTenantOptions {
  /** Directory (tenant) id, a GUID. */
  id: string;
  /** Primary domain; the token endpoint accepts it in place of the GUID. */
  domain?: string;
  clientId: string;
  /** Accepted client secret (omit for certificate-only apps). */
  clientSecret?: string;
  /** PEM certificate whose key signs client assertions (certificate credentials). */
  certificatePem?: string;
  /** Application permissions the admin consented to (default: all). `[]` = consent revoked. */
  roles?: string[];
  /** The client secret has expired (AADSTS7000222). */
  secretExpired?: boolean;
  /** The app's service principal was removed from the tenant (AADSTS700016). */
  appRemoved?: boolean;
}

export type Row = Record<string, unknown> & { id: string };

/** One customer tenant: its directory, Intune, security and Defender data, all mutable by tests. */
export class FakeTenant {
  readonly clock = new Clock();
  readonly users = new DeltaCollection(this.clock);
  readonly groups = new DeltaCollection(this.clock);
  readonly devices = new DeltaCollection(this.clock);
  readonly memberships = new Memberships(this.clock);
  readonly managedDevices = new Map<string, Row>();
  readonly machines = new Map<string, Row>();
  readonly alerts = new Map<string, Row>();
  /** SoftwareVulnerabilitiesByMachine rows, by row id. */
  readonly vulnerabilities = new Map<string, Row>();
  /** SoftwareVulnerabilityChangesByMachine rows, oldest first. */
  readonly vulnerabilityChanges: Row[] = [];
  readonly secureScores: Row[] = [];
  /** Delta tokens issued at a version below this answer 410 Gone. */
  deltaExpiredBefore = 0;
  roles: string[];

  constructor(readonly options: FakeTenantOptions) {
    this.roles = [...(options.roles ?? ALL_PERMISSIONS)];
  }

  get id(): string {
    return this.options.id;
  }

  /** Every delta token issued so far answers 410 Gone (Graph's "resync required"). */
  expireDeltaTokens(): void {
    this.deltaExpiredBefore = this.clock.next();
  }

  addUser(user: GraphObject): void {
    this.users.upsert(user);
  }

  deleteUser(id: string): void {
    for (const g of this.memberships.forget(id)) this.groups.touch(g);
    this.users.remove(id);
  }

  addGroup(group: GraphObject): void {
    this.groups.upsert(group);
  }

  deleteGroup(id: string): void {
    for (const g of this.memberships.forget(id)) this.groups.touch(g);
    for (const m of this.memberships.of(id)) this.memberships.remove(id, m.id);
    this.groups.remove(id);
  }

  addMember(groupId: string, memberId: string, memberType: 'user' | 'group' | 'device' = 'user'): void {
    this.memberships.add(groupId, memberId, memberType);
    this.groups.touch(groupId);
  }

  removeMember(groupId: string, memberId: string): void {
    this.memberships.remove(groupId, memberId);
    this.groups.touch(groupId);
  }

  /** Adds or changes an alert; `lastUpdateDateTime` moves to now unless given. */
  upsertAlert(alert: Row): void {
    const previous = this.alerts.get(alert.id) ?? {};
    this.alerts.set(alert.id, { ...previous, lastUpdateDateTime: new Date().toISOString(), ...alert });
  }

  /** Reports a vulnerability change the way Defender's change feed does; `Fixed` removes it from the export. */
  vulnerabilityEvent(row: Row, status: 'New' | 'Updated' | 'Fixed'): void {
    const eventTimestamp = new Date().toISOString();
    if (status === 'Fixed') this.vulnerabilities.delete(row.id);
    else this.vulnerabilities.set(row.id, { ...(this.vulnerabilities.get(row.id) ?? {}), ...row, lastSeenTimestamp: eventTimestamp });
    this.vulnerabilityChanges.push({ ...(this.vulnerabilities.get(row.id) ?? row), status, eventTimestamp });
  }
}

/** A GUID-shaped id, stable for the same parts. */
export function fakeGuid(...parts: (string | number)[]): string {
  const h = createHash('sha256').update(parts.join('/')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A Defender machine id (40 hex characters), stable for the same parts. */
export function fakeMachineId(...parts: (string | number)[]): string {
  return createHash('sha1').update(parts.join('/')).digest('hex');
}

export interface SeedSizes {
  users?: number;
  groups?: number;
  devices?: number;
  managedDevices?: number;
  machines?: number;
  alerts?: number;
  vulnerabilitiesPerMachine?: number;
  secureScores?: number;
}

const DAY = 86_400_000;

/**
 * Deterministic sample data: users, groups with members (every user in one group; group 0 holds
 * group 1), Entra devices, and for each device its Intune record and Defender machine (linked by
 * `azureADDeviceId` / `aadDeviceId`), alerts whose evidence names a machine and a user, per-machine
 * vulnerabilities and daily secure scores.
 */
export function seedTenant(tenant: FakeTenant, sizes: SeedSizes = {}, label = tenant.id): void {
  const n = {
    users: 5, groups: 2, devices: 3, managedDevices: 3, machines: 3, alerts: 2, vulnerabilitiesPerMachine: 2, secureScores: 2,
    ...sizes,
  };
  const domain = tenant.options.domain ?? `${label}.onmicrosoft.com`;
  const users = Array.from({ length: n.users }, (_, i) => fakeGuid(label, 'user', i));
  users.forEach((id, i) =>
    tenant.addUser({
      id,
      displayName: `User ${i}`,
      userPrincipalName: `user${i}@${domain}`,
      mail: `user${i}@${domain}`,
      accountEnabled: i % 7 !== 3,
      jobTitle: i % 2 === 0 ? 'Engineer' : 'Analyst',
      department: i % 3 === 0 ? 'Security' : 'IT',
    }),
  );
  const groups = Array.from({ length: n.groups }, (_, i) => fakeGuid(label, 'group', i));
  groups.forEach((id, i) =>
    tenant.addGroup({ id, displayName: `Group ${i}`, description: `Sample group ${i}`, mail: null, securityEnabled: true, groupTypes: [] }),
  );
  if (groups.length > 0) users.forEach((u, i) => tenant.addMember(groups[i % groups.length]!, u, 'user'));
  if (groups.length > 1) tenant.addMember(groups[0]!, groups[1]!, 'group');

  const deviceIds: string[] = [];
  for (let i = 0; i < n.devices; i++) {
    const deviceId = fakeGuid(label, 'aad-device', i);
    deviceIds.push(deviceId);
    tenant.devices.upsert({
      id: fakeGuid(label, 'device', i),
      deviceId,
      displayName: `LAPTOP-${i}`,
      operatingSystem: 'Windows',
      operatingSystemVersion: '10.0.22631',
      accountEnabled: true,
      isCompliant: i % 2 === 0,
      isManaged: true,
      trustType: 'AzureAd',
    });
  }
  for (let i = 0; i < n.managedDevices; i++) {
    const id = fakeGuid(label, 'managed', i);
    tenant.managedDevices.set(id, {
      id,
      deviceName: `LAPTOP-${i}`,
      operatingSystem: 'Windows',
      osVersion: '10.0.22631',
      complianceState: i % 2 === 0 ? 'compliant' : 'noncompliant',
      azureADDeviceId: deviceIds[i % Math.max(1, deviceIds.length)] ?? null,
      serialNumber: `SN${1000 + i}`,
      userPrincipalName: `user${i % Math.max(1, n.users)}@${domain}`,
      managedDeviceOwnerType: 'company',
      lastSyncDateTime: new Date(Date.UTC(2026, 10, 1) + i * 60_000).toISOString(),
    });
  }
  const machineIds: string[] = [];
  for (let i = 0; i < n.machines; i++) {
    const id = fakeMachineId(label, 'machine', i);
    machineIds.push(id);
    tenant.machines.set(id, {
      id,
      computerDnsName: `laptop-${i}.${domain}`,
      osPlatform: 'Windows11',
      osVersion: '10.0.22631',
      healthStatus: 'Active',
      riskScore: i % 2 === 0 ? 'Low' : 'Medium',
      exposureLevel: 'Medium',
      aadDeviceId: deviceIds[i % Math.max(1, deviceIds.length)] ?? null,
      onboardingStatus: 'Onboarded',
      lastSeen: new Date(Date.UTC(2026, 10, 1) + i * 60_000).toISOString(),
    });
    for (let v = 0; v < n.vulnerabilitiesPerMachine; v++) {
      const cveId = `CVE-2026-${String(1000 + v).padStart(5, '0')}`;
      const row = {
        id: `${id}_microsoft_edge_120.0.${v}_${cveId}`,
        deviceId: id,
        deviceName: `laptop-${i}.${domain}`,
        osPlatform: 'Windows11',
        softwareVendor: 'microsoft',
        softwareName: 'edge',
        softwareVersion: `120.0.${v}`,
        cveId,
        vulnerabilitySeverityLevel: v % 2 === 0 ? 'High' : 'Medium',
        cvssScore: 7.5 - v / 10,
        exploitabilityLevel: 'NoExploit',
        recommendedSecurityUpdate: 'Update Edge',
        firstSeenTimestamp: new Date(Date.UTC(2026, 9, 1)).toISOString(),
        lastSeenTimestamp: new Date(Date.UTC(2026, 10, 1)).toISOString(),
      };
      tenant.vulnerabilities.set(row.id, row);
    }
  }
  for (let i = 0; i < n.alerts; i++) {
    const id = `da${fakeMachineId(label, 'alert', i).slice(0, 30)}`;
    tenant.alerts.set(id, {
      id,
      title: `Suspicious activity ${i}`,
      severity: i % 2 === 0 ? 'high' : 'medium',
      status: 'new',
      category: 'Execution',
      serviceSource: 'microsoftDefenderForEndpoint',
      detectionSource: 'antivirus',
      createdDateTime: new Date(Date.UTC(2026, 10, 1, 12) + i * 60_000).toISOString(),
      lastUpdateDateTime: new Date(Date.UTC(2026, 10, 1, 12) + i * 60_000).toISOString(),
      evidence: [
        ...(machineIds.length
          ? [{ '@odata.type': '#microsoft.graph.security.deviceEvidence', mdeDeviceId: machineIds[i % machineIds.length], azureAdDeviceId: deviceIds[i % Math.max(1, deviceIds.length)] ?? null }]
          : []),
        ...(users.length
          ? [{ '@odata.type': '#microsoft.graph.security.userEvidence', userAccount: { azureAdUserId: users[i % users.length], accountName: `user${i % users.length}` } }]
          : []),
      ],
    });
  }
  for (let i = 0; i < n.secureScores; i++) {
    const created = new Date(Date.UTC(2026, 10, 1) + i * DAY).toISOString();
    tenant.secureScores.push({
      id: `${tenant.id}_${created.slice(0, 10)}`,
      azureTenantId: tenant.id,
      createdDateTime: created,
      currentScore: 40 + i,
      maxScore: 100,
      activeUserCount: n.users,
      licensedUserCount: n.users,
    });
  }
}
