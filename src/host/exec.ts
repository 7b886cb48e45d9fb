import { spawn } from "node:child_process";

export interface ExecRequest {
  command: string;
  args: readonly string[];
  cwd?: string;
  env?: Record<string, string | undefined>;
  input?: string;
  signal?: AbortSignal;
}

export interface ExecResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Set when the command could not be started at all (ENOENT, EACCES). */
  spawnError?: NodeJS.ErrnoException;
}

/** Tokens Hilt reads itself; no child process (docker, git, npm) needs to inherit them. */
const SECRET_ENV = ["HILT_REGISTRY_PASSWORD", "GHCR_TOKEN", "GITHUB_TOKEN", "NPM_TOKEN"];

export function childEnv(
  extra: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env, ...extra };
  for (const name of SECRET_ENV) if (!(name in extra)) delete env[name];
  return env;
}

/** Every subprocess Hilt runs goes through here. It captures, and never throws by itself. */
export function exec(request: ExecRequest): Promise<ExecResult> {
  if (process.env.HILT_DEBUG)
    process.stderr.write(`[exec] ${request.command} ${request.args.join(" ")}\n`);
  return new Promise((resolve) => {
    const child = spawn(request.command, request.args, {
      cwd: request.cwd,
      env: childEnv(request.env),
      stdio: ["pipe", "pipe", "pipe"],
      signal: request.signal,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => stdout.push(d));
    child.stderr.on("data", (d: Buffer) => stderr.push(d));
    let spawnError: NodeJS.ErrnoException | undefined;
    child.on("error", (error: NodeJS.ErrnoException) => {
      spawnError = error;
    });
    child.on("close", (exitCode, signal) => {
      resolve({
        exitCode,
        signal,
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
        ...(spawnError ? { spawnError } : {}),
      });
    });
    child.stdin.on("error", () => {});
    child.stdin.end(request.input ?? "");
  });
}
