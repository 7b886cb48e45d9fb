import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { HiltError } from "../errors.js";
import { exec } from "../host/exec.js";
import { deadline } from "./deadline.js";

export interface Credentials {
  username: string;
  password: string;
  /** Where they came from, for messages (never the secret itself). */
  source: string;
}

type Env = Record<string, string | undefined>;

/** Docker's config.json `auths` entry for a registry host, decoded. */
export function dockerConfigCredentials(configText: string, host: string): Credentials | undefined {
  let config: { auths?: Record<string, { auth?: string; username?: string; password?: string }> };
  try {
    config = JSON.parse(configText);
  } catch {
    return undefined;
  }
  const candidates = [
    host,
    `https://${host}`,
    `http://${host}`,
    ...(host === "docker.io" ? ["https://index.docker.io/v1/"] : []),
  ];
  for (const key of candidates) {
    const entry = config.auths?.[key];
    if (!entry) continue;
    if (entry.username && entry.password)
      return { username: entry.username, password: entry.password, source: "docker config" };
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon > 0)
        return {
          username: decoded.slice(0, colon),
          password: decoded.slice(colon + 1),
          source: "docker config",
        };
    }
  }
  return undefined;
}

/** The server URL Docker files a registry's credentials under. */
function serverUrl(host: string): string {
  return host === "docker.io" ? "https://index.docker.io/v1/" : host;
}

/**
 * The credential helper the docker config names for a host (`credHelpers`, else `credsStore`),
 * as the suffix of `docker-credential-<name>`; undefined when there is none or it is malformed.
 */
export function dockerCredentialHelper(configText: string, host: string): string | undefined {
  let config: unknown;
  try {
    config = JSON.parse(configText);
  } catch {
    return undefined;
  }
  if (typeof config !== "object" || config === null) return undefined;
  const { credHelpers, credsStore } = config as Record<string, unknown>;
  const perHost =
    typeof credHelpers === "object" && credHelpers !== null
      ? (credHelpers as Record<string, unknown>)[serverUrl(host)]
      : undefined;
  const name = typeof perHost === "string" ? perHost : credsStore;
  return typeof name === "string" && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) ? name : undefined;
}

export interface HelperOptions {
  env?: Env;
  signal?: AbortSignal;
  /** How long the helper may take (default 10 s); a keychain prompt must not hang a run. */
  timeoutMs?: number;
}

/**
 * Asks `docker-credential-<helper> get` (the docker-credential-helpers protocol: the server URL
 * on stdin, `{ServerURL, Username, Secret}` on stdout) for a host's credentials.
 */
export async function helperCredentials(
  helper: string,
  host: string,
  options: HelperOptions = {},
): Promise<Credentials | undefined> {
  const command = `docker-credential-${helper}`;
  const ms = options.timeoutMs ?? 10_000;
  const limit = deadline(ms, options.signal);
  const env = options.env ?? process.env;
  // Raced with the deadline: a helper's own children may hold its output open after it is killed.
  const stopped = new Promise<undefined>((resolve) => {
    limit.signal.addEventListener("abort", () => resolve(undefined), { once: true });
  });
  const result = await Promise.race([
    exec({
      command,
      args: ["get"],
      input: serverUrl(host),
      signal: limit.signal,
      env: {
        ...(env.PATH ? { PATH: env.PATH } : {}),
        ...(env.HOME ? { HOME: env.HOME } : {}),
      },
    }),
    stopped,
  ]).finally(() => limit.clear());
  if (options.signal?.aborted)
    throw new HiltError("INTERRUPTED", `interrupted while asking ${command} for credentials`);
  if (limit.expired)
    throw new HiltError(
      "REGISTRY_TIMEOUT",
      `${command} gave no credentials for ${host} within ${ms / 1000} s`,
      {
        hint: `check that ${command} works (it may be waiting for a keychain prompt)`,
      },
    );
  // Not installed: as if there were no helper, so env or config credentials still apply.
  if (!result || result.spawnError) return undefined;
  if (result.exitCode !== 0) {
    if (/credentials not found/i.test(`${result.stdout}\n${result.stderr}`)) return undefined;
    throw new HiltError(
      "REGISTRY_AUTH_FAILED",
      `${command} get failed for ${host} (exit ${result.exitCode ?? result.signal})`,
      {
        hint: `run \`docker login ${host}\` again, or remove the helper from Docker's config.json`,
      },
    );
  }
  let answer: unknown;
  try {
    answer = JSON.parse(result.stdout);
  } catch {
    answer = undefined;
  }
  const { Username: username, Secret: password } = (answer ?? {}) as Record<string, unknown>;
  if (typeof username !== "string" || typeof password !== "string" || !password)
    throw new HiltError(
      "REGISTRY_AUTH_FAILED",
      `${command} get answered ${host} without a username and secret`,
      {
        hint: `run \`docker login ${host}\` again, or remove the helper from Docker's config.json`,
      },
    );
  return { username, password, source: command };
}

function readDockerConfig(env: Env): string | undefined {
  const dir = env.DOCKER_CONFIG ?? path.join(env.HOME ?? homedir(), ".docker");
  try {
    return readFileSync(path.join(dir, "config.json"), "utf8");
  } catch {
    return undefined;
  }
}

/** Credentials Hilt is given directly: HILT_REGISTRY_USERNAME/PASSWORD, then GHCR's tokens. */
function environmentCredentials(host: string, env: Env): Credentials | undefined {
  if (env.HILT_REGISTRY_PASSWORD) {
    return {
      username: env.HILT_REGISTRY_USERNAME ?? "hilt",
      password: env.HILT_REGISTRY_PASSWORD,
      source: "HILT_REGISTRY_PASSWORD",
    };
  }
  if (host === "ghcr.io") {
    const token = env.GHCR_TOKEN ?? env.GITHUB_TOKEN;
    if (token)
      return {
        username: env.GITHUB_ACTOR ?? "hilt",
        password: token,
        source: env.GHCR_TOKEN ? "GHCR_TOKEN" : "GITHUB_TOKEN",
      };
  }
  return undefined;
}

/**
 * Credentials for a registry host without running anything: HILT_REGISTRY_USERNAME/PASSWORD
 * first; for ghcr.io the GitHub token (GHCR_TOKEN or GITHUB_TOKEN, user GITHUB_ACTOR); then the
 * docker config's `auths`. `resolveCredentials` also asks Docker's credential helpers.
 */
export function credentialsFor(host: string, env: Env = process.env): Credentials | undefined {
  const direct = environmentCredentials(host, env);
  if (direct) return direct;
  const config = readDockerConfig(env);
  return config ? dockerConfigCredentials(config, host) : undefined;
}

/**
 * Credentials for a registry host as Docker would find them, Hilt's own first: the environment
 * (as `credentialsFor`), then the docker config's credential helper (`credHelpers` for the host,
 * else `credsStore`), then its `auths`.
 */
export async function resolveCredentials(
  host: string,
  env: Env = process.env,
  options: Omit<HelperOptions, "env"> = {},
): Promise<Credentials | undefined> {
  const direct = environmentCredentials(host, env);
  if (direct) return direct;
  const config = readDockerConfig(env);
  if (!config) return undefined;
  const helper = dockerCredentialHelper(config, host);
  const fromHelper = helper
    ? await helperCredentials(helper, host, { ...options, env })
    : undefined;
  return fromHelper ?? dockerConfigCredentials(config, host);
}
