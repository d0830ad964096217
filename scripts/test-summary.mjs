// Prints ONE "N passed, N failed" line summing vitest JSON reports (the line CI reads; CI passes the
// Node 20 and the Node 24 run's report); exits 1 when a report is missing or counts a failure, so a
// crashed run never looks green.
//
//   node scripts/test-summary.mjs [report.json...]   (default .ci-results/vitest.json)
import { readFileSync } from 'node:fs';

const files = process.argv.slice(2);
if (files.length === 0) files.push('.ci-results/vitest.json');
let passed = 0;
let failed = 0;
let skipped = 0;
let ok = true;
for (const file of files) {
  let report;
  try {
    report = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    console.log(`no test report at ${file} (${error.message})`);
    failed += 1;
    ok = false;
    continue;
  }
  passed += report.numPassedTests ?? 0;
  // A file that failed without a failed test (an import error, a crash in beforeAll) counts as one
  // failure, so a broken file cannot hide its tests. (numFailedTestSuites is no use here: vitest
  // counts describe blocks in it too.)
  const brokenFiles = (report.testResults ?? []).filter(
    (f) => f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed'),
  ).length;
  failed += (report.numFailedTests ?? 0) + brokenFiles;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  if (report.success === false) ok = false;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || !ok ? 1 : 0);
