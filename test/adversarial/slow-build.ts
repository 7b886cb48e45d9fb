import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "vitest";
import { NODE_ARGS, tempRepo } from "../helpers/cli.js";

/**
 * A stand-in for `docker` on PATH: it answers the backend's preflight, and its `buildx build`
 * starts two `sleep`s and waits, like a build that runs a long step. It writes its environment
 * and the files it was handed as secrets to `record`, so tests can see what a build received.
 * `trapTerm` makes it ignore SIGTERM (only SIGKILL ends it).
 */
function fakeDocker(bin: string, trapTerm: boolean): void {
  const script = `#!/bin/sh
case "$1 $2" in
  "version --format") echo 26.1.5 ;;
  "buildx version") echo "github.com/docker/buildx v0.13.1" ;;
  "buildx build")
    env > "$HILT_FAKE_RECORD/env"
    for a in "$@"; do case "$a" in id=npmrc,src=*|id=pipconf,src=*) cat "\${a#*,src=}" >> "$HILT_FAKE_RECORD/secrets" ;; esac; done
    case "$*" in *hilt.local/fast:*)
      # The quick image: finishes once the test says so, with the metadata buildx writes.
      while [ ! -e "$HILT_FAKE_RECORD/go" ]; do sleep 0.1; done
      prev=""; for a in "$@"; do
        [ "$prev" = --metadata-file ] && echo '{"containerimage.config.digest":"sha256:0f"}' > "$a"
        prev="$a"
      done
      exit 0 ;;
    esac
    ${trapTerm ? "trap '' TERM" : ""}
    sleep "$HILT_FAKE_MARK" & sleep "$HILT_FAKE_MARK" & wait; wait ;;
  *) exit 1 ;;
esac
`;
  writeFileSync(path.join(bin, "docker"), script, { mode: 0o755 });
}

export interface SlowBuild {
  repo: string;
  /** Hilt's TMPDIR: empty (but for tsx's cache) once Hilt cleaned up. */
  tmp: string;
  /** What the fake docker recorded: env, secrets. */
  record: string;
  /** The sleep's argument, unique to this test. */
  mark: string;
  env: Record<string, string>;
}

export function slowBuild(
  options: { trapTerm?: boolean; files?: Record<string, string> } = {},
): SlowBuild {
  const repo = tempRepo({
    "catalog.yaml":
      'schemaVersion: 1\nimages:\n  slow: { from: debian:bookworm-slim, steps: [{ run: "true" }] }\n',
    ...options.files,
  });
  const bin = path.join(repo, ".bin");
  const tmp = path.join(repo, ".tmp");
  const record = path.join(repo, ".record");
  for (const dir of [bin, tmp, record]) mkdirSync(dir);
  fakeDocker(bin, options.trapTerm ?? false);
  const mark = `300.${randomBytes(4).readUInt32BE(0)}`;
  const env: Record<string, string> = {
    PATH: `${bin}:${process.env.PATH ?? ""}`,
    HOME: process.env.HOME ?? "/root",
    TMPDIR: tmp,
    HILT_FAKE_MARK: mark,
    HILT_FAKE_RECORD: record,
  };
  return { repo, tmp, record, mark, env };
}

export const BUILD_ARGS = [
  "build-all",
  "--json",
  "--engine",
  "docker",
  "--push",
  "none",
  "--platform",
  "linux/amd64",
];

export function sleepers(mark: string): string[] {
  return spawnSync("pgrep", ["-f", `^sleep ${mark}`], { encoding: "utf8" })
    .stdout.trim()
    .split("\n")
    .filter(Boolean);
}

export async function until(check: () => boolean, tries = 1200): Promise<void> {
  for (let i = 0; i < tries && !check(); i++) await new Promise((r) => setTimeout(r, 100));
  expect(check()).toBe(true);
}

/** Hilt's temporary folders left in its TMPDIR (tsx keeps its own cache there). */
export function leftovers(tmp: string): string[] {
  return readdirSync(tmp).filter((name) => !name.startsWith("tsx-"));
}

export interface Spawned {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnHilt(args: string[], build: SlowBuild): Spawned {
  const child = spawn(process.execPath, [...NODE_ARGS, ...args], {
    cwd: build.repo,
    env: build.env,
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => {
    stdout += d;
  });
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}
