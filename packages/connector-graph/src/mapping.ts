import { createHash } from 'node:crypto';
import type { JsonObject, JsonValue, RecordRelation, SourceRecord } from '@elder-sync/connector-sdk';

/** Where a tenant's records hang: one organization per tenant, named by the config's `name`. */
export interface TenantPlace {
  tenantId: string;
  organizationPath: string[];
}

type Raw = Record<string, unknown>;

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const bool = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const sortedRelations = (relations: RecordRelation[]): RecordRelation[] =>
  relations.sort((a, b) => a.type.localeCompare(b.type) || a.kind.localeCompare(b.kind) || (a.externalId < b.externalId ? -1 : a.externalId > b.externalId ? 1 : 0));

export const USER_SELECT = 'id,displayName,userPrincipalName,mail,accountEnabled,jobTitle,department,userType';
export const GROUP_SELECT = 'id,displayName,description,mail,securityEnabled,mailEnabled,groupTypes';
export const DEVICE_SELECT = 'id,deviceId,displayName,operatingSystem,operatingSystemVersion,accountEnabled,isCompliant,isManaged,trustType';

export function mapUser(u: Raw, place: TenantPlace, groupIds: Iterable<string>): SourceRecord {
  const id = String(u.id);
  return {
    kind: 'user',
    externalId: id,
    name: str(u.displayName) ?? str(u.userPrincipalName) ?? id,
    organizationPath: place.organizationPath,
    attributes: {
      entra_object_id: id,
      tenant_id: place.tenantId,
      user_principal_name: str(u.userPrincipalName),
      email: str(u.mail) ?? str(u.userPrincipalName),
      account_enabled: bool(u.accountEnabled),
      job_title: str(u.jobTitle),
      department: str(u.department),
      user_type: str(u.userType),
    },
    relations: sortedRelations([...groupIds].map((g) => ({ type: 'member_of', kind: 'group', externalId: g }))),
  };
}

export function mapGroup(g: Raw, place: TenantPlace, parentIds: Iterable<string>): SourceRecord {
  const id = String(g.id);
  return {
    kind: 'group',
    externalId: id,
    name: str(g.displayName) ?? id,
    organizationPath: place.organizationPath,
    attributes: {
      entra_object_id: id,
      tenant_id: place.tenantId,
      description: str(g.description),
      email: str(g.mail),
      security_enabled: bool(g.securityEnabled),
      mail_enabled: bool(g.mailEnabled),
      group_types: Array.isArray(g.groupTypes) ? (g.groupTypes as unknown[]).filter((t): t is string => typeof t === 'string').sort() : [],
    },
    relations: sortedRelations([...parentIds].filter((p) => p !== id).map((p) => ({ type: 'member_of', kind: 'group', externalId: p }))),
  };
}

export function mapDevice(d: Raw, place: TenantPlace): SourceRecord {
  const id = String(d.id);
  return {
    kind: 'device',
    externalId: id,
    name: str(d.displayName) ?? id,
    organizationPath: place.organizationPath,
    attributes: {
      entra_object_id: id,
      entra_device_id: str(d.deviceId),
      tenant_id: place.tenantId,
      operating_system: str(d.operatingSystem),
      os_version: str(d.operatingSystemVersion),
      account_enabled: bool(d.accountEnabled),
      is_compliant: bool(d.isCompliant),
      is_managed: bool(d.isManaged),
      trust_type: str(d.trustType),
    },
  };
}

export const MANAGED_DEVICE_SELECT =
  'id,deviceName,operatingSystem,osVersion,complianceState,azureADDeviceId,serialNumber,userPrincipalName,managedDeviceOwnerType,lastSyncDateTime';

/** An Intune device, with its compliance state; `entraDevice` is the Entra device object id it links to. */
export function mapManagedDevice(m: Raw, place: TenantPlace, entraDevice: string | undefined): SourceRecord {
  const id = String(m.id);
  return {
    kind: 'managed_device',
    externalId: id,
    name: str(m.deviceName) ?? id,
    organizationPath: place.organizationPath,
    attributes: {
      intune_device_id: id,
      tenant_id: place.tenantId,
      entra_device_id: str(m.azureADDeviceId),
      operating_system: str(m.operatingSystem),
      os_version: str(m.osVersion),
      compliance_state: str(m.complianceState),
      serial_number: str(m.serialNumber),
      user_principal_name: str(m.userPrincipalName),
      owner_type: str(m.managedDeviceOwnerType),
    },
    relations: entraDevice ? [{ type: 'related', kind: 'device', externalId: entraDevice }] : [],
  };
}

