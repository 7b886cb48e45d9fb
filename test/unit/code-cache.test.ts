// The CLI bundle's V8 code cache (src/cli/code-cache.ts), on a small CommonJS bundle of its own:
// a cache is used only when it matches the bundle and this Node, a damaged or foreign one is
// ignored without changing what runs, and nothing is written where it must not be.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { build } from "esbuild";
import { beforeAll, describe, expect, it } from "vitest";
import { cacheCommand, codeCacheDir, loadBundle } from "../../src/cli/code-cache.js";
import { tempRepo } from "../helpers/cli.js";

/** The loader, bundled as scripts/bundle.mjs bundles it: spawns then need no TypeScript loader. */
let MODULE = "";
let STARTER = "";
beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "hilt-code-cache-"));
  MODULE = path.join(dir, "code-cache.cjs");
  STARTER = path.join(dir, "start.cjs");
  writeFileSync(
    STARTER,
    `const [loader, file, dir, command, n] = process.argv.slice(2);
const b = require(loader).loadBundle(file, { dir: JSON.parse(dir) ?? undefined, command });
const answer = b.exports.answer(Number(n));
b.save();
console.log(JSON.stringify({ status: b.status, answer }));
`,
  );
  await build({
    entryPoints: [path.resolve(import.meta.dirname, "../../src/cli/code-cache.ts")],
    outfile: MODULE,
    bundle: true,
    format: "cjs",
    platform: "node",
    logLevel: "warning",
  });
  return () => rmSync(dir, { recursive: true, force: true });
});

/** A bundle that answers with its own text and counts its evaluations. */
const BUNDLE = `"use strict";
globalThis.__hiltCodeCacheRuns = (globalThis.__hiltCodeCacheRuns ?? 0) + 1;
exports.answer = (n) => ({ n: n * 2, file: __filename, dir: __dirname, strict: this === exports });
exports.size = require("node:path").basename(__filename);
`;

function setup(bundle = BUNDLE) {
  const root = tempRepo({ "bundle/hilt.cjs": bundle });
  const file = path.join(root, "bundle/hilt.cjs");
  const dir = path.join(root, "cache/hilt");
  return { root, file, dir };
}

interface Start {
  status: string;
  answer: { n: number; file: string; dir: string; strict: boolean };
}

/**
 * One start in a process of its own, as the CLI's are: within one process V8 keeps compiled
 * scripts in memory and would not even look at the cache file. Loads, answers, saves.
 */
function start(
  file: string,
  dir: string | undefined,
  command = "plan",
  n = 21,
  nodeArgs: string[] = [],
): Start {
  // A script file, not -e: the code is then not among the process's options (execArgv), which
  // are part of the cache's key.
  const child = spawnSync(
    process.execPath,
    [...nodeArgs, STARTER, MODULE, file, JSON.stringify(dir ?? null), command, String(n)],
    { encoding: "utf8" },
  );
  expect(child.status, child.stderr).toBe(0);
  expect(child.stderr).toBe(""); // no warning, whatever became of the cache
  return JSON.parse(child.stdout) as Start;
}

function cacheFiles(dir: string): string[] {
  try {
    return readdirSync(dir).filter((f) => f.endsWith(".v8cache"));
  } catch {
    return [];
  }
}

