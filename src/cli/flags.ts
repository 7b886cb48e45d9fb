import { statSync } from "node:fs";
import { InvalidArgumentError } from "commander";
import { BUILDER_NAME_PATTERN, PLATFORM_PATTERN } from "../model/fields.js";
import { isValidNameComponent, parseReference } from "../model/oci.js";
import { MAX_TTL_MINUTES, ttlMinutes } from "../model/pipeline-schema.js";

/**
 * Parsers of flag values: each refuses a bad value where it enters, saying what is wrong and how
 * to write it. Commander prefixes the message with the flag and the value; the text after
 * HINT_SEPARATOR becomes the error's hint.
 */
export const HINT_SEPARATOR = "\nhint: ";

function invalid(why: string, hint: string): InvalidArgumentError {
  return new InvalidArgumentError(`${why}${HINT_SEPARATOR}${hint}`);
}

export function list(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(",")
      .map((v) => v.trim())
      .filter((v) => v !== ""),
  ];
}

export function platformList(value: string, previous: string[] = []): string[] {
  const values = list(value);
  if (values.length === 0)
    throw invalid("it names no platform", "write os/arch, e.g. --platform linux/amd64,linux/arm64");
  for (const p of values) {
    if (!PLATFORM_PATTERN.test(p))
      throw invalid(`"${p}" is not a platform`, "write os/arch[/variant], e.g. linux/amd64");
  }
  return [...previous, ...values];
}

export function builderName(value: string): string {
  if (!BUILDER_NAME_PATTERN.test(value))
    throw invalid(
      `"${value}" is not a buildx builder name`,
      "name one that `docker buildx ls` lists, e.g. --builder hilt-buildkit",
    );
  return value;
}

/** `--base-image NAME=REF`: both sides are image references (NAME may omit the tag). */
export function baseImage(
  value: string,
  previous: Record<string, string> = {},
): Record<string, string> {
  const eq = value.indexOf("=");
  const example = "e.g. --base-image debian=registry.example.com/mirror/debian";
  if (eq <= 0) throw invalid("it is not NAME=REF", example);
  const name = value.slice(0, eq);
  const ref = value.slice(eq + 1);
  const parsedName = parseReference(name);
  if (!parsedName.ok) throw invalid(`NAME "${name}" ${parsedName.reason}`, example);
  const parsedRef = parseReference(ref);
  if (!parsedRef.ok) throw invalid(`REF "${ref}" ${parsedRef.reason}`, example);
  if (Object.hasOwn(previous, name))
    throw invalid(`"${name}" is replaced twice`, "give each base image one --base-image");
  return { ...previous, [name]: ref };
}

const MAX_CONCURRENCY = 64;

export function concurrency(value: string): number {
  if (!/^[1-9]\d*$/.test(value) || Number(value) > MAX_CONCURRENCY)
    throw invalid(
      "it is not a whole number from 1 to 64",
      "e.g. --concurrency 4 (default: min(4, cores))",
    );
  return Number(value);
}

/** setTimeout holds at most 2^31-1 ms; a longer delay would fire at once. */
const MAX_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

export function timeoutSeconds(value: string): number {
  const seconds = /^\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
  if (!(seconds > 0) || seconds > MAX_TIMEOUT_SECONDS)
    throw invalid(
      `it is not a number of seconds above 0, at most ${MAX_TIMEOUT_SECONDS}`,
      "e.g. --timeout 1800 for half an hour",
    );
  return seconds;
}

export function ttlDuration(value: string): string {
  const minutes = ttlMinutes(value);
  if (minutes === undefined || minutes > MAX_TTL_MINUTES)
    throw invalid("it is not a duration of at most 24h", "e.g. --ttl 30m, --ttl 2h or --ttl 1d");
  return value;
}

export function waveNumber(value: string): number {
  if (!/^\d+$/.test(value)) throw invalid("it is not a wave number", "waves count from 0");
  return Number(value);
}

/** A git commit: 7 to 64 hex digits (SHA-1 or SHA-256, full or abbreviated). */
export function commitSha(value: string): string {
  if (!/^[0-9a-fA-F]{7,64}$/.test(value))
    throw invalid(
      "it is not a commit id (7 to 64 hex digits)",
      "pass the commit, e.g. --sha $(git rev-parse HEAD)",
    );
  return value.toLowerCase();
}

export function caCertFile(value: string): string {
  let kind: string;
  try {
    const stat = statSync(value);
    kind = stat.isFile() ? "file" : stat.isDirectory() ? "a folder" : "not a regular file";
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    kind = code === "ENOENT" || code === "ENOTDIR" ? "missing" : `unreadable (${code})`;
  }
  if (kind !== "file")
    throw invalid(
      kind === "missing" ? "the file does not exist" : `it is ${kind}`,
      "pass a PEM CA bundle file, e.g. --ca-cert /etc/ssl/certs/ca-certificates.crt",
    );
  return value;
}

export function httpUrl(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || url.hostname === "")
    throw invalid("it is not an http(s) URL", "e.g. --npm-registry https://registry.npmjs.org/");
  if (url.username !== "" || url.password !== "")
    throw invalid(
      "it holds credentials",
      "put the token in ~/.npmrc or NPM_TOKEN, never in a flag (it would show in ps)",
    );
  return value;
}

/** A registry prefix that catalog image names are appended to: host[:port][/namespace]. */
export function registryPrefix(value: string): string {
  const trimmed = value.replace(/\/+$/, "");
  if (trimmed === "" || !parseReference(`${trimmed}/image`).ok)
    throw invalid(
      "it is not a registry prefix",
      "write host[:port][/namespace], e.g. --registry ghcr.io/acme",
    );
  return trimmed;
}

export function providerName(value: string): string {
  if (!isValidNameComponent(value.toLowerCase()))
    throw invalid("it is not a provider name", "lowercase letters, digits and -, e.g. codex");
  return value;
}

export type PushKind = "none" | "ttl.sh" | "ghcr" | "registry";

/** The kind of a push target as the user or the plan spells it (`describeTarget` included). */
export function pushKind(target: string): PushKind {
  const value = target.trim();
  if (value === "" || value === "none" || value === "local") return "none";
  if (value === "ttl.sh") return "ttl.sh";
  if (value === "ghcr" || value === "ghcr.io" || value.startsWith("ghcr.io/")) return "ghcr";
  return "registry";
}

/** Flags that the chosen push target ignores: worth a warning, since the user expected them to. */
export function ignoredFlagWarnings(
  flags: { ttl?: string; owner?: string },
  kind: PushKind,
): string[] {
  const warnings: string[] = [];
  if (flags.ttl !== undefined && kind !== "ttl.sh")
    warnings.push(`--ttl applies only to --push ttl.sh; ignored for this ${kind} target`);
  if (flags.owner !== undefined && kind !== "ghcr")
    warnings.push(`--owner applies only to --push ghcr; ignored for this ${kind} target`);
  return warnings;
}
