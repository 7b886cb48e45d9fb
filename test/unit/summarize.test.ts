import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { failureResult } from "../../src/report/result-schema.js";
import { hilt, tempRepo } from "../helpers/cli.js";

const result = {
  ...failureResult({ code: "BUILD_FAILED", message: "1 image(s) failed" }, "ghcr.io/acme"),
  engine: "docker",
  images: [
    {
      name: "base",
      kind: "catalog",
      status: "built",
      refs: ["ghcr.io/acme/base:sha-1234567"],
      digest: `sha256:${"a".repeat(64)}`,
      platforms: ["linux/amd64"],
      parents: [],
      durationMs: 1500,
      error: null,
    },
    {
      name: "leaf",
      kind: "catalog",
      status: "failed",
      refs: [],
      digest: null,
      platforms: ["linux/amd64"],
      parents: ["base"],
      durationMs: 0,
      error: { code: "BUILD_FAILED", message: "exit code: 3" },
    },
  ],
};

describe("hilt summarize (the GitHub Action's summary and outputs)", () => {
  it("writes a Markdown table and the outputs", () => {
    const dir = tempRepo({ "result.json": JSON.stringify(result), "out.txt": "" });
    const run = hilt([
      "summarize",
      path.join(dir, "result.json"),
      "--markdown",
      "--outputs",
      path.join(dir, "out.txt"),
    ]);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("| base | built | `ghcr.io/acme/base:sha-1234567` |");
    expect(run.stdout).toContain("| leaf | failed | exit code: 3 |");
    const outputs = readFileSync(path.join(dir, "out.txt"), "utf8");
    expect(outputs).toMatch(
      /^result<<(HILT_[0-9a-f]+)\n[\s\S]*\n\1\nrefs<<\1\nghcr.io\/acme\/base:sha-1234567\n\1\nok=false\n$/,
    );
  });

  it("says so when the file is not a result", () => {
    const dir = tempRepo({});
    writeFileSync(path.join(dir, "x.json"), '{"kind":"hilt.error"}');
    expect(hilt(["summarize", path.join(dir, "x.json"), "--markdown"]).stdout).toContain(
      "NOT_A_RESULT",
    );
    expect(hilt(["summarize", path.join(dir, "missing.json")]).status).toBe(2);
  });
});
