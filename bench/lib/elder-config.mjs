// The `elder:` block and local state of every bench config written as YAML: the emulator's admin
// login and the root organization the bench syncs below. `extra` lines go inside the elder block.
export function elderConfigLines(url, extra = []) {
  return ['elder:', `  url: ${url}`, '  email: admin@localhost.local', '  password: admin123', '  organization: { path: [Bench] }', ...extra];
}

export const STATE_LINES = ['state:', '  path: ./state.db'];

/** The whole config of the LDAP bench source `bench-ldap`: the bench directory synced into the emulator at `url`. */
export function ldapBenchConfig(url, directory) {
  return [
    ...elderConfigLines(url),
    ...STATE_LINES,
    'sources:',
    '  - name: bench-ldap',
    '    connector: ldap',
    '    config:',
    `      url: ${directory.url}`,
    `      bindDn: ${directory.bindDn}`,
    `      bindPassword: ${directory.bindPassword}`,
    `      baseDn: ${directory.baseDn}`,
  ].join('\n') + '\n';
}
