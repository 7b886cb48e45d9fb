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

const isControl = (c: string) => (c < " " && c !== "\t") || c === "\u007f";

/**
 * Text that goes into one rendered Dockerfile instruction: a control character (a newline above
 * all) would end it and start another, so none is taken; nor, where `spaces` is false, a space,
 * which would start another flag of that instruction.
 */
function instructionText(hiltCode: string, hint: string, spaces = true) {
  return z
    .string()
    .min(1)
    .superRefine((value, ctx) => {
      const bad = [...value].find((c) => isControl(c) || c === "\t" || (!spaces && c === " "));
      if (bad !== undefined)
        ctx.addIssue({
          code: "custom",
          message: `${JSON.stringify(value)} holds ${bad === " " ? "a space" : "a control character"}`,
          params: { hiltCode, hint },
        });
    });
}

const packageName = instructionText(
  "INVALID_PACKAGE",
  "write one package per list item, on one line, with no tab or newline",
);

/**
 * A run command: its lines may only continue (end with \), or each would be a Dockerfile
 * instruction of its own; and it may not start with -, which Docker reads as a RUN flag
 * (--mount, --network).
 */
const runCommand = z
  .string()
  .min(1)
  .superRefine((value, ctx) => {
    const issue = (message: string, hint: string) =>
      ctx.addIssue({ code: "custom", message, params: { hiltCode: "INVALID_RUN", hint } });
    // The renderer drops trailing whitespace (a block scalar's last newline).
    const text = value.trimEnd();
    if (/^\s*-/.test(text))
      issue(
        "the command starts with -, which Docker would read as a flag of RUN",
        "start with the command itself; registries and their secrets come through npm and pip steps",
      );
    else if ([...text].some((c) => isControl(c) && c !== "\n" && c !== "\r"))
      issue("the command holds a control character", "remove it; write a tab as \\t in the shell");
    else if (/(^|[^\\])(\r?\n|\r)/.test(text))
      issue(
        "the command spans lines: each line would be a Dockerfile instruction of its own",
        "write a list of commands (one layer, joined with &&), fold it with >-, or end each line with \\",
      );
  });
const packageList = z.array(packageName).min(1);

const PRUNE_CHARS = /^[A-Za-z0-9@._+*?-]+$/;

/**
 * Why a prune pattern is refused, or undefined. A pattern is a path under npm's global
 * node_modules; `*` and `?` are shell globs, never in a segment that starts with a dot, so that
 * no match can be `.` or `..` and nothing outside that folder is reached.
 */
export function pruneProblem(pattern: string): string | undefined {
  if (pattern.length > 200) return "is longer than 200 characters";
  if (pattern.startsWith("/")) return "is an absolute path";
  for (const segment of pattern.split("/")) {
    if (segment === "") return "has an empty segment (// or a trailing /)";
    if (segment === "." || segment === "..") return `has a "${segment}" segment`;
    if (!PRUNE_CHARS.test(segment))
      return "holds a character other than letters, digits, @ . _ + - and the globs * ?";
    if (segment.startsWith(".") && /[*?]/.test(segment))
      return "has a glob in a segment that starts with a dot (it could match . or ..)";
  }
  return undefined;
}

const prunePattern = z.string().superRefine((value, ctx) => {
  const problem = pruneProblem(value);
  if (problem)
    ctx.addIssue({
      code: "custom",
      message: `${JSON.stringify(value)} ${problem}`,
      params: {
        hiltCode: "INVALID_PRUNE",
        hint: "write a path relative to npm's global node_modules, e.g. opencode-ai/node_modules/opencode-linux-*",
      },
    });
});

export const npmStepSchema = z
  .union(
    [
      packageList,
      z.strictObject({
        packages: packageList.describe("npm packages installed globally (npm install -g)."),
        prune: z
          .array(prunePattern)
          .min(1)
          .max(32)
          .optional()
          .describe(
            "Paths to delete, in the same layer, once the install (and its postinstall scripts) ran: relative to npm's global node_modules, with * and ? as globs, e.g. a package's optional binaries for other CPUs. A pattern that matches nothing fails the step.",
          ),
      }),
    ],
    { error: "expected a list of npm packages, or a mapping with packages (and prune)" },
  )
  .describe(
    "npm packages installed globally (npm install -g): a list, or {packages, prune} to also delete what the install left and the image does not need.",
  );
export type NpmStep = z.infer<typeof npmStepSchema>;

/** The package specs of an npm step, in either form. */
export function npmPackages(npm: NpmStep): string[] {
  return Array.isArray(npm) ? npm : npm.packages;
}

