import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script without types
import { summarize } from "../../scripts/test-summary.mjs";

const crashed = JSON.parse(
  readFileSync(new URL("../fixtures/vitest/crashed-setup.json", import.meta.url), "utf8"),
);

describe("the CI closing line", () => {
  it("counts the tests of a file whose beforeAll threw as failed, not skipped", () => {
    const summary = summarize(crashed, 1);
    expect(summary.line).toBe("0 passed, 2 failed");
    expect(summary.ok).toBe(false);
  });

  it("counts a genuinely skipped test as skipped", () => {
    const report = {
      testResults: [
        {
          status: "passed",
          assertionResults: [
            { status: "passed", fullName: "a" },
            { status: "skipped", fullName: "dagger: not run (no engine)" },
          ],
        },
      ],
    };
    expect(summarize(report, 0)).toMatchObject({ line: "1 passed, 0 failed, 1 skipped", ok: true });
  });

  it("reports a failure when vitest failed but the report shows none", () => {
    const report = {
      testResults: [{ status: "passed", assertionResults: [{ status: "passed" }] }],
    };
    expect(summarize(report, 1)).toMatchObject({ line: "1 passed, 1 failed", ok: false });
  });

  it("counts a file that failed to load", () => {
    const report = { testResults: [{ status: "failed", assertionResults: [] }] };
    expect(summarize(report, 1).line).toBe("0 passed, 1 failed");
  });
});
