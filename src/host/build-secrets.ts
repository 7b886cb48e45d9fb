import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os, { tmpdir } from "node:os";
import path from "node:path";
import type { Backend, BuildSecrets } from "../engine/backend.js";
import { SECRET_MOUNTS } from "../render/secret-mounts.js";
import { exec } from "./exec.js";
import { pipConfigValue } from "./pip-config.js";
import { forgetAtExit, removeAtExit } from "./remove-at-exit.js";

export interface RegistryConfigOptions {
  /** npm registry URL; default: the host's `npm config get registry`. */
  npmRegistry?: string;
  /** PEM bundle to trust in builds; default: the host's `npm config get cafile`. */
  caCert?: string;
  /** pip index URL; default: `global.index-url` from the host's pip config files, if any. */
  pipIndex?: string;
  /** Go settings (GO_SETTINGS); default: the host's `go env`, else its environment. */
  goEnv?: Record<string, string | undefined>;
  /**
   * Give the builds of detected repositories (service images) the registry token too. Off by
   * default: their install scripts are code Hilt was handed, not code its caller wrote.
   */
  buildSecrets?: boolean;
  env?: Record<string, string | undefined>;
}

export interface PreparedSecrets {
  /** For service images: registry URLs and CA, the token only when opted in. */
  secrets: BuildSecrets;
  /** For catalog images (written by the catalog's author, trusted): the token too. */
  catalogSecrets: BuildSecrets;
  cleanup: () => Promise<void>;
}

async function hostValue(command: string, args: string[]): Promise<string | undefined> {
  const result = await exec({ command, args });
  const value = result.exitCode === 0 ? result.stdout.trim() : "";
  return value === "" || value === "undefined" || value === "null" ? undefined : value;
}

/** npmrc text: registry, CA and a token from NPM_TOKEN; delivered only as a secret mount. */
export function npmrcText(registry: string, hasCa: boolean, token: string | undefined): string {
  const lines = [`registry=${registry}`];
  if (hasCa) lines.push(`cafile=${SECRET_MOUNTS.ca.target}`);
  if (token)
    lines.push(
      `//${registry.replace(/^https?:\/\//, "").replace(/\/?$/, "/")}:_authToken=${token}`,
    );
  return `${lines.join("\n")}\n`;
}

export function pipConfText(index: string | undefined, hasCa: boolean): string {
  const lines = ["[global]"];
  if (index) lines.push(`index-url = ${index}`);
  if (hasCa) lines.push(`cert = ${SECRET_MOUNTS.ca.target}`);
  return `${lines.join("\n")}\n`;
}

/** The go command settings builds get: where modules come from and how they are checked. */
export const GO_SETTINGS = [
  "GOPROXY",
  "GONOPROXY",
  "GOPRIVATE",
  "GONOSUMDB",
  "GOSUMDB",
  "GOINSECURE",
  "GOFLAGS",
] as const;

/**
 * The go command's configuration file (the format `go env -w` writes): one KEY=VALUE a line,
 * empty and multi-line values left out. Without `withCredentials`, GOPROXY's URLs lose the
 * credentials they may carry (`https://user:token@proxy`), as the npm registry URL does.
 */
export function goEnvText(
  values: Readonly<Record<string, string | undefined>>,
  withCredentials: boolean,
): string {
  const lines: string[] = [];
  for (const key of GO_SETTINGS) {
    let value = values[key]?.trim();
    if (!value || /[\r\n]/.test(value)) continue;
    if (key === "GOPROXY" && !withCredentials)
      value = value
        .split(/([,|])/)
        .map((part) => (/^[,|]$|^(direct|off)$/.test(part) ? part : withoutCredentials(part)))
        .filter((part): part is string => part !== undefined)
        .join("")
        .replace(/^[,|]+|[,|]+$/g, "");
    if (value) lines.push(`${key}=${value}`);
  }
  return `${lines.join("\n")}\n`;
}

/**
 * The host's go settings as the go command sees them, without running it (it would write its
 * telemetry folder into the caller's home): the environment over the `go env -w` file.
 */
async function hostGoEnv(
  env: Record<string, string | undefined>,
): Promise<Record<string, string | undefined>> {
  const home = env.HOME ?? os.homedir();
  const file =
    env.GOENV ?? path.join(env.XDG_CONFIG_HOME ?? path.join(home, ".config"), "go", "env");
  const fromFile: Record<string, string> = {};
  if (file !== "off") {
    const text = await readFile(file, "utf8").catch(() => "");
    for (const line of text.split("\n")) {
      const at = line.indexOf("=");
      if (at > 0) fromFile[line.slice(0, at).trim()] = line.slice(at + 1).trim();
    }
  }
  return Object.fromEntries(GO_SETTINGS.map((k) => [k, env[k] || fromFile[k]]));
}

