import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, BIN, CLI_ROOT, cliEnv, scratch } from './testing/cli.js';
import { exec } from './testing/exec.js';

/**
 * docs/writing-a-connector.md, followed literally: its ```sh test blocks run in order in one shell,
 * in an empty directory, with `elder-sync` on PATH. The substitutions the guide itself documents:
 * the SDK, core and testkit come from tarballs packed here (ELDER_SYNC_SDK_SPEC / _CORE_SPEC / _TESTKIT_SPEC),
 * and npm runs without install scripts (its "machines without internet" note).
 */
const GUIDE = join(CLI_ROOT, '..', '..', 'docs', 'writing-a-connector.md');

function testedBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```sh test\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

let work: { dir: string; cleanup: () => void };
beforeAll(async () => {
  assertBuilt();
  work = scratch('elder-sync-guide');
  const tgz = join(work.dir, 'tgz');
  for (const pkg of ['connector-sdk', 'core', 'testkit']) {
    const r = await exec('pnpm', ['pack', '--pack-destination', tgz], { cwd: join(CLI_ROOT, '..', pkg) });
    expect(r.code, r.stderr).toBe(0);
  }
}, 120_000);
afterAll(() => work?.cleanup());

describe('docs/writing-a-connector.md', () => {
  it('has tested shell blocks for scaffold, test, build, link and install', () => {
    const blocks = testedBlocks(readFileSync(GUIDE, 'utf8'));
    expect(blocks.join('\n')).toMatch(/connectors new[\s\S]*npm test[\s\S]*plugins link[\s\S]*plugins install/);
  });

  it('its steps, run literally in an empty directory, succeed', async () => {
    const bin = join(work.dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'elder-sync'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
    chmodSync(join(bin, 'elder-sync'), 0o755);
    const home = join(work.dir, 'reader');
    mkdirSync(home);
    const script = ['set -eu', ...testedBlocks(readFileSync(GUIDE, 'utf8')).map((b, i) => `echo "--- block ${i + 1}"\n${b}`)].join('\n');
    const tgz = join(work.dir, 'tgz');
    const r = await exec('bash', ['-c', script], {
      cwd: home,
      timeoutMs: 300_000,
      env: cliEnv(join(work.dir, 'data'), {
        PATH: `${bin}:${process.env['PATH']}`,
        ELDER_SYNC_SDK_SPEC: `file:${join(tgz, 'elder-sync-connector-sdk-0.1.0.tgz')}`,
        ELDER_SYNC_CORE_SPEC: `file:${join(tgz, 'elder-sync-core-0.1.0.tgz')}`,
        ELDER_SYNC_TESTKIT_SPEC: `file:${join(tgz, 'elder-sync-testkit-0.1.0.tgz')}`,
        npm_config_ignore_scripts: 'true',
        npm_config_fund: 'false',
        npm_config_audit: 'false',
        // A fresh machine downloads the connector's dev dependencies: ride out a registry hiccup.
        npm_config_fetch_retries: '5',
      }),
    });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/Tests\s+9 passed/);
    expect(r.stdout).toMatch(/^inventory\s+elder-sync-connector-inventory\s+0\.1\.0\s+link\s+1$/m);
    const json = JSON.parse(r.stdout.slice(r.stdout.lastIndexOf('--- block') ).replace(/^[\s\S]*?(\{\n[\s\S]*\})\s*$/, '$1')) as {
      connectors: Array<{ id: string; origin: string; version: string }>;
    };
    expect(json.connectors).toContainEqual(expect.objectContaining({ id: 'inventory', origin: 'user', version: '0.1.0' }));
  }, 300_000);
});
