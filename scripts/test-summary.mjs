// Prints "N passed, N failed, N skipped" from vitest's JSON report; exits 1 on failures or no tests.
import { readFileSync } from "node:fs";

const file = process.argv[2] ?? "test-results/vitest.json";
let report;
try {
  report = JSON.parse(readFileSync(file, "utf8"));
} catch (error) {
  console.log(`no test report at ${file}: ${error.message}`);
  console.log("0 passed, 1 failed");
  process.exit(1);
}
const count = { passed: 0, failed: 0, skipped: 0 };
const notRun = [];
for (const suite of report.testResults ?? []) {
  for (const test of suite.assertionResults ?? []) {
    if (test.status === "passed") count.passed++;
    else if (test.status === "failed") count.failed++;
    else {
      count.skipped++;
      notRun.push(test.fullName);
    }
  }
  // A file that failed to load has no assertions but must not go unnoticed.
  if (suite.status === "failed" && (suite.assertionResults ?? []).length === 0) count.failed++;
}
for (const name of notRun) console.log(`not run: ${name}`);
console.log(
  `${count.passed} passed, ${count.failed} failed${count.skipped ? `, ${count.skipped} skipped` : ""}`,
);
process.exit(count.failed > 0 || count.passed === 0 ? 1 : 0);
