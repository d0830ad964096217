// Prints ONE "N passed, N failed" line summing vitest JSON reports (the line CI reads; CI passes the
// Node 20 and the Node 24 run's report); exits 1 when a report is missing or counts a failure, so a
// crashed run never looks green.
//
//   node scripts/test-summary.mjs [report.json...]   (default .ci-results/vitest.json)
import { readFileSync } from 'node:fs';
import { basename, relative } from 'node:path';

function firstLine(messages, fallback = 'no message') {
  const text = (messages ?? []).find((m) => typeof m === 'string' && m.trim() !== '') ?? fallback;
  return text.trim().split('\n')[0].slice(0, 300);
}

const files = process.argv.slice(2);
if (files.length === 0) files.push('.ci-results/vitest.json');
let passed = 0;
let failed = 0;
let skipped = 0;
let ok = true;
// CI shows only the tail of the log, so failures (and tests that passed only on their retry) are
// named again here, just above the closing line.
const failures = [];
const flaky = [];
for (const reportFile of files) {
  let report;
  try {
    report = JSON.parse(readFileSync(reportFile, 'utf8'));
  } catch (error) {
    console.log(`no test report at ${reportFile} (${error.message})`);
    failed += 1;
    ok = false;
    continue;
  }
  passed += report.numPassedTests ?? 0;
  failed += report.numFailedTests ?? 0;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  if (report.success === false) ok = false;
  for (const f of report.testResults ?? []) {
    const file = relative(process.cwd(), f.name ?? '?');
    const failedTests = (f.assertionResults ?? []).filter((a) => a.status === 'failed');
    const where = `[${basename(reportFile)}] ${file}`;
    for (const a of failedTests) failures.push(`${where} > ${a.fullName}: ${firstLine(a.failureMessages)}`);
    // vitest keeps the failed try's messages on a test that then passed its retry.
    for (const a of f.assertionResults ?? []) {
      if (a.status === 'passed' && (a.failureMessages ?? []).length > 0) flaky.push(`${where} > ${a.fullName}: ${firstLine(a.failureMessages)}`);
    }
    // A file that failed without a failed test (an import error, a crash in beforeAll) counts as one
    // failure, so a broken file cannot hide its tests. (numFailedTestSuites is no use here: vitest
    // counts describe blocks in it too.)
    if (f.status === 'failed' && failedTests.length === 0) {
      failed += 1;
      failures.push(`${where}: ${firstLine([f.message], 'failed outside its tests (an import or a hook; see the log)')}`);
    }
  }
}
for (const line of flaky.slice(0, 30)) console.log(`FLAKY (passed on its retry) ${line}`);
for (const line of failures.slice(0, 30)) console.log(`FAILED ${line}`);
if (failures.length > 30) console.log(`... and ${failures.length - 30} more failures`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || !ok ? 1 : 0);
