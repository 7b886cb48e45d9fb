import { z } from "zod";
import {
  envName,
  imageName,
  platform,
  registryPrefix,
  repoPath,
  stringMap,
  tag,
  tagTemplate,
} from "./fields.js";

export const CATALOG_SCHEMA_VERSION = 1;

const packageList = z.array(z.string().min(1)).min(1);

export const copyStepSchema = z
  .strictObject({
    src: repoPath.describe("Source path inside the image's build context."),
    dest: z.string().min(1).describe("Destination path in the image."),
    chown: z.string().optional().describe("Owner of the copied files, user[:group]."),
    chmod: z
      .string()
      .regex(/^[0-7]{3,4}$/, "is not an octal mode")
      .optional()
      .describe("Mode of the copied files, octal, e.g. 0755."),
  })
  .describe("Copy files from the build context into the image.");

const STEP_KINDS = ["apt", "env", "run", "npm", "pip", "copy", "workdir", "user"] as const;
export type StepKind = (typeof STEP_KINDS)[number];

export const stepSchema = z
  .strictObject({
    apt: packageList.optional().describe("Debian/Ubuntu packages installed with apt-get."),
    env: z.record(envName, z.string()).optional().describe("Environment variables to set."),
    run: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
      .optional()
      .describe("Shell command(s) to run; a list runs as one layer joined with &&."),
    npm: packageList.optional().describe("npm packages installed globally (npm install -g)."),
    pip: packageList.optional().describe("Python packages installed with pip."),
    copy: copyStepSchema.optional(),
    workdir: z.string().min(1).optional().describe("Working directory for later steps."),
    user: z.string().min(1).optional().describe("User (name or uid[:gid]) for later steps."),
  })
  .superRefine((step, ctx) => {
    const kinds = Object.keys(step).filter((k) => step[k as StepKind] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: "custom",
        message:
          kinds.length === 0
            ? "a step needs exactly one action"
            : `a step has one action, this one has ${kinds.join(", ")}`,
        params: {
          hiltCode: "INVALID_STEP",
          hint: `write each of ${STEP_KINDS.join(", ")} as its own list item`,
        },
      });
    }
  })
  .describe("One build step: exactly one of apt, env, run, npm, pip, copy, workdir, user.");
export type Step = z.infer<typeof stepSchema>;

export const imageSchema = z
  .strictObject({
    description: z.string().optional().describe("What the image is for; becomes a label."),
    from: z
      .string()
      .min(1)
      .describe(
        "Base: an external image reference (debian:bookworm-slim) or the name of another catalog image, which makes this one its child.",
      ),
    steps: z.array(stepSchema).optional().describe("Declarative build steps, in order."),
    dockerfile: repoPath
      .optional()
      .describe(
        "Escape hatch: a Dockerfile (relative to the repository root) instead of steps. The parent reference reaches it as the build argument PARENT_IMAGE.",
      ),
    context: repoPath
      .optional()
      .describe(
        "Build context directory relative to the repository root; defaults to the Dockerfile's folder, or the root for copy steps.",
      ),
    target: z.string().optional().describe("Dockerfile stage to build."),
    buildArgs: stringMap.optional().describe("Build arguments for the Dockerfile (never secrets)."),
    entrypoint: z.array(z.string()).optional().describe("Image ENTRYPOINT, exec form."),
    cmd: z.array(z.string()).optional().describe("Image CMD, exec form."),
    platforms: z.array(platform).min(1).optional().describe("Platforms; default from defaults."),
    labels: stringMap.optional().describe("Extra OCI labels."),
    provides: z
      .array(z.string().regex(/^[a-z0-9][a-z0-9.+_-]*$/, "is not a capability name"))
      .optional()
      .describe("Capabilities this image adds; children inherit their parent's."),
    tags: z.array(tagTemplate).optional().describe("Extra tag templates for this image."),
    repository: imageName
      .optional()
      .describe("Repository name to push as; defaults to the image's key."),
  })
  .superRefine((image, ctx) => {
    if (image.dockerfile !== undefined && image.steps !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["dockerfile"],
        message: "an image has either steps or a dockerfile, not both",
        params: {
          hiltCode: "STEPS_AND_DOCKERFILE",
          hint: "move the steps into the Dockerfile, or drop the dockerfile key",
        },
      });
    }
    for (const key of ["target", "buildArgs"] as const) {
      if (image[key] !== undefined && image.dockerfile === undefined) {
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: `${key} only applies to an image built from a dockerfile`,
          params: { hiltCode: "DOCKERFILE_ONLY", hint: `remove ${key}, or add dockerfile` },
        });
      }
    }
  })
  .describe("One image of the catalog.");
export type ImageSpec = z.infer<typeof imageSchema>;

export const runtimeSchema = z
  .strictObject({
    registry: registryPrefix
      .optional()
      .describe(
        "Where runtime images are pulled from, e.g. ghcr.io/OWNER; refs are REGISTRY/NAME:TAG.",
      ),
    tag: tag.default("latest").describe("Tag used for runtime refs."),
    session: imageName.optional().describe("Image for interactive sessions (TTYD_IMAGE)."),
    task: z
      .strictObject({
        default: imageName.optional().describe("Image for tasks (TASK_IMAGE_DEFAULT)."),
        providers: z
          .record(z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "is not a provider name"), imageName)
          .default({})
          .describe("Image per task provider (TASK_IMAGE_<PROVIDER>)."),
      })
      .default({ providers: {} }),
  })
  .describe("Runtime selection contract: which image a session or a task runs in.");

export const catalogSchema = z
  .strictObject({
    schemaVersion: z.literal(CATALOG_SCHEMA_VERSION).describe("Catalog format version."),
    defaults: z
      .strictObject({
        platforms: z.array(platform).min(1).default(["linux/amd64"]),
        labels: stringMap.default({}),
      })
      .default({ platforms: ["linux/amd64"], labels: {} })
      .describe("Values every image inherits unless it sets its own."),
    images: z.record(imageName, imageSchema).describe("Images keyed by name."),
    groups: z
      .record(imageName, z.array(z.string()).min(1))
      .default({})
      .describe("Named sets of images (or other groups) to build together."),
    runtime: runtimeSchema.optional(),
  })
  .describe("Hilt catalog: layered container images built in dependency order.");

export type CatalogInput = z.input<typeof catalogSchema>;
export type Catalog = z.infer<typeof catalogSchema>;
export type RuntimeSpec = z.infer<typeof runtimeSchema>;
