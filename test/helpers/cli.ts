import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { onTestFinished } from "vitest";

/** The CLI's sources: `node --import tsx` runs them, so no build step can leave them stale. */
export const ENTRY = path.resolve(import.meta.dirname, "cli-entry.ts");
const BIN = path.resolve(import.meta.dirname, "../../bin/hilt.js");
const NO_CODE_CACHE = path.resolve(import.meta.dirname, "no-code-cache.cjs");
/**
 * How tests start the CLI. `npm test` builds first and sets HILT_TEST_CLI=bundle, so CI runs
 * what ships (and each start costs a third of tsx's); a single test file run by hand uses the
 * sources. Resolved here: node resolves --import from the child's cwd, often a temp folder.
 */
export const NODE_ARGS =
  process.env.HILT_TEST_CLI === "bundle"
    ? ["--require", NO_CODE_CACHE, BIN]
    : ["--import", import.meta.resolve("tsx"), ENTRY];

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function hilt(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): CliResult {
  const result = spawnSync(process.execPath, [...NODE_ARGS, ...args], {
    cwd: options.cwd ?? path.resolve(import.meta.dirname, "../.."),
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", ...options.env },
    encoding: "utf8",
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A temporary folder with the given files, removed when the test ends. */
export function tempRepo(
  files: Record<string, string>,
  cleanupWith: (fn: () => void) => void = onTestFinished,
): string {
  const dir = mkdtempSync(path.join(tmpdir(), "hilt-test-"));
  cleanupWith(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}
