/** Pure builders of docker command lines: tested without docker, printed by --dry-run. */
import { pinnedRef } from "../../plan/bases.js";
import type { PlanNode } from "../../plan/plan-schema.js";
import { PARENT_ARG } from "../../render/dockerfile.js";
import { SECRET_MOUNTS, type SecretName } from "../../render/secret-mounts.js";

export interface BuildxBuildArgs {
  context: string;
  dockerfile: string;
  buildArgs: Readonly<Record<string, string>>;
  labels: Readonly<Record<string, string>>;
  platforms: readonly string[];
  tags: readonly string[];
  push: boolean;
  metadataFile: string;
  target?: string;
  /** Secret name → file path. Only secrets with a file are passed. */
  secrets: Readonly<Partial<Record<SecretName, string | undefined>>>;
  /** Rebuild every step instead of reusing BuildKit's cache. */
  noCache?: boolean;
  /** FROM image → replacement image, as named build contexts. */
  baseContexts?: Readonly<Record<string, string>>;
  /** The buildx builder to build on; absent: buildx's current one. */
  builder?: string;
  /** --cache-from / --cache-to flags (engine/docker/cache.ts). */
  cache?: readonly string[];
  /** OCI media types (an OCI image index for several platforms); not on the docker driver. */
  ociMediaTypes?: boolean;
}

export function buildxBuildArgv(options: BuildxBuildArgs): string[] {
  const argv = ["buildx", "build"];
  if (options.builder) argv.push("--builder", options.builder);
  // No provenance attestation: it records build times, so no two digests would be equal.
  argv.push("--progress", "plain", "--provenance", "false", "--file", options.dockerfile);
  for (const [key, value] of Object.entries(options.buildArgs))
    argv.push("--build-arg", `${key}=${value}`);
  for (const [image, replacement] of Object.entries(options.baseContexts ?? {}))
    argv.push("--build-context", `${image}=docker-image://${replacement}`);
  for (const [key, value] of Object.entries(options.labels))
    argv.push("--label", `${key}=${value}`);
  if (options.platforms.length > 0) argv.push("--platform", options.platforms.join(","));
  for (const tag of options.tags) argv.push("--tag", tag);
  if (options.target) argv.push("--target", options.target);
  for (const [name, file] of Object.entries(options.secrets))
    if (file) argv.push("--secret", `id=${SECRET_MOUNTS[name as SecretName].id},src=${file}`);
  if (options.noCache) argv.push("--no-cache");
  argv.push(...(options.cache ?? []));
  // rewrite-timestamp stamps new files with SOURCE_DATE_EPOCH where BuildKit honours it (a
  // remote or docker-container builder); the default docker driver ignores it.
  const media = options.ociMediaTypes ? ",oci-mediatypes=true" : "";
  const output = `type=image,push=${options.push},rewrite-timestamp=true${media}`;
  argv.push("--metadata-file", options.metadataFile, "--output", output, options.context);
  return argv;
}

/** What differs between a real build and a dry run: files, the parent's ref, secrets. */
export interface NodeBuildParts {
  /** The Dockerfile to pass with --file (the rendered or generated one for those nodes). */
  dockerfile: string;
  /** The build context folder. */
  context: string;
  metadataFile: string;
  /** What the image starts from: the parent's exact result, or the (pinned) external base. */
  baseRef: string;
  tags: readonly string[];
  push: boolean;
  noCache: boolean;
  secrets: Readonly<Partial<Record<SecretName, string | undefined>>>;
  sourceDateEpoch: string;
  builder?: string;
  cache?: readonly string[];
  ociMediaTypes?: boolean;
}

/** The one argv of `docker buildx build` for a plan node: the real build and --dry-run share it. */
export function nodeBuildxArgv(node: PlanNode, parts: NodeBuildParts): string[] {
  const dockerfile = node.build.type === "dockerfile" ? node.build : undefined;
  return buildxBuildArgv({
    context: parts.context,
    dockerfile: parts.dockerfile,
    buildArgs: {
      ...(dockerfile?.buildArgs ?? {}),
      [PARENT_ARG]: parts.baseRef,
      SOURCE_DATE_EPOCH: parts.sourceDateEpoch,
    },
    labels: node.labels,
    platforms: node.platforms,
    tags: parts.tags,
    push: parts.push,
    metadataFile: parts.metadataFile,
    noCache: parts.noCache,
    ...(dockerfile?.target ? { target: dockerfile.target } : {}),
    ...(dockerfile?.baseContexts ? { baseContexts: dockerfile.baseContexts } : {}),
    secrets: parts.secrets,
    ...(parts.builder ? { builder: parts.builder } : {}),
    ...(parts.cache ? { cache: parts.cache } : {}),
    ...(parts.ociMediaTypes ? { ociMediaTypes: true } : {}),
  });
}

/** The base a node starts from when it has no catalog parent: the external ref, pinned. */
export function externalBaseRef(node: PlanNode): string | undefined {
  if (node.from.type !== "external") return undefined;
  return pinnedRef(node.from.ref, node.from.digest);
}

/** Digests from buildx's --metadata-file. */
export function parseBuildMetadata(text: string): {
  manifestDigest?: string;
  configDigest?: string;
} {
  const data = JSON.parse(text) as Record<string, unknown>;
  const manifest = data["containerimage.digest"];
  const config = data["containerimage.config.digest"];
  return {
    ...(typeof manifest === "string" ? { manifestDigest: manifest } : {}),
    ...(typeof config === "string" ? { configDigest: config } : {}),
  };
}
