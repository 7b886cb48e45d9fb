import { type ChildProcess, spawn } from "node:child_process";

export interface ExecRequest {
  command: string;
  args: readonly string[];
  cwd?: string;
  env?: Record<string, string | undefined>;
  input?: string;
  /** Aborting ends the child's whole process group: SIGTERM, then SIGKILL after the grace. */
  signal?: AbortSignal;
  /** How long a group has after SIGTERM before SIGKILL; default KILL_GRACE_MS. */
  killGraceMs?: number;
  /** Sees stderr as it arrives (hilt serve stores a job's events live); it is captured too. */
  onStderr?: (chunk: Buffer) => void;
}

export interface ExecResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Set when the command could not be started at all (ENOENT, EACCES). */
  spawnError?: NodeJS.ErrnoException;
  /** Set when the request was aborted (before the start, or while it ran). */
  aborted?: true;
}

export const KILL_GRACE_MS = 5000;

/** Tokens Hilt reads itself; no child process (docker, git, npm) needs to inherit them. */
const SECRET_ENV = [
  "HILT_REGISTRY_PASSWORD",
  "GHCR_TOKEN",
  "GITHUB_TOKEN",
  "NPM_TOKEN",
  "NODE_AUTH_TOKEN",
];

export function childEnv(
  extra: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env, ...extra };
  for (const name of SECRET_ENV) if (!(name in extra)) delete env[name];
  return env;
}

/** Process groups of the children still running: what a second Ctrl-C or an exit must end. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    // Negative pid: the whole group (docker → docker-buildx, sh → its commands), even after
    // the leader itself has exited.
    if (process.platform === "win32") child.kill(signal);
    else process.kill(-child.pid, signal);
  } catch {
    // The group is gone already.
  }
}

/** Ends every running child's process group now (SIGKILL): a second Ctrl-C hurries cleanup. */
export function killAllChildren(): void {
  for (const child of running) killGroup(child, "SIGKILL");
}

/** How many children are running (tests, diagnostics). */
export function runningChildren(): number {
  return running.size;
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Children live in their own groups, so nothing else ends them when Hilt exits.
  process.on("exit", killAllChildren);
}

/** Every subprocess Hilt runs goes through here. It captures, and never throws by itself. */
export function exec(request: ExecRequest): Promise<ExecResult> {
  if (process.env.HILT_DEBUG)
    process.stderr.write(`[exec] ${request.command} ${request.args.join(" ")}\n`);
  if (request.signal?.aborted)
    return Promise.resolve({ exitCode: null, signal: null, stdout: "", stderr: "", aborted: true });
  installExitHook();
  return new Promise((resolve) => {
    // Its own process group, so an abort can end the child and everything it started.
    const child = spawn(request.command, request.args, {
      cwd: request.cwd,
      env: childEnv(request.env),
      stdio: ["pipe", "pipe", "pipe"],
      detached: process.platform !== "win32",
    });
    running.add(child);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => stdout.push(d));
    child.stderr.on("data", (d: Buffer) => {
      stderr.push(d);
      request.onStderr?.(d);
    });
    let spawnError: NodeJS.ErrnoException | undefined;
    let aborted = false;
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      aborted = true;
      killGroup(child, "SIGTERM");
      killTimer = setTimeout(
        () => killGroup(child, "SIGKILL"),
        request.killGraceMs ?? KILL_GRACE_MS,
      );
    };
    request.signal?.addEventListener("abort", onAbort, { once: true });
    child.on("error", (error: NodeJS.ErrnoException) => {
      spawnError = error;
    });
    child.on("close", (exitCode, signal) => {
      running.delete(child);
      if (killTimer) clearTimeout(killTimer);
      // Whatever of an aborted group still runs without holding our pipes goes too.
      if (aborted) killGroup(child, "SIGKILL");
      request.signal?.removeEventListener("abort", onAbort);
      resolve({
        exitCode,
        signal,
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
        ...(spawnError ? { spawnError } : {}),
        ...(aborted ? { aborted: true as const } : {}),
      });
    });
    child.stdin.on("error", () => {});
    child.stdin.end(request.input ?? "");
  });
}
