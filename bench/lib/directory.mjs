// A slapd holding N generated users. ldapadd runs at ~600 entries/s here (every add is a synced
// LMDB transaction), so 100 000 users would take ~3 minutes online. Instead: start the testkit's
// slapd (base entries, reader account), stop it, bulk-load the users offline with `slapadd -q`, and
// start slapd again on the same directory and port. memberOf does not matter: bench users have no
// groups.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const testkit = await import(new URL('../../packages/testkit/dist/index.js', import.meta.url).href);
const TOOL_ENV = { ...process.env, LDAPNOINIT: '1' };

export async function startDirectory(users) {
  const dir = mkdtempSync(join(tmpdir(), 'elder-sync-bench-slapd-'));
  const peer = await testkit.startSlapd({ dir, memberOf: false });
  await peer.stop();
  const conf = join(dir, 'slapd.conf');
  const ldif = join(dir, 'users.ldif');
  writeFileSync(ldif, testkit.generateUsersLdif(users, 'bulk', peer.baseDn));
  const load = spawnSync('/usr/sbin/slapadd', ['-q', '-f', conf, '-l', ldif], { env: TOOL_ENV, encoding: 'utf8' });
  if (load.status !== 0) throw new Error(`slapadd failed: ${load.stderr}`);
  rmSync(ldif);
  const log = openSync(join(dir, 'slapd.log'), 'w');
  const child = spawn('/usr/sbin/slapd', ['-d', '0', '-h', `${peer.url}/`, '-f', conf], { stdio: ['ignore', log, log], detached: true });
  closeSync(log);
  for (let i = 0; ; i++) {
    const probe = spawnSync('ldapsearch', ['-x', '-H', peer.url, '-s', 'base', '-b', '', '-LLL', '1.1'], { env: TOOL_ENV });
    if (probe.status === 0) break;
    if (i > 100) throw new Error('bench slapd did not come back');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: peer.url,
    baseDn: peer.baseDn,
    bindDn: peer.bindDn,
    bindPassword: peer.bindPassword,
    /** Changes `title` of users 1..count (the "1 % changed" scenario). */
    async changeUsers(count, tag) {
      const parts = [];
      for (let i = 1; i <= count; i++) {
        const uid = `bulk${String(i).padStart(5, '0')}`;
        parts.push(`dn: uid=${uid},ou=bulk,${peer.baseDn}\nchangetype: modify\nreplace: title\ntitle: ${tag}\n`);
      }
      const r = spawnSync('ldapmodify', ['-x', '-H', peer.url, '-D', peer.adminDn, '-w', peer.adminPassword], { input: parts.join('\n'), env: TOOL_ENV, encoding: 'utf8', maxBuffer: 1 << 26 });
      if (r.status !== 0) throw new Error(`ldapmodify failed: ${r.stderr}`);
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
