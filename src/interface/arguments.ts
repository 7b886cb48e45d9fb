import { z } from "zod";
import { parseReference } from "../model/oci.js";

/** Arguments of Hilt's operations, shared by the MCP server's tool schemas and its handlers. */
const root = z
  .string()
  .optional()
  .describe("Repository root (default: the server's working directory).");
const push = z
  .string()
  .optional()
  .describe("none | ttl.sh | ghcr | ghcr.io/OWNER | host[:port]/namespace");

export const detectArgs = {
  path: z.string().default(".").describe("Repository folder to detect services in."),
};

export const planArgs = {
  root,
  targets: z
    .array(z.string())
    .optional()
    .describe("Catalog images or groups, or repository folders."),
  pipeline: z.string().optional().describe("Pipeline name in pipelines/ or a path."),
  catalog: z
    .string()
    .optional()
    .describe("Catalog file (default: the pipeline's, else catalog.yaml)."),
  push,
  platforms: z.array(z.string()).optional().describe("Platforms, e.g. linux/amd64."),
  baseImages: z
    .record(
      z.string().min(1),
      z.string().superRefine((ref, ctx) => {
        // The reason quotes parts of the ref: keep it short.
        const parsed =
          ref.length > 512
            ? { ok: false as const, reason: "is longer than 512 characters" }
            : parseReference(ref);
        if (!parsed.ok)
          ctx.addIssue({ code: "custom", message: `not an image reference: ${parsed.reason}` });
      }),
    )
    .optional()
    .describe("Replace external base images: {name: ref}."),
};

export const buildArgs = {
  ...planArgs,
  engine: z.enum(["dagger", "docker", "auto"]).default("auto").describe("Build engine."),
  concurrency: z.number().int().min(1).max(64).optional().describe("Images built at once."),
  buildSecrets: z
    .boolean()
    .default(false)
    .describe(
      "Give the builds of repository services the registry token (NPM_TOKEN) too; by default they get only the registry URL and CA, since their install scripts are untrusted.",
    ),
};

export const resolveImageArgs = {
  root,
  mode: z.enum(["session", "task"]).describe("An interactive session or a task."),
  provider: z.string().optional().describe("Task provider, e.g. claude, codex."),
  needs: z.array(z.string()).optional().describe("Capabilities the image must provide."),
};

export const generateArgs = {
  path: z.string().default(".").describe("Repository folder."),
  roles: z
    .boolean()
    .default(false)
    .describe("One role-switch Dockerfile for a client/server repository."),
};
