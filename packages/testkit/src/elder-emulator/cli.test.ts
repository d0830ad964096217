import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { callApi } from './http-client.js';
import { parseCliArguments } from './cli.js';

// The bin runs the compiled CLI: build with `npx tsc -b packages/testkit` first (the workspace `test` script does).
const BIN = fileURLToPath(new URL('../../bin/elder-emulator.js', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'elder-emulator-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function run(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const firstLine = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      if (stdout.includes('\n')) resolve(stdout.split('\n')[0] as string);
    });
    child.on('exit', () => reject(new Error(`exited early: ${stderr}`)));
  });
  firstLine.catch(() => undefined); // tests that expect an early exit never await it
  return { child, exited, firstLine, output: () => ({ stdout, stderr }) };
}

describe('elder-emulator command line', () => {
  it('listens on a chosen free port, writes the ready file, serves the API and exits 0 on SIGTERM', async () => {
    const readyFile = join(scratch, 'url');
    const proc = run(['--port', '0', '--ready-file', readyFile, '--fault-rate', '0', '--static-token', 'hush']);
    const line = await proc.firstLine;
    expect(line).toMatch(/^elder-emulator listening on http:\/\/127\.0\.0\.1:\d+$/);
    const url = line.replace('elder-emulator listening on ', '');
    expect(readFileSync(readyFile, 'utf8')).toBe(url);
    expect((await callApi(url, 'GET', '/healthz')).status).toBe(200);
    expect((await callApi(url, 'GET', '/api/v1/entities', { token: 'hush' })).status).toBe(200);
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    expect(proc.output().stdout).not.toContain('hush');
    expect(proc.output().stdout.trim().split('\n')).toHaveLength(1);
  });

  it('takes faults, legacy dialect and strict auth from flags, and closes on SIGINT', async () => {
    const proc = run(['--port', '0', '--legacy', '--strict-auth', '--fault-rate', '1', '--fault-kinds', '5xx-text', '--fault-seed', '7']);
    const url = (await proc.firstLine).replace('elder-emulator listening on ', '');
    expect((await callApi(url, 'GET', '/healthz')).text).toBe('Internal Server Error');
    await callApi(url, 'POST', '/__emulator/faults', { json: null });
    expect((await callApi(url, 'POST', '/api/v1/organizations', { json: { name: 'x' } })).status).toBe(401);
    proc.child.kill('SIGINT');
    expect(await proc.exited).toBe(0);
  });

  it('exits 64 with usage on a bad flag', async () => {
    const proc = run(['--port', '0', '--fault-kinds', 'boom', '--fault-rate', '0.5']);
    expect(await proc.exited).toBe(64);
    expect(proc.output().stderr).toContain('faults.kinds');
  });

  it('parses every flag into emulator options', () => {
    const parsed = parseCliArguments(['--port', '4000', '--host', '0.0.0.0', '--token-ttl', '5', '--refresh-ttl', '60', '--latency-ms', '3', '--shuffle-ties', '--compact-json']);
    expect(parsed.options).toMatchObject({ port: 4000, host: '0.0.0.0', tokenTtlSeconds: 5, refreshTtlSeconds: 60, latencyMs: 3, shuffleTies: true, prettyJson: false, dialect: 'v3.2.1' });
    expect(parseCliArguments([]).options.port).toBe(4000);
    expect(existsSync(BIN)).toBe(true);
  });
});
