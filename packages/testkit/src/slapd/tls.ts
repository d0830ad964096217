import { mkdir, writeFile, rm, chmod } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { run } from './exec.js';

export interface TlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/**
 * A throwaway CA and a server certificate for 127.0.0.1/::1/localhost (and `extraIps`). libldap (ldapsearch) checks
 * `ldaps://localhost` against the machine's host name rather than "localhost", so that name goes
 * into the SAN too; Node checks against the URL's host and is happy with the IP SAN.
 */
export async function makeTls(dir: string, openssl = 'openssl', extraIps: readonly string[] = []): Promise<TlsFiles> {
  const t = join(dir, 'tls');
  await mkdir(t, { recursive: true, mode: 0o700 });
  const names = new Set<string>();
  const h = hostname();
  if (/^[A-Za-z0-9.-]+$/.test(h) && h !== 'localhost') names.add(h);
  const ips = [...new Set(['127.0.0.1', '::1', ...extraIps])];
  const san = ['DNS:localhost', ...ips.map((ip) => `IP:${ip}`), ...[...names].map((n) => `DNS:${n}`)].join(',');
  const ext = join(t, 'server.ext');
  await writeFile(
    ext,
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      `subjectAltName=${san}`,
      '',
    ].join('\n'),
  );
  const steps: string[][] = [
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '3650', '-keyout', 'ca.key', '-out', 'ca.crt',
      '-subj', '/CN=elder-sync testkit CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'],
    ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '3650',
      '-extfile', 'server.ext', '-out', 'server.crt'],
  ];
  for (const args of steps) {
    const r = await run(openssl, args, { cwd: t });
    if (r.code !== 0) throw new Error(`openssl ${args[0]} failed in ${t}: ${r.stderr.trim()}`);
  }
  await Promise.all(['server.csr', 'server.ext', 'ca.srl'].map((f) => rm(join(t, f), { force: true })));
  await chmod(join(t, 'ca.crt'), 0o644);
  await chmod(join(t, 'server.crt'), 0o644);
  return { caFile: join(t, 'ca.crt'), certFile: join(t, 'server.crt'), keyFile: join(t, 'server.key') };
}