/** The prune patterns of an npm step (none for the list form). */
export function npmPrune(npm: NpmStep): string[] {
  return Array.isArray(npm) ? [] : (npm.prune ?? []);
}

/** "300MB", "1.5 GiB", "120000000": decimal units are powers of 1000, binary ones of 1024. */
export const BYTE_SIZE_PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(B|kB|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?\s*$/;
const UNITS: Record<string, number> = {
  B: 1,
  kB: 1e3,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
};

/** Bytes of a size written as a number or "300MB"; undefined when it is not a size. */
export function parseByteSize(value: string | number): number | undefined {
  if (typeof value === "number")
    return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  const match = BYTE_SIZE_PATTERN.exec(value);
  if (!match) return undefined;
  const bytes = Math.round(Number(match[1]) * (UNITS[match[2] ?? "B"] ?? 1));
  return bytes > 0 && Number.isSafeInteger(bytes) ? bytes : undefined;
}

const byteSize = z.union([z.number(), z.string()]).superRefine((value, ctx) => {
  if (parseByteSize(value) === undefined)
    ctx.addIssue({
      code: "custom",
      message: `${JSON.stringify(value)} is not a size`,
      params: {
        hiltCode: "INVALID_SIZE",
        hint: 'write a positive number of bytes (120000000) or a number and a unit ("300MB", "1.5GiB")',
      },
    });
});

export const copyStepSchema = z
  .strictObject({
    src: repoPath.describe("Source path inside the image's build context."),
    dest: z.string().min(1).describe("Destination path in the image."),
    chown: instructionText("INVALID_VALUE", "write user[:group], e.g. 1000:1000", false)
      .optional()
      .describe("Owner of the copied files, user[:group]."),
    chmod: z
      .string()
      .regex(/^[0-7]{3,4}$/, "is not an octal mode")
      .optional()
      .describe("Mode of the copied files, octal, e.g. 0755."),
  })
  .describe("Copy files from the build context into the image.");

const STEP_KINDS = ["apt", "env", "run", "npm", "pip", "copy", "workdir", "user"] as const;
export type StepKind = (typeof STEP_KINDS)[number];

/** A step's optional name: what a pipeline's `mirrors` key says to replace it. */
export const STEP_ID_PATTERN = /^[a-z0-9][a-z0-9-]*$/;

export const stepSchema = z
  .strictObject({
    id: z
      .string()
      .regex(STEP_ID_PATTERN, "is not a step id (lowercase letters, digits and -)")
      .optional()
      .describe(
        "Names the step, e.g. a download from the internet, so that a pipeline's `mirrors` can replace it (IMAGE.ID) where that download cannot be reached.",
      ),
    apt: packageList.optional().describe("Debian/Ubuntu packages installed with apt-get."),
    env: z.record(envName, z.string()).optional().describe("Environment variables to set."),
    run: z
      .union([runCommand, z.array(runCommand).min(1)])
      .optional()
      .describe("Shell command(s) to run; a list runs as one layer joined with &&."),
    npm: npmStepSchema.optional(),
    pip: packageList.optional().describe("Python packages installed with pip."),
    copy: copyStepSchema.optional(),
    workdir: instructionText("INVALID_VALUE", "write one path, on one line")
      .optional()
      .describe("Working directory for later steps."),
    user: instructionText(
      "INVALID_VALUE",
      "write a name or uid[:gid], e.g. agent or 1000:1000",
      false,
    )
      .optional()
      .describe("User (name or uid[:gid]) for later steps."),
  })
  .superRefine((step, ctx) => {
    const kinds = Object.keys(step).filter((k) => k !== "id" && step[k as StepKind] !== undefined);
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
  .describe(
    "One build step: exactly one of apt, env, run, npm, pip, copy, workdir, user (and an optional id).",
  );
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
    maxSize: byteSize
      .optional()
      .describe(
        'Size budget: the most the image may weigh compressed, as a pull downloads it (its layers plus its config, checked for each platform). "300MB" (MB, GB: powers of 1000; MiB, GiB: of 1024) or bytes. Checked once the image is in a registry; a local build, whose compressed size no registry reports, is not checked and says so.',
      ),
    overBudget: z
      .enum(["fail", "warn"])
      .optional()
      .describe(
        "What exceeding maxSize does: fail (default: the image fails, its children are skipped, no moving tag moves to it) or warn.",
      ),
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
    if (image.overBudget !== undefined && image.maxSize === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["overBudget"],
        message: "overBudget says what exceeding maxSize does, and this image has no maxSize",
        params: { hiltCode: "NO_MAX_SIZE", hint: 'add maxSize (e.g. "300MB"), or drop overBudget' },
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
