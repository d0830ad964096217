/** The API's own type list (`apps/api/models/entity_types.py`, elder-api.md §5). Nothing validates against it. */
export const ENTITY_TYPES: ReadonlyMap<string, readonly string[]> = new Map([
  ['network', ['subnet', 'firewall', 'proxy', 'router', 'switch', 'hub', 'tunnel', 'route_table', 'vrrf', 'vxlan', 'vlan', 'namespace', 'other']],
  [
    'compute',
    ['server', 'serverless', 'laptop', 'mobile', 'desktop', 'kubernetes_node', 'kubernetes_cluster', 'virtual_machine', 'lxd_container', 'lxd_vm', 'function_run', 'other'],
  ],
  ['storage', ['hard_disk', 'nvme_disk', 'solid_state_disk', 'virtual_disk', 'external_drive', 'database', 'caching', 'queue_system', 'other']],
  ['datacenter', ['public_vpc', 'private_vpc', 'physical', 'closet', 'other']],
  ['security', ['vulnerability', 'architectural', 'config', 'compliance', 'code', 'regulatory', 'other']],
]);
