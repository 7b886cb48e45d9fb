import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { BuildSecrets } from "../engine/backend.js";
import { exec } from "./exec.js";

export interface RegistryConfigOptions {
  /** npm registry URL; default: the host's `npm config get registry`. */
  npmRegistry?: string;
  /** PEM bundle to trust in builds; default: the host's `npm config get cafile`. */
  caCert?: string;
  /** pip index URL; default: the host's `pip config get global.index-url`, if any. */
  pipIndex?: string;
  env?: Record<string, string | undefined>;
}

async function hostValue(command: string, args: string[]): Promise<string | undefined> {
  const result = await exec({ command, args });
  const value = result.exitCode === 0 ? result.stdout.trim() : "";
  return value === "" || value === "undefined" || value === "null" ? undefined : value;
}

/** npmrc text: registry, CA and a token from NPM_TOKEN; delivered only as a secret mount. */
export function npmrcText(registry: string, hasCa: boolean, token: string | undefined): string {
  const lines = [`registry=${registry}`];
  if (hasCa) lines.push("cafile=/run/secrets/hilt-ca.pem");
  if (token)
    lines.push(
      `//${registry.replace(/^https?:\/\//, "").replace(/\/?$/, "/")}:_authToken=${token}`,
    );
  return `${lines.join("\n")}\n`;
}

export function pipConfText(index: string | undefined, hasCa: boolean): string {
  const lines = ["[global]"];
  if (index) lines.push(`index-url = ${index}`);
  if (hasCa) lines.push("cert = /run/secrets/hilt-ca.pem");
  return `${lines.join("\n")}\n`;
}

/**
 * Package-registry settings for builds, as files in a private temporary folder: they reach
 * RUN steps only as BuildKit secret mounts (or Dagger secrets), never args or layers.
 */
export async function prepareBuildSecrets(
  options: RegistryConfigOptions = {},
): Promise<{ secrets: BuildSecrets; cleanup: () => Promise<void> }> {
  const env = options.env ?? process.env;
  const dir = await mkdtemp(path.join(tmpdir(), "hilt-secrets-"));
  const registry =
    options.npmRegistry ??
    (await hostValue("npm", ["config", "get", "registry"])) ??
    "https://registry.npmjs.org/";
  const ca = options.caCert ?? (await hostValue("npm", ["config", "get", "cafile"]));
  const hasCa = ca !== undefined && existsSync(ca);
  const pipIndex =
    options.pipIndex ?? (await hostValue("pip", ["config", "get", "global.index-url"]));
  const secrets: BuildSecrets = {
    npmrc: path.join(dir, "npmrc"),
    pipconf: path.join(dir, "pip.conf"),
    ...(hasCa ? { ca } : {}),
  };
  await writeFile(secrets.npmrc as string, npmrcText(registry, hasCa, env.NPM_TOKEN), {
    mode: 0o600,
  });
  await writeFile(secrets.pipconf as string, pipConfText(pipIndex, hasCa), { mode: 0o600 });
  return { secrets, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
