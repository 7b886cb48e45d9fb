// npm steps with `prune`: what the catalog accepts, how the step renders (one RUN, paths quoted,
// only the globs left to the shell), and what the rendered shell really deletes.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { pruneProblem } from "../../src/model/catalog-schema.js";
import { validateCatalogText } from "../../src/model/load-catalog.js";
import { renderStepsDockerfile } from "../../src/render/dockerfile.js";
import { npmStepArgv } from "../../src/render/npm-step.js";
import { planOf } from "../helpers/catalog.js";
import { tempRepo } from "../helpers/cli.js";

const catalogWith = (step: string) => `schemaVersion: 1
images:
  a:
    from: debian:12
    steps:
      - ${step}
`;

const OPENCODE = {
  packages: ["opencode-ai@1.18.18"],
  prune: ["opencode-ai/node_modules/opencode-linux-*"],
};

describe("npm steps in the catalog", () => {
  it("takes a list, or packages with prune patterns", () => {
    for (const step of [
      "npm: [typescript]",
      "npm: { packages: [opencode-ai@1.18.18], prune: [opencode-ai/node_modules/opencode-linux-*] }",
      "npm: { packages: [x], prune: ['@scope/pkg/docs', 'pkg/*.md', pkg/.github, 'a?c/-x'] }",
      "npm: { packages: [x] }",
    ]) {
      const result = validateCatalogText("catalog.yaml", catalogWith(step));
      expect(result.errors, step).toEqual([]);
    }
  });

  it("refuses prune patterns that could leave the global node_modules or reach the shell", () => {
    for (const pattern of [
      "../x",
      "a/../../etc",
      "/etc/passwd",
      "a/.*",
      "pkg/.?",
      "a//b",
      "a/",
      "",
      ".",
      "$(touch /pwned)",
      "`id`",
      "a;rm -rf /",
      "a b",
      "[ab]",
      "a\nb",
      "a'b",
      "x".repeat(201),
    ])
      expect(pruneProblem(pattern), JSON.stringify(pattern)).toBeDefined();
  });

  it("names the file, the field and the fix for a bad pattern, a typo and a bad package", () => {
    const prune = validateCatalogText(
      "catalog.yaml",
      catalogWith('npm: { packages: [x], prune: [ok/*, "../up"] }'),
    ).errors;
    expect(prune).toHaveLength(1);
    expect(prune[0]).toMatchObject({
      code: "INVALID_PRUNE",
      file: "catalog.yaml",
      line: 6,
      path: "images.a.steps.0.npm.prune.1",
      message: '"../up" has a ".." segment',
    });
    expect(prune[0]?.hint).toContain("relative to npm's global node_modules");

    const typo = validateCatalogText(
      "catalog.yaml",
      catalogWith("npm: { packages: [x], prnue: [a] }"),
    ).errors[0];
    expect(typo).toMatchObject({ code: "UNKNOWN_KEY", path: "images.a.steps.0.npm.prnue" });
    expect(typo?.hint).toBe('did you mean "prune"?');

    const none = validateCatalogText("catalog.yaml", catalogWith("npm: { prune: [a] }")).errors[0];
    expect(none?.path).toBe("images.a.steps.0.npm");
    expect(none?.message).toContain("a mapping with packages");

    const newline = validateCatalogText("catalog.yaml", catalogWith('npm: ["x\\nRUN id"]'))
      .errors[0];
    expect(newline).toMatchObject({ code: "INVALID_PACKAGE", path: "images.a.steps.0.npm.0" });
  });
});

