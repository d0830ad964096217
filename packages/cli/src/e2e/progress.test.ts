import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateUsersLdif, startElderEmulator, startSlapd, type ElderEmulator, type SlapdPeer } from '@elder-sync/testkit';
import { assertBuilt, BIN, cliEnv, runCli, scratch } from '../testing/cli.js';
import { ldapConfig, tokenAuth, writeConfig } from '../testing/config.js';
import { metric, parsePrometheus } from '../testing/daemon.js';

/**
 * DESIGN §7 progress: on a terminal, live per-scope rows redrawn in place, then the summary table;
 * off a terminal, one line per finished scope. The terminal is a real pseudo-terminal from
 * util-linux `script`. Also `run --serve-metrics`, watched while the run goes.
 */

const TOKEN = 'Progress-Token-44d1-secret';
const USERS = 120;
const HAS_SCRIPT = spawnSync('script', ['--version']).status === 0;

let slapd: SlapdPeer;
let elder: ElderEmulator;
let work: { dir: string; cleanup: () => void };
const env = (extra: Record<string, string> = {}) => cliEnv(join(work.dir, 'data'), { ELDER_TOKEN: TOKEN, LDAP_PW: slapd.bindPassword, ...extra });
// eslint-disable-next-line no-control-regex
const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');

function config(name: string, state: string): string {
  return writeConfig(join(work.dir, `${name}.yaml`), {
    elder: { url: elder.url, ...tokenAuth },
    state: { path: `./${state}` },
    sources: [{ name, connector: 'ldap', organization: { path: [name] }, config: ldapConfig(slapd) }],
  });
}

