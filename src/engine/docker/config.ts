import { existsSync } from "node:fs";
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";
import type { Credentials } from "../../registry/credentials.js";

/** What of the user's docker configuration folder a private one links to, unchanged. */
const SHARED_ENTRIES = ["cli-plugins", "buildx", "contexts"];

export function userDockerConfigDir(env: Record<string, string | undefined>): string {
  return env.DOCKER_CONFIG ?? path.join(env.HOME ?? homedir(), ".docker");
}

async function readUserConfig(dir: string): Promise<Record<string, unknown>> {
  try {
    const parsed: unknown = JSON.parse(await readFile(path.join(dir, "config.json"), "utf8"));
    return parsed && typeof parsed === "object" && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

function record(value: unknown): Record<string, unknown> {
  return value && typeof value === "object" && !Array.isArray(value)
    ? { ...(value as Record<string, unknown>) }
    : {};
}

/**
 * A DOCKER_CONFIG for one run that carries Hilt's registry credentials (from the environment)
 * and keeps the rest of the user's setup: CLI plugins (buildx), the selected builder and
 * contexts (linked), credential helpers and stores (kept in config.json). For a host Hilt has
 * credentials for, `credHelpers[host] = ""` makes docker read them from `auths` even when a
 * global `credsStore` serves every other host.
 */
export async function privateDockerConfig(
  dir: string,
  userDir: string,
  credentials: ReadonlyMap<string, Credentials>,
): Promise<string> {
  await mkdir(dir, { mode: 0o700 });
  for (const entry of SHARED_ENTRIES) {
    const source = path.join(userDir, entry);
    if (existsSync(source)) await symlink(source, path.join(dir, entry));
  }
  const config = await readUserConfig(userDir);
  const auths = record(config.auths);
  const credHelpers = record(config.credHelpers);
  for (const [host, c] of credentials) {
    auths[host] = { auth: Buffer.from(`${c.username}:${c.password}`).toString("base64") };
    if (config.credsStore !== undefined || credHelpers[host] !== undefined) credHelpers[host] = "";
  }
  const written = {
    ...config,
    auths,
    ...(Object.keys(credHelpers).length > 0 ? { credHelpers } : {}),
  };
  await writeFile(path.join(dir, "config.json"), JSON.stringify(written), { mode: 0o600 });
  return dir;
}
