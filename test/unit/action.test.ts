import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { resultSchema } from "../../src/report/result-schema.js";
import { tempRepo } from "../helpers/cli.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const TSX = import.meta.resolve("tsx");

interface Step {
  id?: string;
  name?: string;
  run?: string;
  env?: Record<string, string>;
}
const action = parse(readFileSync(path.join(ROOT, "action.yml"), "utf8")) as {
  inputs: Record<string, { default?: string }>;
  runs: { steps: Step[] };
};
const step = (id: string) => action.runs.steps.find((s) => s.id === id) as Step;

/** What `${{ inputs.x }}` and `${{ github.actor }}` become, as the runner would substitute. */
function expand(value: string, inputs: Record<string, string>): string {
  return value.replace(/\$\{\{\s*([\w.-]+)\s*\}\}/g, (_, expr: string) => {
    if (expr.startsWith("inputs.")) {
      const name = expr.slice("inputs.".length);
      return inputs[name] ?? action.inputs[name]?.default ?? "";
    }
    if (expr === "github.actor") return "octocat";
    throw new Error(`unexpected expression ${expr} in action.yml`);
  });
}

/**
 * A composite step run the way the runner runs it: `bash -e {0}`, its env from the inputs, and
 * the runner's files (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_ENV) as fresh temporary files.
 * GITHUB_ACTION_PATH is a stand-in whose bin/hilt.js runs Hilt's sources (no build needed).
 */
function runStep(id: string, cwd: string, inputs: Record<string, string>, extraEnv = {}) {
  const s = step(id);
  const runner = tempRepo({});
  const actionPath = path.join(runner, "action");
  mkdirSync(path.join(actionPath, "bin"), { recursive: true });
  writeFileSync(path.join(actionPath, "package.json"), '{"type":"module"}');
  writeFileSync(
    path.join(actionPath, "bin/hilt.js"),
    `import { main } from ${JSON.stringify(path.join(ROOT, "src/cli/main.ts"))};\nprocess.exitCode = await main(process.argv);\n`,
  );
  const files = {
    GITHUB_OUTPUT: path.join(runner, "output"),
    GITHUB_STEP_SUMMARY: path.join(runner, "summary"),
    GITHUB_ENV: path.join(runner, "env"),
  };
  for (const file of Object.values(files)) writeFileSync(file, "");
  const script = path.join(runner, "step.sh");
  writeFileSync(script, expand(s.run ?? "", inputs));
  const env = Object.fromEntries(
    Object.entries(s.env ?? {}).map(([k, v]) => [k, expand(v, inputs)]),
  );
  const result = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", script], {
    cwd,
    encoding: "utf8",
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/root",
      NODE_OPTIONS: `--import=${TSX}`,
      RUNNER_TEMP: runner,
      GITHUB_ACTION_PATH: actionPath,
      ...files,
      ...env,
      ...extraEnv,
    },
  });
  const read = (file: string) => readFileSync(file, "utf8");
  return {
    status: result.status,
    stderr: result.stderr,
    output: read(files.GITHUB_OUTPUT),
    summary: read(files.GITHUB_STEP_SUMMARY),
    envFile: read(files.GITHUB_ENV),
  };
}

/** GITHUB_OUTPUT's `name<<DELIMITER ... DELIMITER` and `name=value` entries. */
function outputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const heredoc = /^([\w-]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const end = lines.indexOf(heredoc[2] as string, i + 1);
      expect(end).toBeGreaterThan(i);
      out[heredoc[1] as string] = lines.slice(i + 1, end).join("\n");
      i = end;
    } else if (/^[\w-]+=/.test(line)) {
      const at = line.indexOf("=");
      out[line.slice(0, at)] = line.slice(at + 1);
    }
  }
  return out;
}

/** A `docker` on PATH that answers Hilt's probes and builds instantly with a digest. */
function fakeDocker(dir: string): string {
  const bin = path.join(dir, ".bin");
  mkdirSync(bin);
  writeFileSync(
    path.join(bin, "docker"),
    `#!/bin/sh
case "$1 $2" in
  "version --format") echo 26.1.5 ;;
  "buildx version") echo "github.com/docker/buildx v0.13.1" ;;
  "buildx build")
    prev=""; for a in "$@"; do
      [ "$prev" = --metadata-file ] && echo '{"containerimage.config.digest":"sha256:${"cd".repeat(32)}","containerimage.digest":"sha256:${"ab".repeat(32)}"}' > "$a"
      prev="$a"
    done ;;
  *) exit 1 ;;
esac
`,
    { mode: 0o755 },
  );
  return `${bin}:${process.env.PATH ?? ""}`;
}

