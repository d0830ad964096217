import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `config validate` and `connectors` import a connector for its schema only: the built entry must not
 * load @googleapis/admin, googleapis-common, gaxios or google-auth-library (they come with the first
 * read). Measured by what a fresh Node process loads through a loader hook, not by time.
 */
const ENTRY = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'index.js');
const GOOGLE_SDK = /@googleapis[+/]admin|googleapis-common|gaxios|google-auth-library/;
const work = mkdtempSync(join(tmpdir(), 'workspace-import-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function filesLoadedBy(script: string): string[] {
  const log = join(work, `modules-${Math.random().toString(36).slice(2)}.log`);
  const hook = join(work, 'hook.mjs');
  writeFileSync(
    hook,
    `import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(\`
import { appendFileSync } from 'node:fs';
export async function load(url, context, next) { appendFileSync(process.env.MODULE_LOG, url + '\\\\n'); return next(url, context); }\`));`,
  );
  writeFileSync(log, '');
  const child = spawnSync(process.execPath, ['--import', pathToFileURL(hook).href, '--input-type=module', '-e', script], {
    encoding: 'utf8',
    cwd: join(dirname(ENTRY), '..'),
    env: { ...process.env, MODULE_LOG: log },
  });
  expect(child.status, child.stderr).toBe(0);
  return readFileSync(log, 'utf8').split('\n').filter((u) => u.startsWith('file:')).map((u) => fileURLToPath(u));
}

describe('importing @elder-sync/connector-workspace', () => {
  it('loads no Google client library until a source is read', () => {
    const files = filesLoadedBy(`const m = await import(${JSON.stringify(pathToFileURL(ENTRY).href)}); m.default.configSchema.safeParse({});`);
    expect(files).toContain(ENTRY);
    expect(files.filter((f) => GOOGLE_SDK.test(f))).toEqual([]);
  });

  it('does load them for a read (the measurement sees them)', () => {
    const files = filesLoadedBy(`await import('@googleapis/admin');`);
    expect(files.some((f) => GOOGLE_SDK.test(f))).toBe(true);
  });
});