describe("npm steps rendered", () => {
  const render = (npm: string) => {
    const node = planOf(catalogWith(`npm: ${npm}`)).nodes[0];
    if (!node) throw new Error("no node");
    return renderStepsDockerfile(node, "debian:12");
  };

  it("renders a list as before: one npm install -g behind the registry's secret mounts", () => {
    expect(render("[typescript, 'x y']")).toContain(
      "--mount=type=cache,target=/root/.npm,sharing=locked \\\n    npm install -g --no-fund --no-audit typescript 'x y'\n",
    );
  });

  it("prunes in the install's own RUN, its text quoted and only the globs bare", () => {
    const text = render(JSON.stringify(OPENCODE));
    const runs = text.split("\n").filter((line) => line.startsWith("RUN "));
    expect(runs).toHaveLength(1);
    expect(runs[0]).toContain("--mount=type=secret,id=npmrc,target=/root/.npmrc");
    expect(text).toContain(
      "npm install -g --no-fund --no-audit opencode-ai@1.18.18 \\\n" +
        '    && hilt_root="$(npm root -g)" && [ -d "$hilt_root" ] && cd "$hilt_root" \\\n' +
        "    && set -- 'opencode-ai/node_modules/opencode-linux-'* && ",
    );
    expect(text).toContain('rm -rf -- "$@"\n');
  });

  it("gives Dagger the same commands: npm's argv for a list, sh for a prune", () => {
    expect(npmStepArgv(["a", "b"])).toEqual([
      "npm",
      "install",
      "-g",
      "--no-fund",
      "--no-audit",
      "a",
      "b",
    ]);
    const argv = npmStepArgv(OPENCODE);
    expect(argv.slice(0, 2)).toEqual(["sh", "-c"]);
    expect(argv[2]).toContain("set -- 'opencode-ai/node_modules/opencode-linux-'*");
  });
});

/** Runs an npm step's shell with a stand-in npm whose `root -g` prints `root` (or nothing). */
function runStep(npm: Parameters<typeof npmStepArgv>[0], root: string, cwd: string) {
  const bin = tempRepo({});
  writeFileSync(
    path.join(bin, "npm"),
    `#!/bin/sh\nif [ "$1" = root ]; then printf '%s\\n' ${JSON.stringify(root)}; fi\n`,
  );
  chmodSync(path.join(bin, "npm"), 0o755);
  const [cmd, ...args] = npmStepArgv(npm);
  return spawnSync(cmd ?? "sh", args, {
    cwd,
    env: { PATH: `${bin}:${process.env.PATH ?? ""}` },
    encoding: "utf8",
  });
}

describe("the rendered prune, run by sh", () => {
  const tree = () => {
    const dir = tempRepo({
      "lib/node_modules/opencode-ai/bin/opencode.exe": "binary",
      "lib/node_modules/opencode-ai/node_modules/opencode-linux-x64/bin/opencode": "avx2",
      "lib/node_modules/opencode-ai/node_modules/opencode-linux-x64-baseline/bin/opencode": "b",
      "lib/node_modules/opencode-ai/node_modules/-rf": "a name like an option",
      "lib/node_modules/keep/package.json": "{}",
      "lib/outside": "not under node_modules",
      "work/opencode-ai/node_modules/opencode-linux-x64/x": "the working folder's",
    });
    mkdirSync(path.join(dir, "lib/node_modules/opencode-ai/node_modules/opencode-linux-$(id)"));
    return dir;
  };

  it("deletes every match under npm root -g and nothing else", () => {
    const dir = tree();
    const run = runStep(OPENCODE, path.join(dir, "lib/node_modules"), path.join(dir, "work"));
    expect(run.status, run.stderr).toBe(0);
    const at = (rel: string) => existsSync(path.join(dir, rel));
    expect(at("lib/node_modules/opencode-ai/node_modules/opencode-linux-x64")).toBe(false);
    expect(at("lib/node_modules/opencode-ai/node_modules/opencode-linux-x64-baseline")).toBe(false);
    expect(at("lib/node_modules/opencode-ai/node_modules/opencode-linux-$(id)")).toBe(false);
    expect(at("lib/node_modules/opencode-ai/node_modules/-rf")).toBe(true);
    expect(at("lib/node_modules/opencode-ai/bin/opencode.exe")).toBe(true);
    expect(at("lib/node_modules/keep/package.json")).toBe(true);
    expect(at("lib/outside")).toBe(true);
    expect(at("work/opencode-ai/node_modules/opencode-linux-x64/x")).toBe(true);
  });

  it("fails, naming the pattern, when a pattern matches nothing", () => {
    const dir = tree();
    const step = { packages: ["x"], prune: ["keep/package.json", "opencode-ai/docs/*"] };
    const run = runStep(step, path.join(dir, "lib/node_modules"), path.join(dir, "work"));
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      "npm prune: opencode-ai/docs/* matched nothing in the global node_modules",
    );
  });

  it("deletes nothing when npm names no global folder (never the working folder's files)", () => {
    const dir = tree();
    for (const root of ["", path.join(dir, "missing")]) {
      const run = runStep(OPENCODE, root, path.join(dir, "work"));
      expect(run.status).not.toBe(0);
      expect(existsSync(path.join(dir, "work/opencode-ai/node_modules/opencode-linux-x64/x"))).toBe(
        true,
      );
    }
  });
});
