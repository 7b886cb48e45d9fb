import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { Hilt } from "../../src/dagger/module.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const read = (file: string) => readFileSync(path.join(ROOT, file), "utf8");
const FILES = [".github/workflows/ci.yml", ".github/workflows/publish.yml", "action.yml"];
const sdkVersion = JSON.parse(read("node_modules/@dagger.io/dagger/package.json"))
  .version as string;

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, string>;
  env?: Record<string, string>;
  if?: string;
}
const steps = (file: string): Step[] => {
  const doc = parse(read(file));
  return file === "action.yml"
    ? doc.runs.steps
    : Object.values(doc.jobs as Record<string, { steps: Step[] }>).flatMap((j) => j.steps);
};
const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

describe("GitHub Actions files", () => {
  it.each(FILES)("%s passes action-validator", (file) => {
    const result = spawnSync(path.join(ROOT, "node_modules/.bin/action-validator"), [file], {
      cwd: ROOT,
      encoding: "utf8",
    });
    expect(result.status, result.stdout + result.stderr).toBe(0);
  });

  it.each(FILES)("%s pins every action to a full commit SHA, its version in a comment", (file) => {
    const uses = read(file)
      .split("\n")
      .filter((line) => /^\s*(- )?uses:/.test(line))
      // The repository's own action (ci.yml runs it as a user would) needs no pin.
      .filter((line) => !/uses: \.\/(\s|$)/.test(line));
    expect(uses.length).toBeGreaterThan(0);
    for (const line of uses)
      expect(line).toMatch(/uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
  });

  it.each(FILES)("%s puts no expression into a dagger argument or a script", (file) => {
    // dagger-for-github pastes `args` into a shell script; a branch name there could run commands.
    for (const step of steps(file)) {
      expect(step.with?.args ?? "").not.toContain("${{");
      expect(step.run ?? "").not.toContain("${{");
    }
  });

  it("checks out without leaving the token on disk", () => {
    const checkouts = FILES.filter((f) => f !== "action.yml")
      .flatMap((f) => steps(f))
      .filter((s) => s.uses?.startsWith("actions/checkout@"));
    expect(checkouts.length).toBeGreaterThan(0);
    for (const step of checkouts)
      expect((step.with as Record<string, unknown>)["persist-credentials"]).toBe(false);
  });

  it("pins Dagger to the SDK version Hilt uses", () => {
    const versions = [...FILES]
      .flatMap((f) => steps(f))
      .filter((s) => s.uses?.startsWith("dagger/dagger-for-github"))
      .map((s) => s.with?.version);
    expect(versions.length).toBeGreaterThan(0);
    for (const v of versions) expect(v).toBe(sdkVersion);
  });

  it("calls only module functions and arguments that exist", () => {
    const functions = Object.getOwnPropertyNames(Hilt.prototype).filter((n) => n !== "constructor");
    for (const step of FILES.flatMap((f) => steps(f)).filter((s) =>
      s.uses?.startsWith("dagger/dagger-for-github"),
    )) {
      const [fn, ...rest] = (step.with?.args ?? "").split(/\s+/);
      const method = functions.find((f) => kebab(f) === fn);
      expect(method, `no module function ${fn}`).toBeDefined();
      const source =
        (Hilt.prototype as unknown as Record<string, () => void>)[method as string]?.toString() ??
        "";
      for (const flag of rest.filter((a) => a.startsWith("--"))) {
        const param = flag.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
        expect(source.includes(param), `${fn} has no argument ${flag}`).toBe(true);
      }
    }
  });

  it("publish: GHCR with packages write on main and v* tags, ttl.sh for pull requests, two platforms", () => {
    const doc = parse(read(".github/workflows/publish.yml"));
    expect(doc.permissions).toEqual({});
    expect(doc.jobs.ghcr.permissions).toEqual({ contents: "read", packages: "write" });
    expect(doc.jobs.ttl.permissions).toEqual({ contents: "read" });
    expect(doc.jobs.ttl.if).toBe("github.event_name == 'pull_request'");
    expect(doc.on.push).toEqual({ branches: ["main"], tags: ["v*"] });
    expect(doc.on).toHaveProperty("pull_request");
    const all = steps(".github/workflows/publish.yml");
    const ghcr = all.find((s) => s.if === "github.event_name != 'pull_request'");
    const pr = all.find((s) => s.if === "github.event_name == 'pull_request'");
    expect(ghcr?.with?.args).toMatch(/--push ghcr .*--platform linux\/amd64,linux\/arm64/s);
    expect(ghcr?.with?.args).toContain("--password env://GHCR_TOKEN");
    expect(pr?.with?.args).toContain("--push ttl.sh");
    expect(pr?.with?.args).toContain('--branch "$HILT_BRANCH"');
    expect(pr?.env?.HILT_BRANCH).toBe("${{ github.head_ref }}");
  });

  it("ci: lint, types, unit tests, the end-to-end tier and a Dagger job", () => {
    const runs = steps(".github/workflows/ci.yml")
      .map((s) => s.run ?? "")
      .join("\n");
    for (const needle of ["npm run lint", "npm run typecheck", "--project unit", ".ci/run"])
      expect(runs).toContain(needle);
    expect(parse(read(".github/workflows/ci.yml")).permissions).toEqual({ contents: "read" });
  });

  it("ci: runs the composite action itself and checks its outputs", () => {
    const all = steps(".github/workflows/ci.yml");
    const action = all.find((s) => s.uses === "./") as Step & { id?: string };
    expect(action?.with).toMatchObject({ command: "build", push: "none" });
    const check = all.find((s) => s.env?.OK === `\${{ steps.${action.id}.outputs.ok }}`);
    expect(check?.run).toContain('test "$OK" = true');
  });

  it("action: composite, with result and refs outputs and a job summary", () => {
    const doc = parse(read("action.yml"));
    expect(doc.runs.using).toBe("composite");
    expect(Object.keys(doc.outputs)).toEqual(expect.arrayContaining(["result", "refs"]));
    expect(JSON.stringify(doc.runs.steps)).toContain("GITHUB_STEP_SUMMARY");
    // Repository builds get the npm token only when the workflow says so.
    expect(doc.inputs["build-secrets"].default).toBe("false");
    expect(JSON.stringify(doc.runs.steps)).toContain("build-all:true) args+=(--build-secrets)");
  });
});
