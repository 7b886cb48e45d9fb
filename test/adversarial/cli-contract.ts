// What every hostile CLI case checks (issue 9): the exit code, the error code, stdout is exactly
// one JSON document, no trace of a crash, and nothing changed beside what the command may write.
import { spawnSync } from "node:child_process";
import {
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { expect } from "vitest";
import { type CliResult, hilt, tempRepo } from "../helpers/cli.js";

export interface Box {
  /** Holds repo/, home/ (HOME) and tmp/ (TMPDIR): the whole world the CLI may see change. */
  root: string;
  repo: string;
  env: Record<string, string>;
  write(rel: string, content: string | Buffer): string;
  dir(rel: string): string;
  fifo(rel: string): string;
}

export function box(files: Record<string, string | Buffer> = {}): Box {
  const root = tempRepo({ "home/.keep": "", "tmp/.keep": "", "repo/.keep": "" });
  const repo = path.join(root, "repo");
  const made: Box = {
    root,
    repo,
    env: { HOME: path.join(root, "home"), TMPDIR: path.join(root, "tmp") },
    write(rel, content) {
      const full = path.join(repo, rel);
      mkdirSync(path.dirname(full), { recursive: true });
      writeFileSync(full, content);
      return full;
    },
    dir(rel) {
      const full = path.join(repo, rel);
      mkdirSync(full, { recursive: true });
      return full;
    },
    fifo(rel) {
      const full = path.join(repo, rel);
      mkdirSync(path.dirname(full), { recursive: true });
      expect(spawnSync("mkfifo", [full]).status).toBe(0);
      return full;
    },
  };
  for (const [rel, content] of Object.entries(files)) made.write(rel, content);
  return made;
}

/** tsx (which runs the CLI from its sources) keeps its compile cache in TMPDIR: not Hilt's. */
const RUNNER_CACHE = /^tmp\/tsx-\d+$/;

/** Every entry under the box: type, size and contents (links by target), sorted. */
export function snapshot(b: Box): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const rel = path.relative(b.root, full);
      if (RUNNER_CACHE.test(rel)) continue;
      const stat = lstatSync(full);
      if (stat.isSymbolicLink()) out.push(`${rel} -> ${readlinkSync(full)}`);
      else if (stat.isDirectory()) {
        out.push(`${rel}/`);
        walk(full);
      } else if (stat.isFile()) out.push(`${rel} ${readFileSync(full).toString("base64")}`);
      else out.push(`${rel} (special)`);
    }
  };
  walk(b.root);
  return out;
}

export interface Expected {
  exit: number;
  code: string;
  /** Under --json (the default) stdout is one JSON document; otherwise it must stay empty. */
  json?: boolean;
  /** Strings that must appear nowhere in the output (tokens, file contents). */
  secrets?: string[];
}

export interface Failure {
  result: CliResult;
  doc: { ok: boolean; kind: string; error: { code: string; message: string; hint?: string } };
}

/** Runs the CLI in the box and checks the failure contract; the box must not change at all. */
export function expectFailure(b: Box, args: string[], expected: Expected): Failure {
  const before = snapshot(b);
  const result = hilt(args, { cwd: b.repo, env: b.env });
  const context = `hilt ${args.join(" ").slice(0, 200)}\n${result.stderr.slice(0, 2000)}`;
  expect(result.status, context).toBe(expected.exit);
  expect(result.stderr, context).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n|error INTERNAL/);
  expect(result.stdout).not.toContain('"INTERNAL"');
  let doc: Failure["doc"];
  if (expected.json === false) {
    expect(result.stdout).toBe("");
    expect(result.stderr, context).toContain(`error ${expected.code}:`);
    doc = { ok: false, kind: "stderr", error: { code: expected.code, message: result.stderr } };
  } else {
    // JSON.parse of the whole of stdout: exactly one document, nothing before or after it.
    doc = JSON.parse(result.stdout);
    expect(doc.ok, context).toBe(false);
    expect(["hilt.error", "hilt.result"]).toContain(doc.kind);
    expect(doc.error.code, context).toBe(expected.code);
    expect(doc.error.message.length).toBeGreaterThan(0);
    expect(doc.error.hint ?? "", "every failure has a hint").not.toBe("");
  }
  for (const secret of expected.secrets ?? []) {
    expect(result.stdout).not.toContain(secret);
    expect(result.stderr).not.toContain(secret);
  }
  expect(snapshot(b), "nothing was written, created or left behind").toEqual(before);
  return { result, doc };
}
