// Prints "N passed, N failed, N skipped" from vitest's JSON report; exits 1 on failures or no tests.
// Usage: node scripts/test-summary.mjs REPORT.json [VITEST_EXIT_STATUS]
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

/**
 * Counts a vitest JSON report. A file whose setup crashed (beforeAll threw, import failed) has
 * its tests marked "skipped" by vitest: they count as failed here, never as skipped.
 */
export function summarize(report, vitestStatus = 0) {
  const count = { passed: 0, failed: 0, skipped: 0 };
  const notRun = [];
  for (const suite of report.testResults ?? []) {
    const tests = suite.assertionResults ?? [];
    const crashed = suite.status === "failed" && !tests.some((t) => t.status === "failed");
    if (crashed && tests.length === 0) count.failed++;
    for (const test of tests) {
      if (test.status === "passed") count.passed++;
      else if (test.status === "failed" || crashed) count.failed++;
      else {
        count.skipped++;
        notRun.push(test.fullName);
      }
    }
  }
  // vitest failed for a reason the report does not show (an unhandled error, a crash).
  if (vitestStatus !== 0 && count.failed === 0) count.failed = 1;
  const line = `${count.passed} passed, ${count.failed} failed${count.skipped ? `, ${count.skipped} skipped` : ""}`;
  return { count, notRun, line, ok: count.failed === 0 && count.passed > 0 };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const file = process.argv[2] ?? "test-results/vitest.json";
  const vitestStatus = Number(process.argv[3] ?? 0);
  let report;
  try {
    report = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    console.log(`no test report at ${file}: ${error.message}`);
    console.log("0 passed, 1 failed");
    process.exit(1);
  }
  const { notRun, line, ok } = summarize(report, vitestStatus);
  for (const name of notRun) console.log(`not run: ${name}`);
  if (vitestStatus !== 0) console.log(`vitest exited with ${vitestStatus}`);
  console.log(line);
  process.exit(ok ? 0 : 1);
}
