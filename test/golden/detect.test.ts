import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DETECT_GOLDEN_DIR, detectExample, EXAMPLES } from "./detect-golden.js";

describe("detect --json on the examples (npm run test:update-golden rewrites them)", () => {
  it("covers the examples that have an expected result", () => {
    expect(EXAMPLES.length).toBeGreaterThanOrEqual(5);
  });

  it.each(EXAMPLES)("%s", (name) => {
    const expected = JSON.parse(readFileSync(path.join(DETECT_GOLDEN_DIR, `${name}.json`), "utf8"));
    expect(detectExample(name)).toEqual(expected);
  });
});
