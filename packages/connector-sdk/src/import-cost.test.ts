import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * A plugin author's dependency must stay light: importing the SDK (as built) loads the SDK and zod,
 * and no native addon, HTTP client, database or logger. Measured by what a fresh Node process
 * loads — ES modules through a loader hook, CommonJS from the require cache, built-ins from
 * `process.moduleLoadList` — not by time.
 */
const ENTRY = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'index.js');
const work = mkdtempSync(join(tmpdir(), 'sdk-import-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function modulesLoadedByImporting(entry: string | null): { files: string[]; builtins: string[] } {
  const log = join(work, 'modules.log');
  const hook = join(work, 'hook.mjs');
  writeFileSync(
    hook,
    `import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(\`
import { appendFileSync } from 'node:fs';
export async function load(url, context, next) { appendFileSync(${JSON.stringify(log)}, url + '\\\\n'); return next(url, context); }\`));`,
  );
  writeFileSync(log, '');
  const script = `${entry ? `await import(${JSON.stringify(pathToFileURL(entry).href)});` : ''}
const { createRequire } = await import('node:module');
console.log(JSON.stringify({ cjs: Object.keys(createRequire(import.meta.url).cache), builtins: process.moduleLoadList }));`;
  const child = spawnSync(process.execPath, ['--import', pathToFileURL(hook).href, '--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(child.status, child.stderr).toBe(0);
  const out = JSON.parse(child.stdout) as { cjs: string[]; builtins: string[] };
  const esm = readFileSync(log, 'utf8').split('\n').filter((u) => u.startsWith('file:'));
  return { files: [...new Set([...esm.map((u) => fileURLToPath(u)), ...out.cjs])], builtins: out.builtins };
}

describe('importing @elder-sync/connector-sdk', () => {
  const { files, builtins } = modulesLoadedByImporting(ENTRY);
  // What Node loads anyway for the child's own plumbing (stdout on a pipe is a socket).
  const baseline = new Set(modulesLoadedByImporting(null).builtins);

  it('loads the SDK itself (the measurement sees it)', () => {
    expect(files).toContain(ENTRY);
  });

  it('loads no native addon and no package besides zod', () => {
    expect(files.filter((f) => f.endsWith('.node'))).toEqual([]);
    const packages = new Set(files.flatMap((f) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f.replace(/.*\.pnpm\/node_modules\//, 'node_modules/').replace(/.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, 'node_modules/'))?.[1] ?? []));
    expect([...packages].sort()).toEqual(['zod']);
  });

  it('loads no HTTP, socket or TLS built-in', () => {
    const network = builtins.filter((m) => !baseline.has(m) && /^NativeModule (https?|http2|net|tls|_http_\w+|dns)$/.test(m));
    expect(network).toEqual([]);
  });
});
