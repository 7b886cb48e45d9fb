import { z } from "zod";

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
    .record(z.string(), z.string())
    .optional()
    .describe("Replace external base images: {name: ref}."),
};

export const buildArgs = {
  ...planArgs,
  engine: z.enum(["dagger", "docker", "auto"]).default("auto").describe("Build engine."),
  concurrency: z.number().int().min(1).max(64).optional().describe("Images built at once."),
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
