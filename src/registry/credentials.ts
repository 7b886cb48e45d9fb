import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";

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

function readDockerConfig(env: Env): string | undefined {
  const dir = env.DOCKER_CONFIG ?? path.join(env.HOME ?? homedir(), ".docker");
  try {
    return readFileSync(path.join(dir, "config.json"), "utf8");
  } catch {
    return undefined;
  }
}

/**
 * Credentials for a registry host: HILT_REGISTRY_USERNAME/PASSWORD first; for ghcr.io the
 * GitHub token (GHCR_TOKEN or GITHUB_TOKEN, user GITHUB_ACTOR); then the docker config.
 */
export function credentialsFor(host: string, env: Env = process.env): Credentials | undefined {
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
  const config = readDockerConfig(env);
  return config ? dockerConfigCredentials(config, host) : undefined;
}
