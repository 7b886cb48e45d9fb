import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { NODE_ARGS } from "../helpers/cli.js";

/** What test/env/up.sh set up; undefined when the end-to-end environment is absent. */
export interface E2EEnv {
  registry: string;
  authRegistry: string;
  authUser: string;
  authPassword: string;
  baseImage: string;
}

export function e2eEnv(): E2EEnv | undefined {
  const e = process.env;
  if (!e.HILT_E2E_REGISTRY || !e.HILT_E2E_BASE_IMAGE) {
    if (e.CI) throw new Error("CI must run test/env/up.sh before the end-to-end tier");
    console.warn(
      'end-to-end environment missing (run: eval "$(sudo bash test/env/up.sh)"): e2e tests not run',
    );
    return undefined;
  }
  return {
    registry: e.HILT_E2E_REGISTRY,
    authRegistry: e.HILT_E2E_AUTH_REGISTRY ?? "",
    authUser: e.HILT_E2E_AUTH_USER ?? "",
    authPassword: e.HILT_E2E_AUTH_PASSWORD_FILE
      ? readFileSync(e.HILT_E2E_AUTH_PASSWORD_FILE, "utf8").trim()
      : "",
    baseImage: e.HILT_E2E_BASE_IMAGE,
  };
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString("hex")}`;
}

export interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests validate it with resultSchema where it matters
  json: any;
  // biome-ignore lint/suspicious/noExplicitAny: NDJSON events, checked field by field
  events: any[];
}

function parse(
  stdout: string,
  stderr: string,
  status: number | null,
  signal: NodeJS.Signals | null,
): Run {
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch {
    json = undefined;
  }
  const events = stderr
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l));
  return { status, signal, stdout, stderr, json, events };
}

const baseEnv = () => ({ PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root" });

/** Runs the real CLI as a spawning program would. */
export function hiltRun(args: string[], cwd: string, env: Record<string, string> = {}): Run {
  const result = spawnSync(process.execPath, [...NODE_ARGS, ...args], {
    cwd,
    env: { ...baseEnv(), ...env },
    encoding: "utf8",
    timeout: 900_000,
  });
  return parse(result.stdout, result.stderr, result.status, result.signal);
}

/** Like hiltRun, without blocking this process (needed when the test itself serves something). */
export function hiltRunAsync(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...NODE_ARGS, ...args], {
      cwd,
      env: { ...baseEnv(), ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("close", (status, signal) => resolve(parse(stdout, stderr, status, signal)));
  });
}

/**
 * Starts the CLI; `interruptWhen` sends SIGINT once a line of stderr matches, after `delayMs`.
 * `processGroup`: the CLI gets a group of its own and the signal goes to the whole group, as a
 * terminal's Ctrl-C does.
 */
export function hiltInterrupted(
  args: string[],
  cwd: string,
  interruptWhen: RegExp,
  options: { env?: Record<string, string>; processGroup?: boolean; delayMs?: number } = {},
): Promise<Run & { pid: number }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...NODE_ARGS, ...args], {
      cwd,
      env: { ...baseEnv(), ...options.env },
      detached: options.processGroup ?? false,
    });
    let stdout = "";
    let stderr = "";
    let sent = false;
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
      if (!sent && interruptWhen.test(stderr)) {
        sent = true;
        setTimeout(() => {
          if (options.processGroup) process.kill(-(child.pid ?? 0), "SIGINT");
          else child.kill("SIGINT");
        }, options.delayMs ?? 1500);
      }
    });
    child.on("close", (status, signal) =>
      resolve({ ...parse(stdout, stderr, status, signal), pid: child.pid ?? 0 }),
    );
  });
}

export function buildArgs(env: E2EEnv, push: string): string[] {
  return [
    "build-all",
    "--json",
    "--events",
    "--push",
    push,
    "--base-image",
    `debian:bookworm-slim=${env.baseImage}`,
    "--platform",
    "linux/amd64",
  ];
}

/** The digest the registry reports for a ref (HEAD on its manifest). */
export async function registryDigest(
  ref: string,
  auth?: { user: string; password: string },
): Promise<string | undefined> {
  const slash = ref.indexOf("/");
  const colon = ref.lastIndexOf(":");
  const url = `http://${ref.slice(0, slash)}/v2/${ref.slice(slash + 1, colon)}/manifests/${ref.slice(colon + 1)}`;
  const headers: Record<string, string> = {
    Accept:
      "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json",
  };
  if (auth)
    headers.Authorization = `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString("base64")}`;
  const response = await fetch(url, { method: "HEAD", headers });
  return response.ok ? (response.headers.get("docker-content-digest") ?? undefined) : undefined;
}

export function docker(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync("docker", args, { encoding: "utf8", maxBuffer: 512 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export const REPO_ROOT = path.resolve(import.meta.dirname, "../..");