/** The CLI on a real pseudo-terminal (`script`), with keys typed into it. */
function terminal(args: string[]) {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd: work.dir,
    env: { ...env(), COLUMNS: '200', LINES: '50', TERM: 'xterm' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.resume();
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => {
    clearTimeout(timer);
    resolve(code);
  }));
  return {
    exited,
    text: () => stripAnsi(out),
    type: (keys: string) => child.stdin.write(keys),
    async waitFor(pattern: RegExp): Promise<void> {
      while (!pattern.test(stripAnsi(out))) {
        if (child.exitCode !== null) throw new Error(`exited ${child.exitCode} before ${pattern}:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

beforeAll(async () => {
  assertBuilt();
  work = scratch('elder-sync-progress');
  slapd = await startSlapd();
  await slapd.add(generateUsersLdif(USERS, 'bulk', slapd.baseDn));
  // A run of a second or two: several redraws, and time to scrape the metrics server.
  elder = await startElderEmulator({ staticTokens: [TOKEN], latencyMs: 25 });
});

afterAll(async () => {
  await slapd?.stop();
  await elder?.close();
  work?.cleanup();
});

describe('progress', () => {
  it.skipIf(!HAS_SCRIPT)('on a terminal: rows redrawn in place while the run goes, then the summary table', async () => {
    const file = config('tty', 'tty.db');
    // --yes: on a terminal run would otherwise show the plan and ask first (tested below).
    const command = [process.execPath, BIN, 'run', '--yes', '--config', file].map((a) => `'${a}'`).join(' ');
    // `script -qfec CMD /dev/null`: run CMD on a new pseudo-terminal, copy what it shows to stdout.
    // Asynchronously: the Elder emulator answers from this process's event loop.
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      cwd: work.dir,
      env: { ...env(), COLUMNS: '200', LINES: '50', TERM: 'xterm' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.resume();
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(timer);
    expect(code, out).toBe(0);
    // Redrawn in place: back up over the rows, clear each line, write it again — more than once.
    const redraws = out.match(/\x1b\[\d+A/g) ?? [];
    expect(redraws.length).toBeGreaterThanOrEqual(2);
    expect(out).toContain('\r\x1b[2K');
    const rows = stripAnsi(out).split(/\r?\n|\r/).filter((l) => l.startsWith('tty · '));
    // Step 1 first: the index of what the source owns in Elder (nothing, on a first sync).
    expect(rows.some((l) => /^tty · Elder index\s+indexed\s+0 owned entities\s+[\d.]+s\s+indexed$/.test(l))).toBe(true);
    expect(rows.some((l) => /read\s+\d+\s+plan …/.test(l) || /reading$/.test(l))).toBe(true);
    expect(rows.some((l) => /done \+[1-9]\d* /.test(l) && /writing$/.test(l))).toBe(true);
    // While writing: the share of the planned writes done, and an estimate of the rest.
    expect(rows.some((l) => /done \+[1-9]\d* .*errors 0\s+\d{1,2}% eta (…|\d+s)\s+[\d.]+s\s+writing$/.test(l))).toBe(true);
    expect(rows.at(-1)).toMatch(new RegExp(`read\\s+${USERS + 1}\\s+plan \\+${USERS + 1} ~0 -0\\s+done \\+${USERS + 1} ~0 -0\\s+errors 0\\s+100%\\s+[\\d.]+s\\s+ok$`));
    // The run ends with the summary table: its header, the root organization it created, the scope's row, the total.
    const tail = stripAnsi(out).trimEnd().split(/\r?\n/).slice(-4);
    expect(tail[0]).toMatch(/^source\s+scope\s+status\s+read\s+created/);
    expect(tail[1]).toMatch(/^\s+root organization\s+ok\s+0\s+1\s/);
    expect(tail[2]).toMatch(new RegExp(`^tty\\s+ldap://\\S+ dc=example,dc=test\\s+ok\\s+${USERS + 1}\\s+${USERS + 1}\\s+0\\s+0`));
    expect(tail[3]).toMatch(new RegExp(`^total\\s+1 scope\\s+ok\\s+${USERS + 1}\\s+${USERS + 2}\\s`));
    expect(out).not.toContain(TOKEN);
  });

  it.skipIf(!HAS_SCRIPT)('on a terminal without --yes: shows the plan, waits for "yes", then applies it', async () => {
    const file = config('ask', 'ask.db');
    const session = terminal(['run', '--config', file]);
    await session.waitFor(/Only "yes" is accepted: $/);
    // The plan is shown in full before anything is written.
    expect(elder.organizations().some((o) => o['name'] === 'ask')).toBe(false);
    expect(session.text()).toMatch(/Plan: 122 to create, 0 to update, 0 to delete, 0 unchanged\.\s+Apply these changes to Elder\?/);
    const writesAtQuestion = elder.stats().writes;
    session.type('yes\r');
    expect(await session.exited).toBe(0);
    expect(elder.stats().writes).toBeGreaterThan(writesAtQuestion + USERS);
    expect(session.text()).toMatch(/^ask\s+ldap:\/\/\S+ dc=example,dc=test\s+ok\s+121\s+121\s/m);
    expect(session.text()).not.toContain(TOKEN);
  });

  it.skipIf(!HAS_SCRIPT)('Ctrl-C at the question writes nothing and exits 130; any answer but "yes" writes nothing and exits 1', async () => {
    for (const [keys, code, said] of [
      ['\x03', 130, 'Interrupted: nothing was applied.'],
      ['no\r', 1, 'Apply cancelled: nothing was applied.'],
    ] as const) {
      const file = config(`stop${code}`, `stop${code}.db`);
      const session = terminal(['run', '--config', file]);
      await session.waitFor(/Only "yes" is accepted: $/);
      const writes = elder.stats().writes;
      session.type(keys);
      expect(await session.exited).toBe(code);
      expect(session.text()).toContain(said);
      expect(elder.stats().writes).toBe(writes);
      expect(existsSync(join(work.dir, `stop${code}.db`))).toBe(false);
    }
  });

  it('off a terminal: one line per finished scope, no cursor movement; --json: one summary document', async () => {
    const file = config('pipe', 'pipe.db');
    const r = await runCli(['run', '--config', file, '--log-level', 'warn'], { cwd: work.dir, env: env(), timeoutMs: 120_000 });
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain('\x1b[');
    expect(r.stderr.split('\n').filter((l) => l.startsWith('pipe · '))).toEqual([expect.stringMatching(/^pipe · .*: ok, read \d+, \+\d+ ~0 -0 \(\d+ms\)$/)]);
    const json = await runCli(['run', '--config', file, '--json'], { cwd: work.dir, env: env(), timeoutMs: 120_000 });
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout) as { summary: { scopes: unknown[]; totals: { read: number } } };
    expect(doc.summary.scopes).toHaveLength(1);
    expect(doc.summary.totals.read).toBe(USERS + 1);
  });

  it('run --serve-metrics serves /status and /metrics while the run goes', async () => {
    const file = config('served', 'served.db');
    const child = spawn(process.execPath, [BIN, 'run', '--config', file, '--serve-metrics', '--listen', '127.0.0.1:0'], {
      cwd: work.dir,
      env: env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.resume();
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      let url: string | undefined;
      while (!(url = /health and metrics on (http:\/\/\S+)/.exec(stderr)?.[1])) {
        if (child.exitCode !== null) throw new Error(stderr);
        await new Promise((r) => setTimeout(r, 20));
      }
      const status = (await (await fetch(`${url}/status`)).json()) as { sources: Array<{ name: string; running: boolean }> };
      expect(status.sources).toMatchObject([{ name: 'served', running: true }]);
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      const samples = parsePrometheus(await (await fetch(`${url}/metrics`)).text());
      expect(metric(samples, 'elder_sync_run_in_progress', { source: 'served' })).toBe(1);
      expect(await exited).toBe(0);
      // The server goes away with the run.
      await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
