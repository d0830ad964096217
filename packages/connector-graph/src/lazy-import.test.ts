import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The CLI imports a connector when a source uses it, and `config validate` only needs the schema:
 * importing the built entry must not load msal-node or undici (they come with the first read).
 * Measured by what a fresh Node process loads through a loader hook, not by time.
 */
const ENTRY = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'index.js');
const work = mkdtempSync(join(tmpdir(), 'graph-import-'));
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

describe('importing @elder-sync/connector-graph', () => {
  it('loads neither msal-node nor undici until a tenant is read', () => {
    const files = filesLoadedBy(`const m = await import(${JSON.stringify(pathToFileURL(ENTRY).href)}); m.default.configSchema.safeParse({});`);
    expect(files).toContain(ENTRY);
    expect(files.filter((f) => /@azure\+msal|@azure\/msal|undici/.test(f))).toEqual([]);
  });

  it('does load them for a read (the measurement sees them)', () => {
    const files = filesLoadedBy(`await import('@azure/msal-node'); await import('undici');`);
    expect(files.some((f) => /msal-node/.test(f))).toBe(true);
  });
});
