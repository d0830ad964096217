// Runs the real elder-sync CLI in this process and, on exit, writes this process's own resource
// usage (peak RSS, CPU) to the file named by the first argument. The parent spawns one per scenario,
// so the figures are the sync's alone: the Elder emulator and slapd live in other processes.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const out = process.argv[2];
process.argv.splice(2, 1);
const started = process.hrtime.bigint();
process.on('exit', (code) => {
  const ru = process.resourceUsage();
  writeFileSync(
    out,
    JSON.stringify({
      exitCode: process.exitCode ?? code,
      wallMs: Number(process.hrtime.bigint() - started) / 1e6,
      maxRssMb: ru.maxRSS / 1024,
      cpuSeconds: (ru.userCPUTime + ru.systemCPUTime) / 1e6,
    }),
  );
});
const cliDir = new URL('../../packages/cli/', import.meta.url);
const require = createRequire(new URL('package.json', cliDir));
const { execute } = await import(pathToFileURL(require.resolve('@oclif/core')).href);
await execute({ dir: new URL('bin/run.js', cliDir).href });
