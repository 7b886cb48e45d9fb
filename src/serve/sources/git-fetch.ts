import { mkdirSync } from "node:fs";
import { HiltError } from "../../errors.js";
import { exec } from "../../host/exec.js";
import { diskUse, watchDiskUse } from "./disk-use.js";
import { FULL_COMMIT, type GitUrl } from "./git-url.js";

/**
 * git run on a URL a remote caller chose, into a folder of the job's own. git is an argv (never
 * a shell), sees no system, global or user config (an empty read-only HOME), no credential
 * helper, no hooks or templates, no submodules and no LFS or other filters; it speaks https only
 * (plus the one insecure scheme the URL was allowed), follows no redirect, and is ended when it
 * runs past the timeout, writes past the disk cap or floods stderr.
 */

export interface GitSettings {
  timeoutMs: number;
  /** Disk the job's folder may take (pack, objects and checkout). */
  maxBytes: number;
  /** An empty folder the git child may not write to: its HOME and XDG_CONFIG_HOME. */
  home: string;
}

const MAX_STDERR = 1024 * 1024;
/** ls-remote answers the submit request: it gets this long at most. */
export const RESOLVE_TIMEOUT_MS = 15_000;

export function gitEnv(home: string): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  // GIT_DIR, GIT_SSH_COMMAND, GIT_ASKPASS, GIT_CONFIG_* … of the server's own environment.
  for (const name of Object.keys(process.env))
    if (/^(GIT_|SSH_)/.test(name) || name === "XDG_CONFIG_DIRS") env[name] = undefined;
  return {
    ...env,
    HOME: home,
    XDG_CONFIG_HOME: home,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_TERMINAL_PROMPT: "0",
    GIT_PROTOCOL_FROM_USER: "0",
    GIT_LFS_SKIP_SMUDGE: "1",
    LC_ALL: "C",
  };
}

export function gitConfig(scheme: GitUrl["scheme"]): string[] {
  const settings = [
    "protocol.allow=never",
    "protocol.https.allow=always",
    ...(scheme === "https" ? [] : [`protocol.${scheme}.allow=always`]),
    "http.followRedirects=false",
    "http.lowSpeedLimit=1024",
    "http.lowSpeedTime=30",
    "credential.helper=",
    "core.hooksPath=/dev/null",
    "core.fsmonitor=false",
    "core.symlinks=false",
    "init.templateDir=",
    "submodule.recurse=false",
    "transfer.fsckObjects=true",
    "fetch.fsck.zeroPaddedFilemode=ignore",
    "fetch.fsck.badTimezone=ignore",
    "gc.auto=0",
    "maintenance.auto=false",
    "advice.detachedHead=false",
  ];
  return settings.flatMap((setting) => ["-c", setting]);
}

/** git's own last `fatal:`/`error:` line, one line, no control characters. */
function gitReason(stderr: string): string {
  const lines = stderr.split("\n").filter((line) => /^(fatal|error): /.test(line));
  const last = lines.at(-1) ?? stderr.trim().split("\n").at(-1) ?? "";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are the point
  return last.replace(/[\u0000-\u001f\u007f]/g, "?").slice(0, 300) || "no message";
}

interface RunOptions {
  cwd: string;
  signal?: AbortSignal | undefined;
  timeoutMs: number;
  /** Watched while git runs: over the cap, git is ended. */
  watch?: { dir: string; maxBytes: number };
}

