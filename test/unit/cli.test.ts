import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { buildProgram } from "../../src/cli/main.js";
import { planSchema } from "../../src/plan/plan-schema.js";
import { hilt, NODE_ARGS, tempRepo } from "../helpers/cli.js";

const good =
  "schemaVersion: 1\nimages:\n  base:\n    from: debian:bookworm-slim\n  child:\n    from: base\n";
const bad =
  "schemaVersion: 1\nimages:\n  base:\n    from: debian:bookworm-slim\n  child:\n    from: bsae\n    stpes: []\n";

describe("hilt CLI", () => {
  it("validates the repository's catalog and pipelines", () => {
    const result = hilt(["validate"]);
    expect(result.stderr).toContain("valid");
    expect(result.status).toBe(0);
    expect(hilt(["validate", "--pipeline", "publish"]).status).toBe(0);
  });

  it("prints only the plan JSON on stdout under --json", () => {
    const result = hilt(["plan", "--json", "--sha", "0123456789abcdef0123456789abcdef01234567"]);
    expect(result.status).toBe(0);
    const plan = planSchema.parse(JSON.parse(result.stdout));
    expect(plan.nodes.length).toBeGreaterThanOrEqual(8);
    expect(plan.nodes[0]?.refs.immutable[0]).toMatch(/:sha-0123456$/);
  });

  it("lists every problem with file:line:col and exits 3", () => {
    const cwd = tempRepo({ "catalog.yaml": bad });
    const result = hilt(["validate"], { cwd });
    expect(result.status).toBe(3);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(
      'catalog.yaml:6:11 images.child.from: "bsae" is not an image of this catalog (did you mean "base"?)',
    );
    expect(result.stderr).toContain(
      'catalog.yaml:7:5 images.child.stpes: unknown key "stpes" (did you mean "steps"?)',
    );
  });

  it("keeps failures as JSON on stdout under --json", () => {
    const cwd = tempRepo({ "catalog.yaml": bad });
    const result = hilt(["plan", "--json"], { cwd });
    expect(result.status).toBe(3);
    const doc = JSON.parse(result.stdout);
    expect(doc).toMatchObject({ kind: "hilt.error", ok: false, error: { code: "UNKNOWN_PARENT" } });
    expect(doc.diagnostics.map((d: { code: string }) => d.code)).toEqual([
      "UNKNOWN_PARENT",
      "UNKNOWN_KEY",
    ]);
  });

  it("says where to look when there is no catalog", () => {
    const cwd = tempRepo({});
    const result = hilt(["plan"], { cwd });
    expect(result.status).toBe(3);
    expect(result.stderr).toMatch(/catalog.yaml:1:1 file does not exist \(.*--catalog/);
  });

  it("rejects bad usage with exit code 2", () => {
    expect(hilt(["plan", "--platform", "linux/x86"]).status).toBe(2);
    expect(hilt(["frobnicate"]).status).toBe(2);
    const push = hilt(["plan", "--push", "ghcr", "--json"]);
    expect(push.status).toBe(2);
    expect(JSON.parse(push.stdout).error.code).toBe("INVALID_PUSH_TARGET");
  });

  it("plans a pipeline from a repository with its own pipelines folder", () => {
    const cwd = tempRepo({
      "images/catalog.yaml": good,
      "pipelines/default.yaml":
        "schemaVersion: 1\ncatalog: images/catalog.yaml\ntargets: [child]\npush: {registry: ttl.sh, ttl: 2h}\n",
    });
    const plan = JSON.parse(hilt(["plan", "--json"], { cwd }).stdout);
    expect(plan.nodes.map((n: { name: string }) => n.name)).toEqual(["base", "child"]);
    expect(plan.nodes[1].refs.immutable[0]).toMatch(/^ttl\.sh\/child-[0-9a-f-]{36}:2h$/);
  });

  it("reports an unknown pipeline target at its line", () => {
    const cwd = tempRepo({
      "catalog.yaml": good,
      "pipelines/default.yaml": "schemaVersion: 1\ntargets: [chld]\n",
    });
    const result = hilt(["validate"], { cwd });
    expect(result.status).toBe(3);
    expect(result.stderr).toContain(
      'pipelines/default.yaml:2:11 targets.0: "chld" is neither an image nor a group of the catalog (did you mean "child"?)',
    );
  });

  it("resolves runtime images from the environment and the catalog", () => {
    expect(
      hilt(["resolve-image", "--mode", "task", "--provider", "codex"], {
        env: { TASK_IMAGE_CODEX: "x/codex:9" },
      }).stdout,
    ).toBe("x/codex:9\n");
    const json = JSON.parse(
      hilt(["resolve-image", "--mode", "task", "--needs", "go,claude", "--json"]).stdout,
    );
    expect(json).toMatchObject({ catalogImage: "agent-session-full", source: "needs" });
    const cwd = tempRepo({});
    expect(
      hilt(["resolve-image", "--mode", "session"], { cwd, env: { TTYD_IMAGE: "t:1" } }).stdout,
    ).toBe("t:1\n");
  });

  it("exports bake and matrix documents", () => {
    const bake = JSON.parse(hilt(["export", "bake", "task"]).stdout);
    expect(bake.target["agent-codex-task"].contexts).toEqual({
      "hilt-parent-core-nodepy": "target:core-nodepy",
    });
    const wave = JSON.parse(hilt(["export", "matrix", "--wave", "0"]).stdout);
    expect(wave.include[0].image).toBe("core-base");
    expect(hilt(["export", "matrix", "--wave", "9"]).status).toBe(2);
  });

  it("documents exit codes and examples in --help", () => {
    const help = hilt(["--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("Exit codes:");
    expect(hilt(["plan", "--help"]).stdout).toContain("Examples:");
  });

  it("exits quietly when the reader closes stdout early", () => {
    const result = spawnSync(
      "sh",
      [
        "-c",
        `"${process.execPath}" ${NODE_ARGS.map((a) => `"${a}"`).join(" ")} plan --json | head -c 10`,
      ],
      { encoding: "utf8" },
    );
    expect(result.stdout).toBe('{\n  "schem');
    expect(result.stderr).not.toMatch(/EPIPE|Error/);
  });

  it("names in its hints only flags that exist", () => {
    const flags = new Set<string>();
    const collect = (command: Command) => {
      for (const option of command.options) if (option.long) flags.add(option.long);
      for (const sub of command.commands) collect(sub);
    };
    collect(buildProgram(() => {}));
    flags.add("--help");
    const src = path.resolve(import.meta.dirname, "../../src");
    const named: string[] = [];
    for (const file of readdirSync(src, { recursive: true, encoding: "utf8" })) {
      if (!file.endsWith(".ts")) continue;
      const text = readFileSync(path.join(src, file), "utf8");
      // The text of each hint: up to the next property or the end of the options object.
      const hints = [...text.matchAll(/hint\??:([\s\S]*?)(?=\n\s*(?:\w+\??:|\}))/g)].map(
        (m) => m[1] ?? "",
      );
      if (file === path.join("cli", "flags.ts")) hints.push(text);
      for (const hint of hints)
        for (const m of hint.matchAll(/(?<![\w-])--[a-z][a-z-]*/g)) named.push(`${file}: ${m[0]}`);
    }
    expect(named.length).toBeGreaterThan(10);
    expect(named.filter((n) => !flags.has(n.split(": ")[1] ?? ""))).toEqual([]);
  });

  it("answers usage errors with one JSON document under --json", () => {
    const cases: [string[], string][] = [
      [["plan", "--bogus", "--json"], "USAGE"],
      [["build-all", "--concurrency", "0", "--json"], "INVALID_ARGUMENT"],
      [["resolve-image", "--json"], "USAGE"],
    ];
    for (const [args, code] of cases) {
      const result = hilt(args);
      expect(result.status).toBe(2);
      expect(JSON.parse(result.stdout).error).toMatchObject({ code, hint: expect.any(String) });
    }
  });
});
