/** Pure builders of docker command lines: tested without docker, printed by --dry-run. */

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
  /** Secret id → file path. Only ids with a file are passed. */
  secrets: Readonly<Record<string, string | undefined>>;
  /** Rebuild every step instead of reusing BuildKit's cache. */
  noCache?: boolean;
  /** FROM image → replacement, as named build contexts. */
  baseContexts?: Readonly<Record<string, string>>;
}

export function buildxBuildArgv(options: BuildxBuildArgs): string[] {
  const argv = ["buildx", "build", "--progress", "plain", "--file", options.dockerfile];
  for (const [key, value] of Object.entries(options.buildArgs))
    argv.push("--build-arg", `${key}=${value}`);
  for (const [key, value] of Object.entries(options.labels))
    argv.push("--label", `${key}=${value}`);
  if (options.platforms.length > 0) argv.push("--platform", options.platforms.join(","));
  for (const tag of options.tags) argv.push("--tag", tag);
  if (options.target) argv.push("--target", options.target);
  for (const [id, file] of Object.entries(options.secrets))
    if (file) argv.push("--secret", `id=${id},src=${file}`);
  if (options.noCache) argv.push("--no-cache");
  // rewrite-timestamp stamps new files with SOURCE_DATE_EPOCH where BuildKit honours it (a
  // docker-container builder); the default docker driver ignores it and keeps build times.
  const output = `type=image,push=${options.push},rewrite-timestamp=true`;
  argv.push("--metadata-file", options.metadataFile, "--output", output, options.context);
  return argv;
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
