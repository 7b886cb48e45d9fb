import { renderTemplate } from "../model/fields.js";
import { isValidTag } from "../model/oci.js";
import type { TagPolicy } from "../model/pipeline-schema.js";

/** What the tag policy knows about the commit being built. */
export interface GitInfo {
  sha?: string;
  branch?: string;
  /** A git tag pointing at the commit, e.g. v1.2.3. */
  tag?: string;
  remoteUrl?: string;
  /** Commit time, ISO 8601: used as the images' `created`, so rebuilds are reproducible. */
  commitTime?: string;
}

export interface ImageTags {
  /** Pushed first; never move. */
  immutable: string[];
  /** Moved only after the immutable tags (and, by default, the whole run) succeeded. */
  aliases: string[];
}

const SEMVER =
  /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$/;

export interface Semver {
  major: number;
  minor: number;
  patch: number;
  prerelease: string | undefined;
  version: string;
}

export function parseSemver(tag: string | undefined): Semver | undefined {
  const m = tag ? SEMVER.exec(tag) : null;
  if (!m) return undefined;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const version = `${major}.${minor}.${patch}${m[4] ? `-${m[4]}` : ""}${m[5] ? `-${m[5]}` : ""}`;
  return { major, minor, patch, prerelease: m[4], version };
}

/** Branch → tag the way docker/metadata-action does: runs of invalid characters become "-". */
export function sanitizeBranch(branch: string): string {
  return branch
    .replace(/^refs\/heads\//, "")
    .replace(/[^a-zA-Z0-9._-]+/g, "-")
    .replace(/^[.-]+/, "")
    .slice(0, 128);
}

export function templateValues(
  git: GitInfo,
  inputHash: string,
  name: string,
  date: string,
): Record<string, string> {
  const semver = parseSemver(git.tag);
  return {
    sha: git.sha ?? "",
    sha7: git.sha?.slice(0, 7) ?? "",
    branch: git.branch ? sanitizeBranch(git.branch) : "",
    version: semver?.version ?? "",
    hash: inputHash.slice(0, 12),
    name,
    date,
  };
}

export function contentTag(inputHash: string): string {
  return `input-${inputHash.slice(0, 12)}`;
}

/** Tags for one image: immutable ones first, moving aliases after, no duplicates. */
export function computeTags(options: {
  policy: TagPolicy;
  git: GitInfo;
  inputHash: string;
  name: string;
  date: string;
  templates: readonly string[];
}): ImageTags {
  const { policy, git, inputHash } = options;
  const immutable: string[] = [];
  const aliases: string[] = [];
  const semver = policy.semver ? parseSemver(git.tag) : undefined;

  if (policy.sha && git.sha) immutable.push(`sha-${git.sha.slice(0, 7)}`);
  if (policy.content) immutable.push(contentTag(inputHash));
  if (semver) {
    immutable.push(semver.version);
    if (!semver.prerelease) {
      aliases.push(`${semver.major}.${semver.minor}`);
      // 0.x promises nothing across minors, so a bare "0" alias would mislead.
      if (semver.major > 0) aliases.push(`${semver.major}`);
    }
  }
  const onBranch = git.branch !== undefined && git.branch !== "" && !git.tag;
  if (policy.branch && onBranch) aliases.push(sanitizeBranch(git.branch ?? ""));

  const values = templateValues(git, inputHash, options.name, options.date);
  for (const template of [...policy.extra, ...options.templates]) {
    const tag = renderTemplate(template, values);
    if (!isValidTag(tag)) continue; // e.g. {{version}} outside a release: nothing to tag
    const pinned = /\{\{\s*(sha|sha7|hash|version)\s*\}\}/.test(template);
    (pinned ? immutable : aliases).push(tag);
  }

  const latest =
    policy.latest === "always" ||
    (policy.latest === "auto" &&
      ((semver !== undefined && !semver.prerelease) ||
        (onBranch && git.branch === policy.defaultBranch)));
  if (latest) aliases.push("latest");

  const unique = [...new Set(immutable)];
  return { immutable: unique, aliases: [...new Set(aliases)].filter((t) => !unique.includes(t)) };
}