export function mapMachine(m: Raw, place: TenantPlace, entraDevice: string | undefined): SourceRecord {
  const id = String(m.id);
  return {
    kind: 'machine',
    externalId: id,
    name: str(m.computerDnsName) ?? id,
    organizationPath: place.organizationPath,
    attributes: {
      defender_machine_id: id,
      tenant_id: place.tenantId,
      entra_device_id: str(m.aadDeviceId),
      os_platform: str(m.osPlatform),
      os_version: str(m.osVersion),
      health_status: str(m.healthStatus),
      risk_score: str(m.riskScore),
      exposure_level: str(m.exposureLevel),
      onboarding_status: str(m.onboardingStatus),
    },
    relations: entraDevice ? [{ type: 'related', kind: 'device', externalId: entraDevice }] : [],
  };
}

/** Which relation targets exist (a kind not synced has none). */
export interface AlertLinks {
  machine: (id: string) => boolean;
  user: (id: string) => boolean;
}

/** A security alert (alerts_v2); it `affects` the machines and users named in its evidence. */
export function mapAlert(a: Raw, place: TenantPlace, links: AlertLinks): SourceRecord {
  const id = String(a.id);
  const relations = new Map<string, RecordRelation>();
  for (const e of Array.isArray(a.evidence) ? (a.evidence as Raw[]) : []) {
    const type = String(e['@odata.type'] ?? '');
    const machine = str(e.mdeDeviceId);
    if (type.endsWith('deviceEvidence') && machine && links.machine(machine)) relations.set(`m${machine}`, { type: 'affects', kind: 'machine', externalId: machine });
    const user = str((e.userAccount as Raw | undefined)?.azureAdUserId);
    if (type.endsWith('userEvidence') && user && links.user(user)) relations.set(`u${user}`, { type: 'affects', kind: 'user', externalId: user });
  }
  return {
    kind: 'alert',
    externalId: id,
    name: str(a.title) ?? id,
    organizationPath: place.organizationPath,
    attributes: {
      alert_id: id,
      tenant_id: place.tenantId,
      severity: str(a.severity),
      status: str(a.status),
      category: str(a.category),
      service_source: str(a.serviceSource),
      detection_source: str(a.detectionSource),
      created: str(a.createdDateTime),
      last_updated: str(a.lastUpdateDateTime),
    },
    relations: sortedRelations([...relations.values()]),
  };
}

/**
 * One vulnerability on one machine (a row of Defender's export: machine × software × CVE). Its id
 * starts with the machine id, so it is unique across tenants; `lastSeenTimestamp` is left out because
 * it moves every day without anything changing.
 */
export function mapVulnerability(v: Raw, place: TenantPlace, linkMachine: (id: string) => boolean): SourceRecord {
  const id = String(v.id);
  const cve = str(v.cveId);
  const software = [str(v.softwareVendor), str(v.softwareName), str(v.softwareVersion)].filter(Boolean).join(' ');
  const machine = str(v.deviceId);
  return {
    kind: 'vulnerability',
    externalId: id,
    name: `${cve ?? 'vulnerability'} on ${str(v.deviceName) ?? machine ?? '?'}${software ? ` (${software})` : ''}`,
    organizationPath: place.organizationPath,
    attributes: {
      tenant_id: place.tenantId,
      cve_id: cve,
      defender_machine_id: machine,
      software_vendor: str(v.softwareVendor),
      software_name: str(v.softwareName),
      software_version: str(v.softwareVersion),
      severity: str(v.vulnerabilitySeverityLevel),
      cvss_score: num(v.cvssScore),
      exploitability: str(v.exploitabilityLevel),
      recommended_update: str(v.recommendedSecurityUpdate),
      first_seen: str(v.firstSeenTimestamp),
    },
    relations: machine && linkMachine(machine) ? [{ type: 'affects', kind: 'machine', externalId: machine }] : [],
  };
}

/** The tenant's latest secure score: one object per tenant (its external id is the tenant's). */
export function mapSecureScore(s: Raw, place: TenantPlace, tenantName: string): SourceRecord {
  const current = num(s.currentScore);
  const max = num(s.maxScore);
  return {
    kind: 'secure_score',
    externalId: `${place.tenantId}/secure-score`,
    name: `Secure score of ${tenantName}`,
    organizationPath: place.organizationPath,
    attributes: {
      tenant_id: place.tenantId,
      current_score: current,
      max_score: max,
      percentage: current !== null && max ? Math.round((current / max) * 1000) / 10 : null,
      as_of: str(s.createdDateTime),
      active_user_count: num(s.activeUserCount),
      licensed_user_count: num(s.licensedUserCount),
    },
  };
}

/** A short content hash of an API object, for resources that have no delta API. */
export function shortHash(value: unknown): string {
  return createHash('sha256').update(canonical(value)).digest('base64url').slice(0, 16);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value as object).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Raw)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export type { JsonObject, JsonValue };
