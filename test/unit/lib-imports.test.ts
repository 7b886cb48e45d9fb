import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");
// Logs every module URL the child resolves, so the test sees what an import really loads.
const HOOK = `data:text/javascript,${encodeURIComponent(`
import { register } from "node:module";
register("data:text/javascript," + encodeURIComponent(
  "export async function resolve(s, c, next) { const r = await next(s, c); process._rawDebug('LOADED ' + r.url); return r; }"
));`)}`;

function loadedBy(entry: string): string[] {
  const child = spawnSync(
    process.execPath,
    [
      "--import",
      import.meta.resolve("tsx"),
      "--import",
      HOOK,
      "-e",
      `await import(${JSON.stringify(path.join(ROOT, entry))})`,
    ],
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

  it("while the Dagger module entry does load the Dagger SDK", () => {
    expect(loadedBy("src/index.ts").some((l) => l.includes("@dagger.io/dagger"))).toBe(true);
  });
});
