/**
 * What the connector can read, one entry per `resources:` value: the record kind it emits, the
 * application permission it needs (named in errors and in testConnection), the API family it is
 * throttled under, and which token audience it calls with.
 */
export const RESOURCES = ['users', 'groups', 'devices', 'managedDevices', 'machines', 'alerts', 'vulnerabilities', 'secureScore'] as const;
export type Resource = (typeof RESOURCES)[number];

/**
 * API families as Microsoft throttles them; the limiter has one key per (tenant, family).
 * `login` is the token endpoint.
 */
export type ApiFamily = 'login' | 'directory' | 'intune' | 'security-alerts' | 'security-score' | 'defender' | 'vulnerability-export';

export type Audience = 'graph' | 'defender';

export interface ResourceSpec {
  kind: string;
  permission: string;
  family: ApiFamily;
  audience: Audience;
  /** A cheap read that proves the permission (testConnection). Relative to the API's base. */
  probe: string;
}

export const RESOURCE_SPECS: Record<Resource, ResourceSpec> = {
  users: { kind: 'user', permission: 'User.Read.All', family: 'directory', audience: 'graph', probe: '/v1.0/users?$select=id&$top=1' },
  groups: { kind: 'group', permission: 'GroupMember.Read.All', family: 'directory', audience: 'graph', probe: '/v1.0/groups?$select=id&$top=1' },
  devices: { kind: 'device', permission: 'Device.Read.All', family: 'directory', audience: 'graph', probe: '/v1.0/devices?$select=id&$top=1' },
  managedDevices: {
    kind: 'managed_device',
    permission: 'DeviceManagementManagedDevices.Read.All',
    family: 'intune',
    audience: 'graph',
    probe: '/v1.0/deviceManagement/managedDevices?$select=id&$top=1',
  },
  machines: { kind: 'machine', permission: 'Machine.Read.All', family: 'defender', audience: 'defender', probe: '/api/machines?$top=1' },
  alerts: { kind: 'alert', permission: 'SecurityAlert.Read.All', family: 'security-alerts', audience: 'graph', probe: '/v1.0/security/alerts_v2?$top=1' },
  vulnerabilities: {
    kind: 'vulnerability',
    permission: 'Vulnerability.Read.All',
    family: 'vulnerability-export',
    audience: 'defender',
    probe: '/api/machines/SoftwareVulnerabilityChangesByMachine?pageSize=1&sinceTime=',
  },
  secureScore: { kind: 'secure_score', permission: 'SecurityEvents.Read.All', family: 'security-score', audience: 'graph', probe: '/v1.0/security/secureScores?$top=1' },
};

/** The resource a kind comes from. */
export function resourceOfKind(kind: string): Resource | undefined {
  return RESOURCES.find((r) => RESOURCE_SPECS[r].kind === kind);
}
