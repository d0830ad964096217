// Prints "N passed, N failed" from vitest's JSON report (the line CI reads); exits 1 when the
// report is missing or counts a failure, so a crashed run never looks green.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? '.ci-results/vitest.json';
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (error) {
  console.log(`no test report at ${file} (${error.message})`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const passed = report.numPassedTests ?? 0;
// A file that failed without a failed test (an import error, a crash in beforeAll) counts as one
// failure, so a broken file cannot hide its tests. (numFailedTestSuites is no use here: vitest
// counts describe blocks in it too.)
const brokenFiles = (report.testResults ?? []).filter(
  (f) => f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed'),
).length;
const failed = (report.numFailedTests ?? 0) + brokenFiles;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || report.success === false ? 1 : 0);
