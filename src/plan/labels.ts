import type { ImageSpec } from "../model/catalog-schema.js";
import { type GitInfo, parseSemver } from "./tags.js";

/** https URL of a git remote (ssh or https form), for org.opencontainers.image.source. */
export function sourceUrl(remote: string | undefined): string | undefined {
  if (!remote) return undefined;
  const ssh = /^(?:ssh:\/\/)?git@([^:/]+)[:/](.+?)(?:\.git)?$/.exec(remote);
  if (ssh) return `https://${ssh[1]}/${ssh[2]}`;
  const https = /^https?:\/\/(?:[^@/]+@)?(.+?)(?:\.git)?$/.exec(remote);
  return https ? `https://${https[1]}` : undefined;
}

/**
 * OCI annotations as labels, by key in code-unit order: the same in every locale (and no ICU
 * collator to set up, which costs a start about a tenth of Node's own). `created` is the commit
 * time, never "now", so rebuilds match.
 */
export function ociLabels(options: {
  name: string;
  image: ImageSpec;
  defaults: Readonly<Record<string, string>>;
  git: GitInfo;
}): Record<string, string> {
  const { git, image } = options;
  const version = parseSemver(git.tag)?.version ?? git.branch ?? git.sha?.slice(0, 7);
  const source = sourceUrl(git.remoteUrl);
  const labels: Record<string, string> = {
    "org.opencontainers.image.title": options.name,
    ...(image.description ? { "org.opencontainers.image.description": image.description } : {}),
    ...(source ? { "org.opencontainers.image.source": source } : {}),
    ...(git.sha ? { "org.opencontainers.image.revision": git.sha } : {}),
    ...(git.commitTime ? { "org.opencontainers.image.created": git.commitTime } : {}),
    ...(version ? { "org.opencontainers.image.version": version } : {}),
    ...options.defaults,
    ...image.labels,
  };
  return Object.fromEntries(
    Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}
