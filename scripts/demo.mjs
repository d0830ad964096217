// The main job on its embedded default: the sample directory (8 OUs, 10 people, 4 groups) in a
// throwaway OpenLDAP slapd, synced into the Elder emulator by the real CLI. Prints the plan and the
// summary, then shows that a second run has nothing to do. Everything lives in a temp dir.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { startElderEmulator, startSlapd } = await import(join(root, 'packages/testkit/dist/index.js'));
const cli = join(root, 'packages/cli/bin/run.js');

const work = mkdtempSync(join(tmpdir(), 'elder-sync-demo-'));
const ldap = await startSlapd({ ldif: [join(root, 'packages/testkit/fixtures/sample.ldif')] });
const elder = await startElderEmulator();
let status = 0;
try {
  const configPath = join(work, 'elder-sync.yaml');
  writeFileSync(
    configPath,
    [
      '# Written by scripts/demo.mjs: the Elder emulator and a throwaway slapd with the sample directory.',
      'elder:',
      `  url: ${elder.url}`,
      '  email: admin@localhost.local',
      '  password: "${DEMO_ELDER_PASSWORD}"',
      '  organization: { path: [Demo] }',
      'state:',
      `  path: ${join(work, 'state.db')}`,
      'sources:',
      '  - name: demo-ldap',
      '    connector: ldap',
      '    config:',
      `      url: ${ldap.ldapsUrl}`,
      `      caFile: ${ldap.caFile}`,
      `      bindDn: "${ldap.bindDn}"`,
      '      bindPassword: "${DEMO_LDAP_PASSWORD}"',
      `      baseDn: "${ldap.baseDn}"`,
      '',
    ].join('\n'),
  );
  const env = { ...process.env, DEMO_ELDER_PASSWORD: 'admin123', DEMO_LDAP_PASSWORD: ldap.bindPassword };
  // The emulator lives in this process: run the CLI asynchronously so it keeps answering.
  const step = async (title, args) => {
    console.log(`\n$ elder-sync ${args.join(' ')}    # ${title}`);
    const child = spawn(process.execPath, [cli, ...args, '--config', configPath], { stdio: 'inherit', env });
    const [code] = await once(child, 'exit');
    return code ?? 1;
  };
  status = await step('reachable, authenticated, permitted?', ['test-connectivity']);
  if (status === 0) status = await step('first sync: plan and apply', ['run']);
  if (status === 0) status = await step('nothing changed, nothing to write', ['diff', '--detailed-exitcode']);
  const stats = elder.stats();
  console.log(`\nElder emulator saw ${stats.writes} writes and ${stats.reads} reads; it now holds ` +
    `${elder.organizations().length} organizations, ${elder.entities().length} entities and ${elder.dependencies().length} dependencies.`);
} finally {
  await elder.close();
  await ldap.stop();
  rmSync(work, { recursive: true, force: true });
}
process.exit(status);