describe("loadBundle", () => {
  it("writes a cache after a first start and uses it on the next, with the same result", () => {
    const { file, dir } = setup();
    const first = start(file, dir);
    expect(first).toEqual({
      status: "absent",
      answer: { n: 42, file, dir: path.dirname(file), strict: true },
    });
    const [written] = cacheFiles(dir);
    expect(written).toMatch(/^hilt-[0-9a-f]{24}-plan\.v8cache$/);
    expect(statSync(path.join(dir, written as string)).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const before = statSync(path.join(dir, written as string)).mtimeMs;

    expect(start(file, dir)).toEqual({ ...first, status: "accepted" });
    // An accepted cache is left as it is.
    expect(cacheFiles(dir)).toEqual([written]);
    expect(statSync(path.join(dir, written as string)).mtimeMs).toBe(before);
  });

  it("keeps one cache per command", () => {
    const { file, dir } = setup();
    start(file, dir, "plan");
    expect(start(file, dir, "validate").status).toBe("absent");
    expect(start(file, dir, "plan").status).toBe("accepted");
    expect(cacheFiles(dir)).toHaveLength(2);
  });

  it("starts with other V8 flags keep their own cache rather than replace each other's", () => {
    const { file, dir } = setup();
    start(file, dir);
    expect(start(file, dir, "plan", 1, ["--stack-size=900"]).status).toBe("absent");
    expect(start(file, dir, "plan", 1, ["--stack-size=900"]).status).toBe("accepted");
    expect(start(file, dir).status).toBe("accepted");
    expect(cacheFiles(dir)).toHaveLength(2);
  });

  it("ignores a damaged cache (checksum) and a truncated one, and rewrites them", () => {
    const { file, dir } = setup();
    start(file, dir);
    const cache = path.join(dir, cacheFiles(dir)[0] as string);
    const bytes = readFileSync(cache);
    bytes[bytes.length - 10] = (bytes[bytes.length - 10] ?? 0) ^ 0xff;
    writeFileSync(cache, bytes);
    expect(start(file, dir, "plan", 1)).toMatchObject({ status: "absent", answer: { n: 2 } });
    expect(start(file, dir).status).toBe("accepted");

    writeFileSync(cache, readFileSync(cache).subarray(0, 20));
    expect(start(file, dir).status).toBe("absent");
    expect(start(file, dir).status).toBe("accepted");
  });

  it("a whole file that V8 refuses is reported as rejected, runs the bundle, and is replaced", () => {
    const { file, dir } = setup();
    start(file, dir);
    const cache = path.join(dir, cacheFiles(dir)[0] as string);
    // Our framing around a payload that is not V8's: the checksum passes, V8 must refuse it.
    const payload = Buffer.from("not a V8 code cache at all, but long enough to look like one");
    const checksum = createHash("sha256").update(payload).digest();
    writeFileSync(cache, Buffer.concat([Buffer.from("HILTV8C1"), checksum, payload]));
    expect(start(file, dir, "plan", 5)).toMatchObject({ status: "rejected", answer: { n: 10 } });
    expect(start(file, dir).status).toBe("accepted");
  });

  it("a changed bundle of the same length does not use the old bundle's cache", () => {
    const { file, dir } = setup();
    start(file, dir);
    const changed = BUNDLE.replace("n * 2", "n * 3");
    expect(changed.length).toBe(BUNDLE.length);
    writeFileSync(file, changed);
    expect(start(file, dir, "plan", 2)).toMatchObject({ status: "absent", answer: { n: 6 } });
    // The old version's cache stays (removed only once unused for a month).
    expect(cacheFiles(dir)).toHaveLength(2);
  });

  it("without a folder, or with a folder others can write to, reads and writes no cache", () => {
    const { root, file } = setup();
    expect(start(file, undefined, "plan", 3)).toMatchObject({ status: "off", answer: { n: 6 } });

    const shared = path.join(root, "shared");
    start(file, shared);
    expect(cacheFiles(shared)).toHaveLength(1);
    chmodSync(shared, 0o777);
    expect(start(file, shared).status).toBe("absent");
    for (const f of cacheFiles(shared)) writeFileSync(path.join(shared, f), "");
    start(file, shared);
    expect(cacheFiles(shared).map((f) => statSync(path.join(shared, f)).size)).toEqual([0]);
  });

  it("runs a bundle its wrapper cannot compile as require() would, with no cache", () => {
    // A hashbang is valid only at the very start of a script: Node's require() accepts it.
    const { file, dir } = setup(`#!/usr/bin/env node\n${BUNDLE}`);
    expect(start(file, dir, "plan", 4)).toMatchObject({ status: "off", answer: { n: 8 } });
    expect(cacheFiles(dir)).toEqual([]);
  });

  it("in-process, the module's own exports are what the bundle exported", () => {
    const { file, dir } = setup();
    const loaded = loadBundle(file, { dir, command: "plan" });
    expect(loaded.exports.size).toBe("hilt.cjs");
  });
});

describe("codeCacheDir", () => {
  const base = { platform: "linux" as const, home: "/home/u", cwd: "/work/repo" };

  it("is XDG_CACHE_HOME/hilt, else ~/.cache/hilt (Library/Caches on macOS, LOCALAPPDATA)", () => {
    expect(codeCacheDir({ ...base, env: { XDG_CACHE_HOME: "/c" } })).toBe("/c/hilt");
    expect(codeCacheDir({ ...base, env: {} })).toBe("/home/u/.cache/hilt");
    expect(codeCacheDir({ ...base, env: { XDG_CACHE_HOME: "relative" } })).toBe(
      "/home/u/.cache/hilt",
    );
    expect(codeCacheDir({ ...base, platform: "darwin", env: {} })).toBe(
      "/home/u/Library/Caches/hilt",
    );
    expect(codeCacheDir({ ...base, home: "", env: {} })).toBeUndefined();
  });

  it("is never the working directory or inside it, and HILT_CODE_CACHE=0 turns it off", () => {
    expect(codeCacheDir({ ...base, env: { XDG_CACHE_HOME: "/work/repo/.cache" } })).toBeUndefined();
    expect(codeCacheDir({ ...base, cwd: "/home/u", env: {} })).toBeUndefined();
    expect(codeCacheDir({ ...base, cwd: "/", env: {} })).toBeUndefined();
    expect(codeCacheDir({ ...base, env: { HILT_CODE_CACHE: "0" } })).toBeUndefined();
    expect(codeCacheDir({ ...base, env: { HILT_CODE_CACHE: "off" } })).toBeUndefined();
  });
});

describe("cacheCommand", () => {
  it("names the command, or cli for anything that is not a plain command word", () => {
    expect(cacheCommand(["node", "hilt", "plan", "--json"])).toBe("plan");
    expect(cacheCommand(["node", "hilt", "--json", "export", "bake"])).toBe("export");
    expect(cacheCommand(["node", "hilt", "--version"])).toBe("cli");
    expect(cacheCommand(["node", "hilt", "../../etc/passwd"])).toBe("cli");
    expect(cacheCommand(["node", "hilt", "Plan"])).toBe("cli");
  });
});
