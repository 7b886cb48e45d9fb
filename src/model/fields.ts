import { z } from "zod";
import { isValidNameComponent, isValidTag, parseReference } from "./oci.js";

/** Extra facts carried on a custom zod issue so diagnostics keep a stable code and a hint. */
export interface IssueParams {
  hiltCode: string;
  hint?: string;
}

function custom(ctx: z.RefinementCtx, message: string, params: IssueParams): void {
  ctx.addIssue({ code: "custom", message, params });
}

/** A buildx builder's name, as `docker buildx create --name` accepts it. */
export const BUILDER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export const PLATFORM_PATTERN =
  /^(linux|windows|darwin|freebsd)\/(amd64|arm64|arm|386|ppc64le|s390x|riscv64|mips64le)(\/v[5-8])?$/;

export const platform = z
  .string()
  .superRefine((value, ctx) => {
    if (!PLATFORM_PATTERN.test(value)) {
      custom(ctx, `"${value}" is not a platform`, {
        hiltCode: "INVALID_PLATFORM",
        hint: "write os/arch[/variant], e.g. linux/amd64 or linux/arm64",
      });
    }
  })
  .describe("A platform as os/arch[/variant], e.g. linux/amd64.");

/**
 * Room for what Hilt puts around a name (registry, owner, ttl.sh's uuid suffix) inside the 255
 * characters a repository name may have.
 */
export const MAX_IMAGE_NAME = 128;

export const imageName = z.string().superRefine((value, ctx) => {
  if (value.length > MAX_IMAGE_NAME) {
    custom(ctx, `the name is ${value.length} characters long, more than ${MAX_IMAGE_NAME}`, {
      hiltCode: "INVALID_IMAGE_NAME",
      hint: `use at most ${MAX_IMAGE_NAME} characters: registries cap a repository name at 255`,
    });
  } else if (!isValidNameComponent(value)) {
    custom(ctx, `"${value}" is not a valid image name`, {
      hiltCode: "INVALID_IMAGE_NAME",
      hint: "use lowercase letters, digits and single . _ - separators, e.g. core-base",
    });
  }
});

export const externalReference = z.string().superRefine((value, ctx) => {
  const parsed = parseReference(value);
  if (!parsed.ok) {
    custom(ctx, `"${value}" is not a valid image reference: it ${parsed.reason}`, {
      hiltCode: "INVALID_REFERENCE",
      hint: "write [registry/]repository[:tag][@sha256:digest], e.g. debian:bookworm-slim",
    });
  }
});

/** Where catalog images are pulled from: host[:port][/namespace], joined with `/NAME:TAG`. */
export const registryPrefix = z.string().superRefine((value, ctx) => {
  const parsed = parseReference(`${value.replace(/\/+$/, "")}/image`);
  if (value.trim() === "" || !parsed.ok || parsed.value.tag || parsed.value.digest) {
    custom(ctx, `"${value}" is not a registry prefix`, {
      hiltCode: "INVALID_REFERENCE",
      hint: "write host[:port][/namespace], e.g. ghcr.io/acme",
    });
  }
});

export const tag = z.string().superRefine((value, ctx) => {
  if (!isValidTag(value)) {
    custom(ctx, `"${value}" is not a valid tag`, {
      hiltCode: "INVALID_TAG",
      hint: "a tag is letters, digits, _ . - (at most 128), not starting with . or -",
    });
  }
});

/** Tag templates may use {{sha}}, {{sha7}}, {{branch}}, {{version}}, {{hash}}, {{name}}, {{date}}. */
export const TEMPLATE_VARIABLES = ["sha", "sha7", "branch", "version", "hash", "name", "date"];
const SAMPLE: Record<string, string> = {
  sha: "0123456789abcdef0123456789abcdef01234567",
  sha7: "0123456",
  branch: "main",
  version: "1.2.3",
  hash: "0123456789ab",
  name: "image",
  date: "20260101",
};

export function renderTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, key: string) => values[key] ?? "");
}

export const tagTemplate = z.string().superRefine((value, ctx) => {
  for (const match of value.matchAll(/\{\{\s*(\w+)\s*\}\}/g)) {
    const variable = match[1] ?? "";
    if (!TEMPLATE_VARIABLES.includes(variable)) {
      custom(ctx, `tag template uses unknown variable {{${variable}}}`, {
        hiltCode: "INVALID_TEMPLATE",
        hint: `known variables: ${TEMPLATE_VARIABLES.map((v) => `{{${v}}}`).join(", ")}`,
      });
      return;
    }
  }
  if (!isValidTag(renderTemplate(value, SAMPLE))) {
    custom(ctx, `"${value}" does not give a valid tag`, {
      hiltCode: "INVALID_TAG",
      hint: "a tag is letters, digits, _ . - (at most 128), not starting with . or -",
    });
  }
});

/** A path inside the repository, relative to the file that names it. */
export const repoPath = z.string().superRefine((value, ctx) => {
  if (value.startsWith("/") || /^[A-Za-z]:[\\/]/.test(value)) {
    custom(ctx, `"${value}" is an absolute path`, {
      hiltCode: "PATH_ABSOLUTE",
      hint: "write it relative to the repository root",
    });
    return;
  }
  let depth = 0;
  for (const segment of value.split(/[\\/]+/)) {
    if (segment === "..") depth--;
    else if (segment !== "." && segment !== "") depth++;
    if (depth < 0) {
      custom(ctx, `"${value}" points outside the repository`, {
        hiltCode: "PATH_ESCAPES_REPO",
        hint: "build contexts and Dockerfiles must live inside the repository",
      });
      return;
    }
  }
});

export const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "is not a valid environment variable name");

export const stringMap = z.record(z.string(), z.string());
