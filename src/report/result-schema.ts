import { z } from "zod";

import { RESULT_SCHEMA_VERSION } from "./failure-result.js";

export { RESULT_SCHEMA_VERSION };

export const errorInfoSchema = z.object({
  code: z.string().describe("Stable error code, e.g. ENGINE_UNAVAILABLE."),
  message: z.string(),
  hint: z.string().optional(),
  log: z.string().optional().describe("The end of the failing build's log, when there is one."),
});

const bytes = z.number().int().nonnegative();

export const imageSizeSchema = z
  .object({
    compressed: bytes
      .optional()
      .describe(
        "Bytes a pull downloads: the manifest's layers plus its config, for the largest platform. Known when the image was pushed.",
      ),
    uncompressed: bytes
      .optional()
      .describe("Bytes unpacked, as the local image store counts them; when it holds the image."),
    added: bytes
      .optional()
      .describe(
        "Compressed bytes of the layers this image adds over its parent (the largest platform's).",
      ),
    addedUncompressed: bytes
      .optional()
      .describe("Unpacked bytes this image adds over its parent, when both are in the store."),
    platforms: z
      .record(z.string(), z.object({ compressed: bytes, added: bytes.optional() }))
      .optional()
      .describe("Compressed size and added bytes per platform, read from the registry."),
    budget: z
      .object({
        maxSize: bytes.describe("The catalog's maxSize, in bytes (compressed)."),
        exceeded: z.boolean().nullable().describe("null: not checked (no compressed size)."),
        onExceed: z.enum(["fail", "warn"]),
      })
      .optional()
      .describe("The image's size budget from the catalog, and whether it held."),
  })
  .describe("What the image weighs; fields are present only when known.");

export const imageResultSchema = z.object({
  name: z.string(),
  kind: z.enum(["catalog", "service"]),
  status: z.enum(["built", "cached", "skipped", "failed"]),
  refs: z.array(z.string()).describe("Every ref pushed (or tagged locally), immutable first."),
  digest: z.string().nullable().describe("Manifest digest as the registry reports it."),
  platforms: z
    .array(z.string())
    .describe(
      "Platforms of the image: as pushed (read back from the registry) when it was pushed.",
    ),
  parents: z.array(z.string()),
  durationMs: z.number().nonnegative(),
  error: errorInfoSchema.nullable(),
  size: imageSizeSchema.optional(),
});

export const resultSchema = z.object({
  schemaVersion: z.literal(RESULT_SCHEMA_VERSION),
  kind: z.literal("hilt.result"),
  ok: z.boolean(),
  engine: z.enum(["dagger", "docker", "none"]).describe("Backend that ran the builds."),
  builder: z
    .string()
    .optional()
    .describe("The buildx builder the docker backend built on, when it chose one."),
  push: z.string(),
  images: z.array(imageResultSchema),
  client: z
    .string()
    .nullable()
    .describe("Ref of the client service image, for client/server repos."),
  server: z
    .string()
    .nullable()
    .describe("Ref of the server service image, for client/server repos."),
  ports: z.record(z.string(), z.number().int()).describe("Detected port per service."),
  durationMs: z.number().nonnegative(),
  error: errorInfoSchema.nullable().describe("Why the run as a whole failed, if it did."),
  diagnostics: z
    .array(
      z.object({
        code: z.string(),
        severity: z.enum(["error", "warning"]),
        file: z.string(),
        line: z.number().int(),
        column: z.number().int(),
        path: z.string(),
        message: z.string(),
        hint: z.string().optional(),
      }),
    )
    .optional()
    .describe("Located problems in the catalog or pipeline, when that is why the run failed."),
});

export type ImageResult = z.infer<typeof imageResultSchema>;
export type ImageSize = z.infer<typeof imageSizeSchema>;
export type HiltResult = z.infer<typeof resultSchema>;

export { failureResult } from "./failure-result.js";
