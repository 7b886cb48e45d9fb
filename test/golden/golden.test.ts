import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { GOLDEN_DIR, goldenCases, planGolden } from "./golden.js";

describe("golden plans (npm run test:update-golden rewrites them)", () => {
  it("has cases", () => expect(goldenCases().length).toBeGreaterThanOrEqual(4));

  it.each(goldenCases())("%s", async (name) => {
    const expected = JSON.parse(
      readFileSync(path.join(GOLDEN_DIR, name, "expected-plan.json"), "utf8"),
    );
    expect(await planGolden(name)).toEqual(expected);
  });
});
