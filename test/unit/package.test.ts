// The package as `npm pack` makes it: packed from a copy of the current sources (no prior build
// needed: `npm pack` runs the package's build, its prepack script, as a publish would), installed
// from the tarball into a temporary project, then run there. The install takes dependencies from
// npm's cache where it has them (`.ci/run`'s `npm ci` fills it) and asks the registry only for
// what is missing.
// One build and one install for the whole file, in beforeAll: it is the slowest unit test.
import { spawnSync } from "node:child_process";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempRepo } from "../helpers/cli.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const VERSION = (
  JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
    version: string;
  }
).version;
/** What `npm pack` needs from the work tree: the build's inputs and the files it ships. */
const SOURCES = ["package.json", "tsconfig.json", "README.md", "src", "bin", "schema"];

interface Packed {
  filename: string;
  files: { path: string }[];
}

function run(command: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv) {
  return runBoth(command, args, cwd, env).stdout;
}

function runBoth(command: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv) {
  const result = spawnSync(command, args, { cwd, encoding: "utf8", timeout: 600_000, env });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} exited ${result.status}\n${result.stderr}`);
  }
  return result;
}

describe("the npm package, installed from its tarball", () => {
  const work = mkdtempSync(path.join(tmpdir(), "hilt-package-"));
  const project = path.join(work, "project");
  const bin = path.join(project, "node_modules/.bin/hilt");
  let packed: Packed;
  // Removing an installed node_modules takes a while on a busy disk.
  afterAll(() => rmSync(work, { recursive: true, force: true }), 120_000);

  beforeAll(() => {
    const copy = path.join(work, "hilt");
    for (const entry of SOURCES)
      cpSync(path.join(ROOT, entry), path.join(copy, entry), { recursive: true });
    cpSync(path.join(ROOT, "scripts/bundle.mjs"), path.join(copy, "scripts/bundle.mjs"));
    symlinkSync(path.join(ROOT, "node_modules"), path.join(copy, "node_modules"));
    const out = path.join(work, "out");
    mkdirSync(out);
    const report = run(
      "npm",
      ["pack", "--json", "--loglevel=error", "--pack-destination", out],
      copy,
    );
    // npm prints the build's own output first; the JSON report is the last thing on stdout.
    const reports = JSON.parse(report.slice(report.lastIndexOf("\n[") + 1)) as Packed[];
    if (reports.length !== 1 || !reports[0]) throw new Error(`npm pack reported ${report}`);
    packed = reports[0];
    mkdirSync(project);
    writeFileSync(
      path.join(project, "package.json"),
      JSON.stringify({ name: "hilt-package-test", private: true }),
    );
    const tarball = path.join(out, packed.filename);
    run(
      "npm",
      // Without optional dependencies: better-sqlite3 (hilt serve's embedded queue) compiles
      // from source where no prebuilt binary exists, minutes here; Hilt must work without it.
      [
        "install",
        "--prefer-offline",
        "--omit=optional",
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
        tarball,
      ],
      project,
    );
  }, 900_000);

  it("ships the CLI bundle, the library with its types and the JSON Schemas, nothing else", () => {
    const files = packed.files.map((f) => f.path);
    expect(files).toEqual(
      expect.arrayContaining([
        "bin/hilt.js",
        "bin/package.json",
        "dist/bundle/hilt.cjs",
        "dist/bundle/hilt.mjs",
        "dist/bundle/start.cjs",
        "dist/bundle/import.cjs",
        "dist/lib.js",
        "dist/lib.d.ts",
        "schema/catalog.schema.json",
        "schema/pipeline.schema.json",
        "schema/plan.schema.json",
        "schema/result.schema.json",
        "package.json",
      ]),
    );
    const stray = files.filter(
      (f) => !/^(bin|dist|schema)\//.test(f) && !/^(package\.json|(README|LICENSE)[^/]*)$/.test(f),
    );
    expect(stray).toEqual([]);
    expect(
      files.filter((f) => f.endsWith(".map") || (f.endsWith(".ts") && !f.endsWith(".d.ts"))),
    ).toEqual([]);
  });

  it("declares its engines, bin, types and schema exports; build tools are not dependencies", () => {
    const manifest = JSON.parse(
      readFileSync(path.join(project, "node_modules/hilt/package.json"), "utf8"),
    ) as Record<string, Record<string, unknown>>;
    expect(manifest.engines?.node).toMatch(/^>=\d+/);
    expect(manifest.bin).toEqual({ hilt: "bin/hilt.js" });
    expect(manifest.exports?.["."]).toEqual({ types: "./dist/lib.d.ts", default: "./dist/lib.js" });
    expect(manifest.exports?.["./schema/*"]).toBe("./schema/*");
    const runtime = Object.keys(manifest.dependencies ?? {});
    const buildOnly = ["esbuild", "typescript", "tsx", "vitest", "@biomejs/biome"];
    expect(runtime.filter((d) => d.startsWith("@types/") || buildOnly.includes(d))).toEqual([]);
  });

  it("installing it runs no build: no install-time scripts, so no dev tools are needed", () => {
    const manifest = JSON.parse(
      readFileSync(path.join(project, "node_modules/hilt/package.json"), "utf8"),
    ) as { scripts?: Record<string, string> };
    const onInstall = ["preinstall", "install", "postinstall", "prepare"];
    expect(Object.keys(manifest.scripts ?? {}).filter((s) => onInstall.includes(s))).toEqual([]);
    expect(manifest.scripts?.prepack).toBe("npm run build");
    // The optional native module was left out, and what follows runs without it.
    expect(() =>
      readFileSync(path.join(project, "node_modules/better-sqlite3/package.json")),
    ).toThrow();
  });

  it("npx hilt --version prints the package's version", () => {
    expect(run("npx", ["--no-install", "hilt", "--version"], project).trim()).toBe(VERSION);
  });

  it("hilt plan --json plans a small catalog: one JSON document on stdout", () => {
    const repo = tempRepo({
      "catalog.yaml": "schemaVersion: 1\nimages:\n  base:\n    from: debian:bookworm-slim\n",
    });
    const plan = JSON.parse(run(bin, ["plan", "--json", "--offline"], repo)) as {
      kind: string;
      nodes: { name: string }[];
    };
    expect(plan.kind).toBe("hilt.plan");
    expect(plan.nodes.map((n) => n.name)).toEqual(["base"]);
  });

  it("keeps a code cache in the user's cache folder, never in the repository", () => {
    const repo = tempRepo({
      "catalog.yaml": "schemaVersion: 1\nimages:\n  base:\n    from: debian:bookworm-slim\n",
    });
    const cacheHome = path.join(work, "cache-home");
    const env = { ...process.env, XDG_CACHE_HOME: cacheHome, HILT_DEBUG: "1" };
    const start = (envHere = env) => {
      const { stdout, stderr } = runBoth(bin, ["plan", "--json", "--offline"], repo, envHere);
      return { stdout, status: /^code cache: (\w+)$/m.exec(stderr)?.[1] };
    };
    const first = start();
    expect(first.status).toBe("absent");
    const second = start();
    expect(second).toEqual({ stdout: first.stdout, status: "accepted" });
    const files = readdirSync(path.join(cacheHome, "hilt"));
    expect(files).toEqual([expect.stringMatching(/^hilt-[0-9a-f]{24}-plan\.v8cache$/)]);
    // A damaged cache changes nothing but the time; the next start writes a good one.
    const cache = path.join(cacheHome, "hilt", files[0] as string);
    writeFileSync(cache, readFileSync(cache).subarray(0, 1000));
    expect(start()).toEqual({ stdout: first.stdout, status: "absent" });
    expect(start().status).toBe("accepted");
    // A cache folder inside the repository is not used.
    const inside = { ...env, XDG_CACHE_HOME: path.join(repo, ".cache") };
    expect(start(inside)).toEqual({ stdout: first.stdout, status: "off" });
    expect(readdirSync(repo).sort()).toEqual(["catalog.yaml"]);
  });

  it("the Node API and the schemas resolve by the package's name", () => {
    const script =
      'const hilt = await import("hilt");' +
      'console.log(typeof hilt.plan, import.meta.resolve("hilt/schema/plan.schema.json"));';
    const [kind, schema] = run(process.execPath, ["--input-type=module", "-e", script], project)
      .trim()
      .split(" ");
    expect(kind).toBe("function");
    expect(schema).toBe(
      `file://${path.join(project, "node_modules/hilt/schema/plan.schema.json")}`,
    );
  });

  it("hilt mcp answers an MCP client's initialize and lists its tools", async () => {
    const client = new Client({ name: "hilt-package-test", version: "1.0.0" });
    await client.connect(
      new StdioClientTransport({ command: bin, args: ["mcp"], cwd: project, stderr: "pipe" }),
    );
    try {
      expect(client.getServerVersion()).toMatchObject({ name: "hilt", version: VERSION });
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(["plan", "detect"]));
    } finally {
      await client.close();
    }
  });
});
