import { ExitCode, HiltError } from "../errors.js";
import { isValidDomain, parseReference } from "../model/oci.js";
import { ttlMinutes } from "../model/pipeline-schema.js";
import type { ImageTags } from "./tags.js";

export type PushTarget =
  | { kind: "none"; prefix: string }
  | { kind: "ttl.sh"; ttl: string; runId: string }
  | { kind: "ghcr"; owner: string }
  | { kind: "registry"; host: string; namespace: string };

const LOCAL_PREFIX = "hilt.local";

function invalid(message: string, hint: string): HiltError {
  return new HiltError("INVALID_PUSH_TARGET", message, { hint, exitCode: ExitCode.usage });
}

/** `none`, `ttl.sh`, `ghcr`, or `host[:port][/namespace]` → a push target, or a clear error. */
export function parsePushTarget(
  value: string,
  options: {
    ttl?: string;
    owner?: string;
    env?: Record<string, string | undefined>;
    runId: string;
  },
): PushTarget {
  const target = value.trim();
  if (target === "" || target === "none" || target === "local")
    return { kind: "none", prefix: LOCAL_PREFIX };
  if (target === "ttl.sh") {
    const ttl = options.ttl ?? "1h";
    const minutes = ttlMinutes(ttl);
    if (minutes === undefined) throw invalid(`ttl "${ttl}" is not a duration`, "use 30m, 1h or 1d");
    if (minutes > 24 * 60) {
      throw invalid(`ttl "${ttl}" is longer than ttl.sh keeps images`, "use at most 24h");
    }
    return { kind: "ttl.sh", ttl, runId: options.runId };
  }
  if (target === "ghcr" || target === "ghcr.io" || target.startsWith("ghcr.io/")) {
    const explicit = target.startsWith("ghcr.io/") ? target.slice("ghcr.io/".length) : undefined;
    const owner = explicit ?? options.owner ?? options.env?.GITHUB_REPOSITORY_OWNER;
    if (!owner) {
      throw invalid(
        "pushing to GHCR needs an owner",
        "pass --owner NAME, write ghcr.io/NAME, or set GITHUB_REPOSITORY_OWNER",
      );
    }
    const lowered = owner.toLowerCase();
    if (!parseReference(`ghcr.io/${lowered}/x`).ok)
      throw invalid(
        `"${owner}" is not a valid GHCR owner`,
        "use the GitHub user or organisation name",
      );
    return { kind: "ghcr", owner: lowered };
  }
  const [host = "", ...rest] = target.split("/");
  const namespace = rest.join("/");
  if (!isValidDomain(host) || !(host.includes(".") || host.includes(":") || host === "localhost")) {
    throw invalid(
      `"${value}" is not a push target`,
      "use none, ttl.sh, ghcr, or host[:port]/namespace, e.g. registry.example.com/team",
    );
  }
  if (namespace !== "" && !parseReference(`${host}/${namespace}/x`).ok) {
    throw invalid(
      `"${namespace}" is not a valid repository namespace`,
      "lowercase letters, digits and . _ - separated by /",
    );
  }
  return { kind: "registry", host, namespace };
}

export function repositoryFor(target: PushTarget, repository: string): string {
  switch (target.kind) {
    case "none":
      return `${target.prefix}/${repository}`;
    case "ttl.sh":
      return `ttl.sh/${repository}-${target.runId}`;
    case "ghcr":
      return `ghcr.io/${target.owner}/${repository}`;
    case "registry":
      return [target.host, target.namespace, repository].filter((p) => p !== "").join("/");
  }
}

/** Full refs to push. ttl.sh images carry one tag, the time they live, by its convention. */
export function refsFor(target: PushTarget, repository: string, tags: ImageTags): ImageTags {
  const repo = repositoryFor(target, repository);
  if (target.kind === "ttl.sh") return { immutable: [`${repo}:${target.ttl}`], aliases: [] };
  return {
    immutable: tags.immutable.map((t) => `${repo}:${t}`),
    aliases: tags.aliases.map((t) => `${repo}:${t}`),
  };
}

export function describeTarget(target: PushTarget): string {
  switch (target.kind) {
    case "none":
      return "none";
    case "ttl.sh":
      return "ttl.sh";
    case "ghcr":
      return `ghcr.io/${target.owner}`;
    case "registry":
      return [target.host, target.namespace].filter((p) => p !== "").join("/");
  }
}
