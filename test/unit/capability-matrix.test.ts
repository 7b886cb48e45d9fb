import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { capabilityMatrix } from "../../scripts/capability-matrix.js";

describe("README's capability matrix", () => {
  it("matches catalog.yaml", () => {
    const catalog = readFileSync(new URL("../../catalog.yaml", import.meta.url), "utf8");
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    expect(readme).toContain(capabilityMatrix(catalog));
  });
});
