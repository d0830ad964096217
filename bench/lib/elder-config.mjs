// The `elder:` block and local state of every bench config written as YAML: the emulator's admin
// login and the root organization the bench syncs below. `extra` lines go inside the elder block.
export function elderConfigLines(url, extra = []) {
  return ['elder:', `  url: ${url}`, '  email: admin@localhost.local', '  password: admin123', '  organization: { path: [Bench] }', ...extra];
}

export const STATE_LINES = ['state:', '  path: ./state.db'];
