import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * An `--import` module that appends every file the process loads to the file named by $MODULE_LOG:
 * ES modules as they load (a loader hook), CommonJS ones from the require cache at exit.
 */
export const MODULE_LOG_HOOK = `
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
const out = process.env.MODULE_LOG;
register('data:text/javascript,' + encodeURIComponent(\`
import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(\${JSON.stringify(out)}, url + '\\\\n');
  return next(url, context);
}\`));
process.on('exit', () => {
  const files = Object.keys(createRequire(import.meta.url).cache);
  appendFileSync(out, files.map((f) => 'file://' + f + '\\n').join(''));
});
`;

/**
 * The files a fresh Node process loads while it runs `script` (an ES module body, run from `cwd`),
 * recorded by MODULE_LOG_HOOK. A connector keeps its SDK out of its entry's top level so that
 * `--help` and `config validate` stay fast: a test imports the entry here and checks the SDK is not
 * among the files (what is loaded, not how long it took).
 */
export function modulesLoadedBy(script: string, options: { cwd: string }): string[] {
  const work = mkdtempSync(join(tmpdir(), 'elder-sync-modules-'));
  try {
    const log = join(work, 'modules.log');
    const hook = join(work, 'hook.mjs');
    writeFileSync(hook, MODULE_LOG_HOOK);
    writeFileSync(log, '');
    const child = spawnSync(process.execPath, ['--import', pathToFileURL(hook).href, '--input-type=module', '-e', script], {
      encoding: 'utf8',
      cwd: options.cwd,
      env: { ...process.env, MODULE_LOG: log },
    });
    if (child.status !== 0) throw new Error(`the script exited ${child.status ?? child.signal}: ${child.stderr}`);
    const files = readFileSync(log, 'utf8')
      .split('\n')
      .filter((url) => url.startsWith('file:'))
      .map((url) => fileURLToPath(url));
    return [...new Set(files)];
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
