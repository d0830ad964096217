import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SAMPLE_LDIF,
  WORKER_ENV_EXAMPLE,
  startElderEmulator,
  startSlapd,
  type ElderEmulator,
  type SlapdPeer,
} from '@elder-sync/testkit';
import { assertBuilt, cliEnv, runCli, scratch, type CliResult } from '../testing/cli.js';

/**
 * DESIGN §1/§3: someone who ran the Python worker points elder-sync at their existing `.env` and
 * it works. The worker's .env.example, LDAP switched on and its endpoints aimed at a real slapd and
 * the Elder emulator; no config file anywhere (the working directory is empty).
 */

const API_KEY = 'Worker-Api-Key-5e2a-secret';

let slapd: SlapdPeer;
let elder: ElderEmulator;
let work: { dir: string; cleanup: () => void };
let transcript = '';

function workerEnv(): Record<string, string> {
  return {
    ...WORKER_ENV_EXAMPLE,
    ELDER_API_URL: elder.url,
    ELDER_API_KEY: API_KEY,
    LDAP_ENABLED: 'true',
    LDAP_SERVER: slapd.host,
    LDAP_PORT: String(slapd.port),
    LDAP_BIND_DN: slapd.bindDn,
    LDAP_BIND_PASSWORD: slapd.bindPassword,
    LDAP_BASE_DN: slapd.baseDn,
  };
}

async function cli(args: string[], env: Record<string, string> = workerEnv()): Promise<CliResult> {
  const r = await runCli(args, { cwd: work.dir, env: cliEnv(join(work.dir, '..', 'data'), env), timeoutMs: 120_000 });
  transcript += r.stdout + r.stderr;
  return r;
}

beforeAll(async () => {
  assertBuilt();
  work = scratch('elder-sync-worker-env');
  slapd = await startSlapd({ ldif: [SAMPLE_LDIF] });
  elder = await startElderEmulator({ staticTokens: [API_KEY] });
});

afterAll(async () => {
  await slapd?.stop();
  await elder?.close();
  work?.cleanup();
});

describe("the Python worker's .env, no config file", () => {
  it('run syncs the directory into Elder with the API key as the bearer token', async () => {
    expect(readdirSync(work.dir)).toEqual([]);
    const r = await cli(['run', '--log-format', 'json']);
    expect(r.stderr).not.toMatch(/"level":"error"/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Plan: \d+ to create, 0 to update, 0 to delete, 0 unchanged\.$/m);
    // The worker's default group filter matches only AD; the connector's default found the groups.
    expect(r.stderr).toContain("LDAP_GROUP_FILTER (objectClass=group) is the worker's default");
    const people = elder.entities().filter((e) => (e['sub_type'] ?? e['subType']) === 'person');
    const groups = elder.entities().filter((e) => (e['sub_type'] ?? e['subType']) === 'group');
    expect(people).toHaveLength(10);
    expect(groups).toHaveLength(4);
    expect(elder.stats().byRoute['POST /api/v1/portal-auth/login'] ?? 0).toBe(0);
    // State lands where a file-less run keeps it: ./.elder-sync/state.db.
    expect(existsSync(join(work.dir, '.elder-sync', 'state.db'))).toBe(true);
  });

  it('a second run writes nothing', async () => {
    const before = elder.stats().writes;
    const r = await cli(['run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Plan: 0 to create, 0 to update, 0 to delete, \d+ unchanged\.$/m);
    expect(elder.stats().writes).toBe(before);
  });

  it('names the variable to fix, exit 64', async () => {
    const r = await cli(['run'], { ...workerEnv(), LDAP_BASE_DN: '', LDAP_USE_SSL: 'sometimes' });
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('error: LDAP_USE_SSL: must be true or false (got "sometimes")');
    expect(r.stderr).toContain('error: LDAP_BASE_DN: not set: give the subtree to sync');
  });

  it('without worker variables or a file, says neither was found, exit 64', async () => {
    const r = await cli(['run'], {});
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/no configuration file: .*no Python worker variables/);
  });

  it('config init --from-env writes the same configuration as YAML, secrets as references; run on it writes nothing', async () => {
    const r = await cli(['config', 'init', '--from-env', 'migrated.yaml']);
    expect(r.code).toBe(0);
    const text = readFileSync(join(work.dir, 'migrated.yaml'), 'utf8');
    expect(text).toContain('token: ${ELDER_API_KEY}');
    expect(text).toContain('bindPassword: ${LDAP_BIND_PASSWORD}');
    expect(text).not.toContain(slapd.bindPassword);
    const before = elder.stats().writes;
    const run = await cli(['run', '--config', 'migrated.yaml']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Plan: 0 to create, 0 to update, 0 to delete, \d+ unchanged\.$/m);
    expect(elder.stats().writes).toBe(before);
  });

  it('never printed the API key or the bind password', () => {
    expect(transcript).not.toContain(API_KEY);
    expect(transcript).not.toContain(slapd.bindPassword);
  });
});
