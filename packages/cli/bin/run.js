#!/usr/bin/env node
// `--version` is answered without loading oclif: oclif loads every plugin before printing it,
// and cron wrappers and shells call it often. Same output as oclif's own `config.userAgent`.
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  const { readFileSync } = await import('node:fs');
  const pj = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`${pj.oclif?.bin ?? pj.name}/${pj.version} ${process.platform}-${process.arch} node-${process.version}\n`);
} else {
  const { execute } = await import('@oclif/core');
  await execute({ dir: import.meta.url });
}
