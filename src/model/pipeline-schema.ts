import { z } from "zod";
import { stepSchema } from "./catalog-schema.js";
import {
  BUILDER_NAME_PATTERN,
  externalReference,
  platform,
  repoPath,
  tagTemplate,
} from "./fields.js";

export const PIPELINE_SCHEMA_VERSION = 1;

export const TTL_PATTERN = /^([1-9][0-9]*)([mhd])$/;
export const MAX_TTL_MINUTES = 24 * 60;

export function ttlMinutes(ttl: string): number | undefined {
  const match = TTL_PATTERN.exec(ttl);
  if (!match) return undefined;
  const unit = { m: 1, h: 60, d: 24 * 60 }[match[2] as "m" | "h" | "d"];
  return Number(match[1]) * unit;
}

export const pushSchema = z
  .strictObject({
    registry: z
      .string()
      .min(1)
      .describe('Where to push: "none", "ttl.sh", "ghcr", or host[:port]/namespace.'),
    ttl: z
      .string()
      .regex(TTL_PATTERN, "is not a duration like 30m, 1h or 1d")
      .default("1h")
      .describe("ttl.sh only: how long images live (at most 24h)."),
    owner: z
      .string()
      .optional()
      .describe("ghcr only: the owner; defaults to GITHUB_REPOSITORY_OWNER, lowercased."),
  })
  .describe("Push target.");

export const tagPolicySchema = z
  .strictObject({
    sha: z.boolean().default(true).describe("Immutable sha-<7 hex> tag from the commit."),
    content: z
      .boolean()
      .default(true)
      .describe("Immutable input-<hash> tag; enables skip-unchanged."),
    branch: z.boolean().default(true).describe("Moving tag named after the branch (sanitised)."),
    semver: z.boolean().default(true).describe("On a v1.2.3 git tag: 1.2.3, 1.2 and 1 (not 0)."),
    latest: z
      .enum(["auto", "always", "never"])
      .default("auto")
      .describe("auto: on the default branch, or a non-prerelease semver tag."),
    defaultBranch: z.string().default("main").describe("Branch whose builds move latest."),
    extra: z.array(tagTemplate).default([]).describe("More tag templates for every image."),
  })
  .describe("How images are tagged: immutable tags first, moving aliases after.");
export type TagPolicy = z.infer<typeof tagPolicySchema>;

export const sourceSchema = z
  .strictObject({
    path: repoPath.describe("Repository folder whose services are detected and built."),
    services: z.array(z.string()).optional().describe("Only these services (default: all)."),
  })
  .describe("A repository folder to detect services in.");

export const pipelineSchema = z
  .strictObject({
    schemaVersion: z.literal(PIPELINE_SCHEMA_VERSION).describe("Pipeline format version."),
    name: z.string().optional().describe("Pipeline name; defaults to the file name."),
    description: z.string().optional(),
    catalog: repoPath.default("catalog.yaml").describe("Catalog file, relative to the repository."),
    targets: z
      .array(z.string().min(1))
      .default([])
      .describe("Catalog images or groups to build (their parents come along); empty: none."),
    sources: z.array(sourceSchema).default([]).describe("Repository folders to detect and build."),
    push: pushSchema.default({ registry: "none", ttl: "1h" }),
    tags: tagPolicySchema.default({
      sha: true,
      content: true,
      branch: true,
      semver: true,
      latest: "auto",
      defaultBranch: "main",
      extra: [],
    }),
    platforms: z.array(platform).min(1).optional().describe("Override every image's platforms."),
    concurrency: z
      .number()
      .int()
      .min(1)
      .max(64)
      .optional()
      .describe("Parallel builds; default min(4, cores)."),
    builder: z
      .string()
      .regex(BUILDER_NAME_PATTERN, "is not a buildx builder name")
      .optional()
      .describe(
        "docker engine: the buildx builder to build on (after --builder and HILT_BUILDER); default: Hilt chooses.",
      ),
    cache: z
      .enum(["registry", "inline", "gha", "none"])
      .optional()
      .describe(
        "Layer cache beyond the builder's own: registry (<repository>:buildcache, mode=max), inline, gha (GitHub Actions), none. Default: registry when pushing to a registry on a builder that can export it, else inline.",
      ),
    baseImages: z
      .record(externalReference, externalReference)
      .default({})
      .describe("Replace external base images: {debian:bookworm-slim: registry.local/debian:12}."),
    mirrors: z
      .record(
        z.string().regex(/^[a-z0-9][a-z0-9._-]*\.[a-z0-9][a-z0-9-]*$/, "is not IMAGE.STEP-ID"),
        stepSchema,
      )
      .default({})
      .describe(
        "Replace catalog steps that download from the internet, keyed IMAGE.STEP-ID (the step's id): the same file from a mirror, or a stand-in where none can be reached. The replacement changes the image's input hash and is named in its label dev.hilt.mirrored-steps, so it is never taken for the real image.",
      ),
    buildSecrets: z
      .boolean()
      .default(false)
      .describe(
        "Trust the sources' repositories: their builds get the npm/pip token and run install scripts. Off by default: detected repositories are untrusted.",
      ),
  })
  .describe("Hilt pipeline: a named run of builds.");
export type Pipeline = z.infer<typeof pipelineSchema>;
