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

  it.each(FILES)("%s pins every action to a version or a commit", (file) => {
    for (const step of steps(file)) {
      if (step.uses) expect(step.uses).toMatch(/@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/);
    }
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
    expect(doc.permissions).toMatchObject({ packages: "write" });
    expect(doc.on.push).toEqual({ branches: ["main"], tags: ["v*"] });
    expect(doc.on).toHaveProperty("pull_request");
    const all = steps(".github/workflows/publish.yml");
    const ghcr = all.find((s) => s.if === "github.event_name != 'pull_request'");
    const pr = all.find((s) => s.if === "github.event_name == 'pull_request'");
    expect(ghcr?.with?.args).toMatch(/--push ghcr .*--platform linux\/amd64,linux\/arm64/s);
    expect(ghcr?.with?.args).toContain("--password env://GHCR_TOKEN");
    expect(pr?.with?.args).toContain("--push ttl.sh");
  });

  it("ci: lint, types, unit tests, the end-to-end tier and a Dagger job", () => {
    const runs = steps(".github/workflows/ci.yml")
      .map((s) => s.run ?? "")
      .join("\n");
    for (const needle of ["npm run lint", "npm run typecheck", "--project unit", ".ci/run"])
      expect(runs).toContain(needle);
    expect(parse(read(".github/workflows/ci.yml")).permissions).toEqual({ contents: "read" });
  });

  it("action: composite, with result and refs outputs and a job summary", () => {
    const doc = parse(read("action.yml"));
    expect(doc.runs.using).toBe("composite");
    expect(Object.keys(doc.outputs)).toEqual(expect.arrayContaining(["result", "refs"]));
    expect(JSON.stringify(doc.runs.steps)).toContain("GITHUB_STEP_SUMMARY");
  });
});
