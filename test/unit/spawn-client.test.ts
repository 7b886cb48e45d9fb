import path from "node:path";
import { describe, expect, it } from "vitest";
import { tempRepo } from "../helpers/cli.js";

// @ts-expect-error: a plain JavaScript example, imported as a spawning program would run it
const { runHilt } = await import("../../examples/spawn-client/spawn-client.mjs");

describe("a program that spawns hilt and parses its JSON", () => {
  it("gets a schema-valid failure document when the engine is not there", async () => {
    const cwd = tempRepo({
      "catalog.yaml": "schemaVersion: 1\nimages:\n  app:\n    from: debian:bookworm-slim\n",
    });
    const { exitCode, result } = await runHilt(["build-all", "--engine", "dagger"], {
      cwd,
      env: { PATH: "/usr/bin:/bin" },
      timeoutMs: 60_000,
    });
    expect(exitCode).toBe(4);
    expect(result.ok).toBe(false);
    expect(result.error.code).toBe("ENGINE_UNAVAILABLE");
  });

  it("gets a schema-valid plan-free failure for an invalid catalog", async () => {
    const cwd = tempRepo({ "catalog.yaml": "schemaVersion: 1\nimages:\n  app: {from: nope}\n" });
    const { exitCode, result } = await runHilt(["build-all"], { cwd, timeoutMs: 60_000 });
    expect(exitCode).toBe(3);
    expect(result.diagnostics[0]).toMatchObject({
      code: "UNKNOWN_PARENT",
      line: 3,
      path: "images.app.from",
    });
  });

  it("rejects output that is not Hilt's JSON", async () => {
    const cwd = tempRepo({});
    await expect(
      runHilt(["--version"], {
        cwd,
        env: { ...process.env, HILT_BIN: path.join(cwd, "missing.js") },
        timeoutMs: 60_000,
      }),
    ).rejects.toThrow(/not JSON/);
  });
});