async function git(source: GitUrl, home: string, args: string[], options: RunOptions) {
  const stop = new AbortController();
  let why: "timeout" | "size" | "stderr" | undefined;
  const end = (reason: typeof why) => {
    why ??= reason;
    stop.abort();
  };
  const timer = setTimeout(() => end("timeout"), options.timeoutMs);
  const unwatch = options.watch
    ? watchDiskUse(options.watch.dir, options.watch.maxBytes, () => end("size"))
    : () => {};
  const onCallerAbort = () => stop.abort();
  options.signal?.addEventListener("abort", onCallerAbort, { once: true });
  let stderrBytes = 0;
  try {
    const result = await exec({
      command: "git",
      args: [...gitConfig(source.scheme), ...args],
      cwd: options.cwd,
      env: gitEnv(home),
      signal: stop.signal,
      killGraceMs: 2000,
      onStderr: (chunk) => {
        stderrBytes += chunk.length;
        if (stderrBytes > MAX_STDERR) end("stderr");
      },
    });
    if (options.signal?.aborted)
      throw new HiltError("INTERRUPTED", "the job was stopped while its source was fetched");
    if (why === "timeout")
      throw new HiltError("GIT_TIMEOUT", `git did not finish in ${options.timeoutMs / 1000} s`, {
        hint: "check the repository's host (hilt serve --git-timeout raises the limit)",
      });
    // The watcher polls: a fast process may have finished past the cap between two looks.
    if (
      options.watch &&
      (why === "size" ||
        (await diskUse(options.watch.dir, options.watch.maxBytes)) > options.watch.maxBytes)
    )
      throw cloneTooLarge(options.watch.maxBytes);
    if (why === "stderr")
      throw new HiltError("GIT_FETCH_FAILED", "git wrote more than 1 MiB of messages", {
        hint: "the repository's server is misbehaving: try another URL",
      });
    if (result.spawnError)
      throw new HiltError("GIT_FETCH_FAILED", `git cannot be started (${result.spawnError.code})`, {
        hint: "install git on the server (the hilt image has it)",
      });
    if (result.exitCode !== 0)
      throw new HiltError(
        "GIT_FETCH_FAILED",
        `git ${args[0] === "-C" ? args[2] : args[0]} failed: ${gitReason(result.stderr)}`,
        {
          hint: "check source.git and source.ref: a public repository the server can reach",
        },
      );
    return result.stdout;
  } finally {
    clearTimeout(timer);
    unwatch();
    options.signal?.removeEventListener("abort", onCallerAbort);
  }
}

function cloneTooLarge(maxBytes: number): HiltError {
  return new HiltError("SOURCE_TOO_LARGE", `the clone takes more than ${maxBytes} bytes`, {
    hint: "build a smaller repository (hilt serve --source-max-bytes raises the limit)",
  });
}

/** The ref names ls-remote is asked for, most specific first. */
function candidates(ref: string): string[] {
  if (ref === "HEAD" || ref.startsWith("refs/")) return [ref];
  // An annotated tag's own id is not a commit: its peeled line (^{}) is.
  return [`refs/heads/${ref}`, `refs/tags/${ref}^{}`, `refs/tags/${ref}`];
}

/** The commit `ref` names on the remote now (git ls-remote), for the job record. */
export async function resolveCommit(
  source: GitUrl,
  ref: string,
  settings: GitSettings,
): Promise<string> {
  if (FULL_COMMIT.test(ref)) return ref;
  const names = candidates(ref);
  const out = await git(source, settings.home, ["ls-remote", "--", source.url, ...names], {
    cwd: settings.home,
    timeoutMs: Math.min(settings.timeoutMs, RESOLVE_TIMEOUT_MS),
  });
  const found = new Map<string, string>();
  for (const line of out.split("\n")) {
    const [sha, name] = line.split("\t");
    if (sha && name && FULL_COMMIT.test(sha)) found.set(name, sha);
  }
  for (const name of names) {
    const commit = found.get(name);
    if (commit) return commit;
  }
  throw new HiltError("GIT_REF_NOT_FOUND", `source.ref ${JSON.stringify(ref)}: not on the remote`, {
    hint: "name an existing branch or tag, or a full commit id",
  });
}

/**
 * Fetches exactly `commit` (depth 1) from the URL into `tree` (created, empty) and checks it
 * out detached; `remote.origin.url` is set so the build's labels name the source.
 */
export async function fetchCommit(
  source: GitUrl,
  commit: string,
  tree: string,
  settings: GitSettings,
  signal?: AbortSignal,
): Promise<void> {
  if (!FULL_COMMIT.test(commit))
    throw new HiltError("GIT_REF_INVALID", "source.commit is not a full commit id", {
      hint: "submit the job again",
    });
  mkdirSync(tree, { recursive: true, mode: 0o700 });
  const started = Date.now();
  const left = () => Math.max(1, settings.timeoutMs - (Date.now() - started));
  const watch = { dir: tree, maxBytes: settings.maxBytes };
  const run = (args: string[]) =>
    git(source, settings.home, ["-C", tree, ...args], {
      cwd: tree,
      signal,
      timeoutMs: left(),
      watch,
    });
  await run(["init", "-q", "--template="]);
  await run(["config", "remote.origin.url", source.url]);
  await run([
    "fetch",
    "-q",
    "--depth=1",
    "--no-tags",
    "--no-recurse-submodules",
    "--no-write-fetch-head",
    "--",
    source.url,
    commit,
  ]);
  await run(["checkout", "-q", "--detach", "--no-recurse-submodules", commit]);
}
