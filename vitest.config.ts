import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts'],
    // Tests start real peers (slapd, the Elder emulator, the CLI); give them room on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    // CI derives its "N passed, N failed" line from this report (scripts/test-summary.mjs).
    reporters: ['default', 'json'],
    outputFile: { json: '.ci-results/vitest.json' },
  },
});
