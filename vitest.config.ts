import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts'],
    // Tests start real peers (slapd, the Elder emulator, the CLI); give them room on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    // One more try for a test that fails, because these tests drive real servers and processes on
    // shared machines, where a stall can fail a test once. A real fault fails both tries; a test that
    // passed only on its retry is still named in the closing summary (FLAKY) so it gets fixed.
    retry: 1,
    // CI derives its "N passed, N failed" line from this report (scripts/test-summary.mjs).
    reporters: ['default', 'json'],
    outputFile: { json: '.ci-results/vitest.json' },
  },
});