/**
 * A registry URL without the credentials it may carry (`https://user:token@host/`); undefined
 * when it is not a URL at all, since then nothing can be said about what it carries.
 */
export function withoutCredentials(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    if (parsed.username === "" && parsed.password === "") return url;
    parsed.username = "";
    parsed.password = "";
    return parsed.toString();
  } catch {
    return undefined;
  }
}

/**
 * Package-registry settings for builds, as files in a private temporary folder: they reach
 * RUN steps only as BuildKit secret mounts (or Dagger secrets), never args or layers. The
 * secret ids (npmrc, pipconf, goenv, ca) are the same for every image; what the files hold differs:
 * service images get the token only with `buildSecrets`, catalog images always.
 */
export async function prepareBuildSecrets(
  options: RegistryConfigOptions = {},
): Promise<PreparedSecrets> {
  const env = options.env ?? process.env;
  // The host lookups at once: npm's each start a process; pip's files are read directly.
  const [hostRegistry, hostCa, hostPipIndex] = await Promise.all([
    options.npmRegistry ?? hostValue("npm", ["config", "get", "registry"]),
    options.caCert ?? hostValue("npm", ["config", "get", "cafile"]),
    options.pipIndex ?? pipConfigValue(env, "global", "index-url", existsSync),
  ]);
  const registry = hostRegistry ?? "https://registry.npmjs.org/";
  const ca = hostCa;
  const hasCa = ca !== undefined && existsSync(ca);
  const pipIndex = hostPipIndex;
  const token = env.NPM_TOKEN || env.NODE_AUTH_TOKEN || undefined;
  const goEnv = options.goEnv ?? (await hostGoEnv(env));

  const dir = await mkdtemp(path.join(tmpdir(), "hilt-secrets-"));
  removeAtExit(dir);
  const write = (name: string, text: string) =>
    writeFile(path.join(dir, name), text, { mode: 0o600 }).then(() => path.join(dir, name));

  const catalogSecrets: BuildSecrets = {
    npmrc: await write("npmrc-catalog", npmrcText(registry, hasCa, token)),
    pipconf: await write("pip-catalog.conf", pipConfText(pipIndex, hasCa)),
    goenv: await write("goenv-catalog", goEnvText(goEnv, true)),
    ...(hasCa ? { ca } : {}),
  };
  const secrets: BuildSecrets = options.buildSecrets
    ? catalogSecrets
    : {
        npmrc: await write(
          "npmrc",
          npmrcText(
            withoutCredentials(registry) ?? "https://registry.npmjs.org/",
            hasCa,
            undefined,
          ),
        ),
        pipconf: await write(
          "pip.conf",
          pipConfText(pipIndex === undefined ? undefined : withoutCredentials(pipIndex), hasCa),
        ),
        goenv: await write("goenv", goEnvText(goEnv, false)),
        ...(hasCa ? { ca } : {}),
      };
  return {
    secrets,
    catalogSecrets,
    cleanup: async () => {
      await rm(dir, { recursive: true, force: true });
      forgetAtExit(dir);
    },
  };
}

/** The backend, handing catalog images their (trusted) secrets and everything else `secrets`. */
export function withCatalogSecrets(
  backend: Backend,
  catalogSecrets: BuildSecrets,
  /** Fills the secrets in before the first build (app/build.ts looks them up only then). */
  ready: () => Promise<unknown> = async () => {},
): Backend {
  return {
    name: backend.name,
    get builder() {
      return backend.builder;
    },
    preflight: (nodes) => backend.preflight(nodes),
    build: async (request) => {
      await ready();
      return backend.build(
        request.node.kind === "catalog" ? { ...request, secrets: catalogSecrets } : request,
      );
    },
    ...(backend.buildSession
      ? {
          buildSession: async (requests, onExported) =>
            (await ready().then(() =>
              backend.buildSession?.(
                requests.map((r) =>
                  r.node.kind === "catalog" ? { ...r, secrets: catalogSecrets } : r,
                ),
                onExported,
              ),
            )) ?? new Map(),
        }
      : {}),
    localImage: (ref) => backend.localImage(ref),
    tagLocal: (source, target) => backend.tagLocal(source, target),
    close: () => backend.close(),
  };
}
