import { z } from "zod";
import { stepSchema } from "../model/catalog-schema.js";

export const PLAN_SCHEMA_VERSION = 1;

const refsSchema = z.object({
  immutable: z.array(z.string()).describe("Pushed first; never move."),
  aliases: z.array(z.string()).describe("Moving tags, moved after the immutable ones."),
});

export const buildSpecSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("steps"),
    steps: z.array(stepSchema),
    context: z.string().optional(),
  }),
  z.object({
    type: z.literal("dockerfile"),
    dockerfile: z
      .string()
      .describe("Relative to the repository root, or absolute for generated ones."),
    context: z.string(),
    target: z.string().optional(),
    buildArgs: z.record(z.string(), z.string()),
    baseContexts: z
      .record(z.string(), z.string())
      .optional()
      .describe("FROM images of an existing Dockerfile replaced through base-image mappings."),
  }),
]);

export const planNodeSchema = z.object({
  kind: z
    .enum(["catalog", "service"])
    .describe("A catalog image, or a service detected in a repository."),
  name: z.string(),
  repository: z.string().describe("Repository the image is pushed as, with the target's prefix."),
  parents: z.array(z.string()).describe("Catalog images this one is built from."),
  from: z.discriminatedUnion("type", [
    z.object({ type: z.literal("image"), name: z.string() }),
    z.object({ type: z.literal("external"), ref: z.string() }),
  ]),
  platforms: z.array(z.string()),
  inputHash: z.string().describe("sha256 of the spec, context, parent's hash and platforms."),
  contentTag: z.string(),
  wave: z.number().int(),
  build: buildSpecSchema,
  entrypoint: z.array(z.string()).optional(),
  cmd: z.array(z.string()).optional(),
  labels: z.record(z.string(), z.string()),
  provides: z.array(z.string()).describe("Capabilities, the parent's included."),
  refs: refsSchema,
  service: z
    .object({
      path: z.string(),
      role: z.enum(["client", "server", "service"]),
      port: z.number().int().nullable(),
      generated: z
        .boolean()
        .describe("The Dockerfile was generated (in a temporary folder) by Hilt."),
    })
    .optional()
    .describe("For service nodes: where the service lives and what it serves."),
});

export const planSchema = z.object({
  schemaVersion: z.literal(PLAN_SCHEMA_VERSION),
  kind: z.literal("hilt.plan"),
  catalog: z.string(),
  push: z.string().describe("none, ttl.sh, ghcr.io/OWNER or host/namespace."),
  git: z.object({
    sha: z.string().optional(),
    branch: z.string().optional(),
    tag: z.string().optional(),
  }),
  nodes: z.array(planNodeSchema),
  waves: z.array(z.array(z.string())),
  criticalPath: z.object({ nodes: z.array(z.string()), length: z.number() }),
});

export type BuildGraph = z.infer<typeof planSchema>;
export type PlanNode = z.infer<typeof planNodeSchema>;
export type BuildSpec = z.infer<typeof buildSpecSchema>;
