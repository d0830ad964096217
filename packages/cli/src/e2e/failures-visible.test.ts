import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_LDIF, startElderEmulator, startSlapd, type ElderEmulator, type SlapdPeer } from '@elder-sync/testkit';
import { assertBuilt, cliEnv, runCli, scratch, type CliResult } from '../testing/cli.js';
import { ldapConfig, passwordAuth, writeConfig } from '../testing/config.js';

/**
 * Failures are visible: the error comes first and "No changes" is printed only for a run that read
 * and planned; the summary's `errors` count means the same for an Elder and a source failure; a
 * run that changes nothing reports zero writes (logging in is not one).
 */

let slapd: SlapdPeer;
let elder: ElderEmulator;
let work: { dir: string; cleanup: () => void };

interface Summary {
  totals: { errors: number; read: number };
  scopes: Array<{ status: string; error: string | null; counts: { errors: number } }>;
  elder: { writes: number };
}

function cli(args: string[], config: string, password = 'admin123'): Promise<CliResult> {
  return runCli([...args, '--config', config], {
    cwd: work.dir,
    env: cliEnv(join(work.dir, 'data'), { ELDER_PASSWORD: password, LDAP_PW: slapd.bindPassword }),
    timeoutMs: 120_000,
  });
}

function config(file: string, ldapUrl = slapd.url): string {
  return writeConfig(join(work.dir, file), {
    elder: { url: elder.url, ...passwordAuth(), organization: { path: ['Visible'] } },
    state: { path: './state.db' },
    sources: [{ name: 'corp', connector: 'ldap', config: { ...ldapConfig(slapd), url: ldapUrl, timeoutMs: 3000 } }],
  });
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  assertBuilt();
  work = scratch('elder-sync-visible');
  slapd = await startSlapd({ ldif: [SAMPLE_LDIF] });
  elder = await startElderEmulator();
});

afterAll(async () => {
  await slapd?.stop();
  await elder?.close();
  work?.cleanup();
});

describe('a failed run', () => {
  it('Elder rejecting the login: the error first, no "No changes", one error in the summary', async () => {
    const file = config('good.yaml');
    const r = await cli(['run', '--log-format', 'pretty'], file, 'wrong-password');
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain('No changes');
    expect(r.stdout).not.toContain('Plan:');
    expect(r.stderr).toMatch(/^error: corp · ldap:\/\/\S+ dc=example,dc=test: Elder: /m);
    const json = await cli(['run', '--json'], file, 'wrong-password');
    const summary = (JSON.parse(json.stdout) as { summary: Summary }).summary;
    expect(summary.totals.errors).toBe(1);
    expect(summary.scopes[0]!.counts.errors).toBe(1);
  });

  it('the source down: the same — error first, no plan, and errors counted 1 like an Elder failure', async () => {
    const file = config('down.yaml', `ldap://127.0.0.1:${await closedPort()}`);
    const r = await cli(['run', '--log-format', 'pretty'], file);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain('No changes');
    expect(r.stderr).toMatch(/^error: corp · ldap:\/\/127\.0\.0\.1:\d+ dc=example,dc=test: /m);
    const json = await cli(['run', '--json'], file);
    const summary = (JSON.parse(json.stdout) as { summary: Summary }).summary;
    expect(summary.scopes[0]!.status).toBe('failed');
    expect(summary.totals.errors).toBe(1);
  });

  it('a run that read and planned says "No changes", and its --json summary counts no write for the login', async () => {
    const file = config('good.yaml');
    expect((await cli(['run'], file)).code).toBe(0);
    const again = await cli(['run'], file);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^No changes\. \d+ unchanged\.$/m);
    const json = await cli(['run', '--json'], file);
    const summary = (JSON.parse(json.stdout) as { summary: Summary }).summary;
    expect(summary.totals.read).toBeGreaterThan(0);
    expect(summary.elder.writes).toBe(0);
  });
});