// Each step starts Hilt from its sources (tsx): slow on a loaded machine.
describe("action.yml, its steps run as the runner runs them", { timeout: 180_000 }, () => {
  it("Check Node: the runner's Node 20.19+ is used as is (no setup-node)", () => {
    const result = runStep("node", ROOT, {});
    expect(result.status).toBe(0);
    expect(outputs(result.output)).toEqual({ setup: "false" });
  });

  it("Run Hilt: a build writes the result, refs and ok outputs and a summary table", () => {
    const repo = tempRepo({
      "catalog.yaml":
        'schemaVersion: 1\nimages:\n  tiny: { from: debian:bookworm-slim, steps: [{ run: "true" }] }\n',
    });
    const result = runStep(
      "run",
      repo,
      { command: "build-all", push: "none", engine: "docker", platforms: "linux/amd64" },
      { PATH: fakeDocker(repo) },
    );
    expect(result.status, result.stderr).toBe(0);
    const out = outputs(result.output);
    expect(out.ok).toBe("true");
    const doc = resultSchema.parse(JSON.parse(out.result ?? ""));
    expect(doc.images.map((i) => [i.name, i.status])).toEqual([["tiny", "built"]]);
    expect(out.refs?.split("\n")).toEqual(doc.images[0]?.refs);
    expect(result.summary).toMatch(/^\|.*image.*\|/im);
    expect(result.summary).toMatch(/\|\s*tiny\s*\|\s*built/);
    // Events (--events) went to the log, never into the result or the outputs.
    expect(result.envFile).toBe("");
  });

  it("Run Hilt: an invalid catalog fails the step with exit 3, ok=false and the error in the summary", () => {
    const repo = tempRepo({ "catalog.yaml": "schemaVersion: 1\nimages: [not, a, map]\n" });
    const result = runStep("run", repo, { command: "build-all", push: "none", engine: "docker" });
    expect(result.status).toBe(3);
    const out = outputs(result.output);
    expect(out.ok).toBe("false");
    expect(JSON.parse(out.result ?? "").error.code).toMatch(/^[A-Z_]+$/);
    expect(out.refs).toBe("");
    expect(result.summary).toMatch(/catalog\.yaml/);
  });

  it("Run Hilt: the registry token reaches Hilt only through its environment, never the output", () => {
    const repo = tempRepo({ "catalog.yaml": "schemaVersion: 1\nimages: [not, a, map]\n" });
    const token = "ghp_action_token_must_not_leak";
    const result = runStep("run", repo, { command: "build-all", "registry-token": token });
    expect(step("run").run).not.toContain("inputs.registry-token");
    expect(result.output + result.summary + result.stderr).not.toContain(token);
  });
});

describe("action.yml, as published", () => {
  const read = (file: string) => readFileSync(path.join(ROOT, file), "utf8");

  it("README pins it by a full commit SHA, with the package's version tag in a comment", () => {
    const version = JSON.parse(read("package.json")).version as string;
    const uses = read("README.md")
      .split("\n")
      .filter((line) => /uses:\s*\S+\/hilt@/.test(line));
    expect(uses.length).toBeGreaterThan(0);
    for (const line of uses)
      expect(line).toMatch(new RegExp(`@[0-9a-f]{40} # v${version.replaceAll(".", "\\.")}$`));
  });

  it("bundles with the esbuild of Hilt's own lock file, from a lock file of its own", () => {
    const locked = (file: string) =>
      JSON.parse(read(file)).packages["node_modules/esbuild"].version as string;
    expect(locked(".github/action-esbuild/package-lock.json")).toBe(locked("package-lock.json"));
    const install = action.runs.steps.find((s) => s.name === "Install Hilt")?.run ?? "";
    // No dev tools, no native optional modules, no install scripts, nothing outside a lock file.
    expect(install).toMatch(/npm ci --omit=dev --omit=optional --ignore-scripts/);
    expect(install).not.toMatch(/npm (install|i) /);
  });
});
