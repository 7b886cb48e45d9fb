import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");
// Logs every module URL the child resolves, so the test sees what an import really loads.
const HOOK = `data:text/javascript,${encodeURIComponent(`
import { register } from "node:module";
register("data:text/javascript," + encodeURIComponent(
  "export async function resolve(s, c, next) { const r = await next(s, c); process._rawDebug('LOADED ' + r.url); return r; }"
));`)}`;

function loadedBy(entry: string, args?: string[]): string[] {
  const module = JSON.stringify(path.join(ROOT, entry));
  // With args: the CLI's main() runs them, as `hilt ...args` would.
  const script = args
    ? `process.exitCode = await (await import(${module})).main(["node", "hilt", ...${JSON.stringify(args)}])`
    : `await import(${module})`;
  const child = spawnSync(
    process.execPath,
    ["--import", import.meta.resolve("tsx"), "--import", HOOK, "-e", script],
    { encoding: "utf8", cwd: ROOT },
  );
  expect(child.status, child.stderr).toBe(0);
  return child.stderr.split("\n").filter((l) => l.startsWith("LOADED "));
}

describe('import "hilt"', () => {
  it("loads neither the Dagger SDK nor the MCP SDK (the library stays cheap to import)", () => {
    const loaded = loadedBy("src/lib.ts");
    expect(loaded.some((l) => l.includes("/src/app/build.ts"))).toBe(true);
    expect(loaded.filter((l) => /@dagger\.io|@modelcontextprotocol/.test(l))).toEqual([]);
  });

  // Loading the whole Dagger SDK through tsx takes half a minute on a busy 2-core machine.
  it("while the Dagger module entry does load the Dagger SDK", { timeout: 90_000 }, () => {
    expect(loadedBy("src/index.ts").some((l) => l.includes("@dagger.io/dagger"))).toBe(true);
  });
});

// Start-up time (bench/startup.ts): a command pays for the modules it loads, so the cheap ones
// must not load the heavy ones. Each command imports what it runs (src/cli/main.ts).
describe("what a CLI command loads", () => {
  const heavy = /@dagger\.io|@modelcontextprotocol|\/hono\/|@hono|\/pg\/|better-sqlite3|\/ajv\//;
  // The engine's platform names are plain data the plan needs; the rest runs builds.
  const serverSide =
    /\/src\/(mcp|serve\/(server|app|store|routes|sources)|dagger)\/|\/src\/engine\/(?!platform\.ts)/;

  it("hilt plan: no server, no build engine, no MCP or Dagger SDK", () => {
    const loaded = loadedBy("src/cli/main.ts", ["plan", "--json", "--offline"]);
    expect(loaded.some((l) => l.includes("/src/app/plan.ts"))).toBe(true);
    expect(loaded.filter((l) => heavy.test(l) || serverSide.test(l))).toEqual([]);
    // Nor the zod schemas of the documents it prints (only their version numbers).
    expect(loaded.filter((l) => /\/src\/(plan\/plan|report\/result)-schema\.ts/.test(l))).toEqual(
      [],
    );
  });

  it("hilt --version: not even the plan, the YAML parser or the detectors", () => {
    const loaded = loadedBy("src/cli/main.ts", ["--version"]);
    expect(
      loaded.filter(
        (l) =>
          heavy.test(l) ||
          serverSide.test(l) ||
          /\/src\/(app|detect|generate|plan)\/|\/yaml\//.test(l),
      ),
    ).toEqual([]);
  });

  it("the plan's modules sort without a locale collator (setting up ICU's costs ~10 ms a start)", () => {
    const planSources = [
      ...new Set(
        loadedBy("src/cli/main.ts", ["plan", "--json", "--offline"])
          .map((l) => l.slice("LOADED ".length).replace(/\?.*/, ""))
          .filter((url) => url.startsWith("file:") && url.includes("/src/") && url.endsWith(".ts")),
      ),
    ];
    expect(planSources.length).toBeGreaterThan(20);
    const collating = planSources.filter((url) =>
      /\.localeCompare\(|Intl\.Collator/.test(readFileSync(new URL(url), "utf8")),
    );
    // Diagnostics sort by path only between equal positions (invalid files, not a plan's start).
    expect(collating.map((url) => url.replace(/.*\/src\//, "src/"))).toEqual([
      "src/model/diagnostics.ts",
    ]);
  });
});
