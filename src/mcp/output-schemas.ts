import { z } from "zod";
import type { DetectResult } from "../detect/types.js";
import type { GeneratedFile } from "../generate/generate.js";
import type { Resolution } from "../runtime/resolve-image.js";

/** What each MCP tool returns as structuredContent, declared as its outputSchema. */

const fact = <T extends z.ZodType>(value: T) =>
  z.object({ value, source: z.string().describe("Where the fact came from.") });

// Loose on purpose: detection learns new languages, package managers and facts; a client
// reading the known fields must not reject a newer server's output.
const serviceShape = {
  name: z.string(),
  path: z.string().describe('Folder relative to the repository root; "." for the root.'),
  role: fact(z.enum(["client", "server", "service"])),
  language: fact(z.string().describe("node, bun, python, go, static, …, or unknown.")),
  kind: fact(z.string().describe("service (long-running) or job (runs once).")).optional(),
  packageManager: fact(z.string().describe("npm, pnpm, yarn, pip, uv, go, …")).optional(),
  packageManagerVersion: fact(z.string()).optional(),
  runtimeVersion: fact(z.string()).optional(),
  framework: fact(z.string()).optional(),
  spa: z.boolean(),
  buildCommand: fact(z.string()).optional(),
  startCommand: fact(z.string()).optional(),
  outputDir: fact(z.string()).optional(),
  port: fact(z.number().int()).optional(),
  context: fact(z.string()),
  dockerfile: fact(z.string()).optional(),
  entry: fact(z.string()).optional(),
};
const serviceSchema = z.looseObject(serviceShape);

export const detectResultSchema = z.object({
  schemaVersion: z.literal(1),
  kind: z.literal("hilt.detect"),
  root: z.string(),
  services: z.array(serviceSchema),
  client: z.string().nullable(),
  server: z.string().nullable(),
  ports: z.record(z.string(), z.number().int()),
  warnings: z.array(z.string()),
});

export const resolutionSchema = z.object({
  mode: z.enum(["session", "task"]),
  provider: z.string().nullable(),
  image: z.string(),
  source: z.string().describe("The rule that decided: a variable's name, catalog.runtime.…"),
  catalogImage: z.string().nullable(),
});

export const generatedSchema = z.object({
  files: z.array(
    z.object({ path: z.string(), content: z.string(), executable: z.boolean().optional() }),
  ),
  skipped: z.array(z.string()).describe("Services nothing was generated for, and why."),
  written: z
    .array(z.string())
    .optional()
    .describe("Repository-relative paths written, when write was asked for."),
});

// The schemas must describe what the code returns: these fail to compile when a type drifts.
type Accepts<S extends z.ZodType, T extends z.input<S>> = T;
type StrictDetect = Omit<typeof detectResultSchema.shape, "services"> & {
  services: z.ZodArray<z.ZodObject<typeof serviceShape>>;
};
export type _DetectFits = Accepts<z.ZodObject<StrictDetect>, DetectResult>;
export type _ResolutionFits = Accepts<typeof resolutionSchema, Resolution>;
export type _GeneratedFits = Accepts<typeof generatedSchema, { files: GeneratedFile[] } & Skipped>;
type Skipped = { skipped: string[] };

/**
 * A zod schema as an MCP outputSchema: without the `$schema` marker (clients' validators default
 * to their own draft and reject a `$schema` they do not load), and in the most portable spelling:
 * one `type` per branch (`anyOf` for nullable fields), `true` for "any further properties".
 */
export function outputSchema(schema: z.ZodType): { type: "object" } & Record<string, unknown> {
  const { $schema: _, ...json } = z.toJSONSchema(schema, { io: "output", unrepresentable: "any" });
  return portable(json) as { type: "object" } & Record<string, unknown>;
}

function portable(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(portable);
  if (node === null || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "additionalProperties" && isEmptyObject(value)) out[key] = true;
    else if (key === "properties" || key === "$defs" || key === "definitions")
      out[key] = Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, portable(v)]),
      );
    else out[key] = portable(value);
  }
  if (Array.isArray(out.type) && !("anyOf" in out)) {
    const { type, ...rest } = out;
    return { ...rest, anyOf: (type as string[]).map((t) => ({ type: t })) };
  }
  return out;
}

function isEmptyObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && Object.keys(value).length === 0;
}
