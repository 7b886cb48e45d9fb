import { z } from "zod";
import { buildArgs, planArgs } from "../interface/arguments.js";
import { planSchema } from "../plan/plan-schema.js";
import { resultSchema } from "../report/result-schema.js";
import { JOB_KINDS, JOB_STATUSES } from "./store/types.js";

/**
 * The HTTP API's documents. Job options reuse the MCP tools' argument schemas (the CLI's flags
 * by their camelCase names); `root` is replaced by the job's `workspace`.
 */

// Picked by name, so a field the MCP tools gain later is not accepted here without its flag.
// buildSecrets is left out on purpose: a remote caller must not hand the server's npm token to
// an untrusted repository's install scripts.
const targets = z
  .array(z.string().min(1).max(4096))
  .max(200)
  .describe("Catalog images or groups, or repository folders (relative to the workspace).");
const planShape = {
  targets: targets.optional(),
  pipeline: planArgs.pipeline,
  catalog: planArgs.catalog,
  push: planArgs.push,
  platforms: z.array(z.string().max(100)).max(20).optional().describe("e.g. linux/amd64."),
  baseImages: planArgs.baseImages,
};

export const planOptionsSchema = z.strictObject(planShape);
export const buildOptionsSchema = z.strictObject({
  ...planShape,
  engine: buildArgs.engine,
  concurrency: buildArgs.concurrency,
  noCache: z.boolean().optional().describe("Rebuild everything: no content-tag lookup, no cache."),
  timeout: z
    .number()
    .int()
    .min(1)
    .max(24 * 3600)
    .optional()
    .describe("Stop the whole run after this many seconds."),
});
export const detectOptionsSchema = z.strictObject({});

const workspace = z
  .string()
  .max(4096)
  .default(".")
  .describe("Folder under the server's workspace root (relative); it must stay inside it.");

/** A git repository to clone for the job (src/serve/sources/git-url.ts says what is allowed). */
export const gitSourceSchema = z
  .strictObject({
    git: z
      .string()
      .min(1)
      .max(2048)
      .describe(
        "https:// URL of a public repository (http:// and git:// only from hosts the server allows; no credentials, file://, ssh or ext::).",
      ),
    ref: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .describe("Branch, tag or full commit id (default HEAD: the remote's default branch)."),
  })
  .describe(
    "Clone this repository (depth 1) into the job's own folder instead of using a workspace folder; the workspace field then names a folder inside it. The commit is looked up at submit and stored with the job.",
  );

const source = gitSourceSchema.optional();

export const jobRequestSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("build"),
    workspace,
    options: buildOptionsSchema.extend({ targets: targets.min(1) }),
    source,
  }),
  z.strictObject({
    kind: z.literal("build-all"),
    workspace,
    options: buildOptionsSchema.default({ engine: "auto" }),
    source,
  }),
  z.strictObject({
    kind: z.literal("plan"),
    workspace,
    options: planOptionsSchema.default({}),
    source,
  }),
  z.strictObject({
    kind: z.literal("detect"),
    workspace,
    options: detectOptionsSchema.default({}),
    source,
  }),
]);

/** POST /jobs/archive's query: the job's fields, its options as one JSON text. */
export const archiveQuerySchema = z.strictObject({
  kind: z.enum(JOB_KINDS),
  // Short enough that the URL, percent-encoded, stays under Node's 16 KiB header limit.
  workspace: z.string().max(256).optional(),
  options: z
    .string()
    .max(1024)
    .optional()
    .describe('The job\'s options as a JSON object, e.g. {"targets":["app"]}.'),
});

/** What a stored job says about its source (the commit built, or the upload's digest). */
const storedSourceSchema = z.union([
  z.object({ git: z.string(), ref: z.string(), commit: z.string() }),
  z.object({
    archive: z.object({
      upload: z.string(),
      format: z.enum(["tar+gzip", "tar"]),
      bytes: z.number().int(),
      sha256: z.string(),
      entries: z.number().int(),
    }),
  }),
]);
export type JobRequestBody = z.output<typeof jobRequestSchema>;

export const errorSchema = z.object({
  error: z.object({
    code: z.string().describe("Stable error code (src/errors.ts), e.g. PATH_OUTSIDE_ROOT."),
    message: z.string(),
    hint: z.string().optional(),
  }),
});

export const jobSchema = z.object({
  id: z.string(),
  kind: z.enum(JOB_KINDS),
  status: z.enum(JOB_STATUSES),
  request: z.object({
    kind: z.enum(JOB_KINDS),
    workspace: z.string(),
    options: z.record(z.string(), z.unknown()),
    source: storedSourceSchema.optional(),
  }),
  owner: z.string().describe("Id of the submitting token (never the token), or local."),
  idempotencyKey: z.string().optional(),
  createdAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  exitCode: z.number().int().optional().describe("The CLI's exit code (see hilt --help)."),
  cancelRequested: z.boolean(),
  result: z
    .union([resultSchema, planSchema, z.looseObject({ kind: z.string() })])
    .optional()
    .describe("The JSON document the CLI printed with --json (in GET /jobs/{id} only)."),
});

export const jobPageSchema = z.object({
  jobs: z.array(jobSchema),
  next: z.string().optional().describe("Pass as cursor for the next (older) page."),
});

export const listQuerySchema = z.strictObject({
  status: z.enum(JOB_STATUSES).optional(),
  kind: z.enum(JOB_KINDS).optional(),
  owner: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});

export const resolveImageQuerySchema = z.strictObject({
  mode: z.enum(["session", "task"]),
  provider: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .optional(),
  needs: z
    .string()
    .max(1000)
    .optional()
    .describe("Capabilities the image must provide, comma-separated."),
  workspace: z.string().max(4096).optional(),
});

export const idempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,200}$/, "1 to 200 visible ASCII characters");

export const healthSchema = z.object({ ok: z.boolean(), version: z.string().optional() });

/** What `hilt resolve-image --json` prints (the runtime selection contract). */
export const resolutionSchema = z.object({
  mode: z.enum(["session", "task"]),
  provider: z.string().nullable(),
  image: z.string(),
  source: z.string().describe("The rule that decided: a variable's name, catalog.runtime.…"),
  catalogImage: z.string().nullable(),
});
