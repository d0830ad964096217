#!/usr/bin/env node
// Runs the compiled CLI; build first with `npx tsc -b packages/testkit`.
import { main } from '../dist/elder-emulator/cli.js';

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`elder-emulator: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
