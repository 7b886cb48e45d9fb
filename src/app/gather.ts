import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { v4 as uuidv4 } from "uuid";
import { nativePlatform } from "../engine/platform.js";
import { ConfigError, HiltError, InvalidConfigError } from "../errors.js";
import { ContextHasher, dockerignoreFor } from "../fs/context-digest.js";
import { readInside, resolveInside } from "../fs/untrusted.js";
import { readGitInfo } from "../host/git.js";
import { catalogParent, parentMap, withMirrors } from "../model/catalog-rules.js";
import type { Catalog } from "../model/catalog-schema.js";
import { type Pipeline, pipelineSchema } from "../model/pipeline-schema.js";
import type { PlanInputs } from "../plan/assemble.js";
import { mapBaseImage } from "../plan/base-images.js";
import { dockerfileBaseRefs, needsDigest } from "../plan/bases.js";
import { withAncestors } from "../plan/graph.js";
import { contextOf, expandTargets } from "../plan/plan.js";
import type { GitInfo } from "../plan/tags.js";
import { type PushTarget, parsePushTarget } from "../plan/targets.js";
import { credentialsFor } from "../registry/credentials.js";
import { gatherServices } from "../services/prepare.js";
import { resolveBaseDigests } from "./base-digests.js";
import { loadProject, type Project, type ProjectOptions } from "./project.js";

export interface PlanOptions extends ProjectOptions {
  targets?: string[];
  push?: string;
  ttl?: string;
  owner?: string;
  platforms?: string[];
  baseImages?: Record<string, string>;
  git?: Partial<GitInfo>;
  env?: Record<string, string | undefined>;
  runId?: string;
  concurrency?: number;
  /** Do not ask registries for base image digests: bases stay unpinned (hashed by tag). */
  offline?: boolean;
  /** Ask the push registry for each image's last known size (plan only: a build measures). */
  lastKnownSizes?: boolean;
  signal?: AbortSignal;
  /** Trust detected repositories: generated installs get the registry token and run scripts. */
  buildSecrets?: boolean;
}

export function defaultPipeline(): Pipeline {
  return pipelineSchema.parse({ schemaVersion: 1 });
}

/** Written like a path: catalog names can hold neither "/" nor a leading ".". */
export function looksLikePath(target: string): boolean {
  return target.includes("/") || target.startsWith(".");
}

/** A target naming a folder (resolved against `root`) rather than a catalog image or group. */
export function isPathTarget(target: string, catalog?: Catalog, root = "."): boolean {
  if (looksLikePath(target)) return true;
  const known =
    catalog && (Object.hasOwn(catalog.images, target) || Object.hasOwn(catalog.groups, target));
  const full = path.resolve(root, target);
  return !known && existsSync(full) && statSync(full).isDirectory();
}

export const EMPTY_CATALOG: Catalog = {
  schemaVersion: 1,
  defaults: { platforms: ["linux/amd64"], labels: {} },
  images: {},
  groups: {},
};

export interface Gathered {
  project: Project;
  pipeline: Pipeline;
  target: PushTarget;
  inputs: PlanInputs;
  /** Detection warnings; unpinned bases are the plan's own warnings. */
  warnings: string[];
}

/** A path of the catalog or pipeline that must stay inside the repository, real path checked. */
function inside(root: string, relative: string, where: string): string {
  try {
    return resolveInside(root, relative);
  } catch (error) {
    if (error instanceof HiltError && error.code === "PATH_OUTSIDE_ROOT")
      throw new HiltError("PATH_OUTSIDE_ROOT", `${where}: ${relative} leads outside ${root}`, {
        hint: "paths must stay inside the repository, also after following symbolic links",
      });
    throw error;
  }
}

async function loadOrEmpty(options: PlanOptions, onlyPaths: boolean): Promise<Project> {
  try {
    return await loadProject(options);
  } catch (error) {
    // Building repository folders needs no catalog.
    if (
      !onlyPaths ||
      options.catalog ||
      !(error instanceof InvalidConfigError) ||
      error.code !== "FILE_NOT_FOUND"
    )
      throw error;
    const root = path.resolve(options.root ?? ".");
    return {
      root,
      catalog: { catalog: EMPTY_CATALOG, file: "(none)", root },
      pipeline: undefined,
      warnings: [],
    };
  }
}

/**
 * Collects every input of a plan as data: the catalog and pipeline, git facts, the run id,
 * Dockerfile texts, context digests, detected services and base image digests. All reading,
 * process and network work happens here; planning itself (plan/assemble.ts) is pure.
 */
export async function gather(options: PlanOptions = {}): Promise<Gathered> {
  const requested = options.targets && options.targets.length > 0 ? options.targets : undefined;
  const project = await loadOrEmpty(options, requested?.every(looksLikePath) ?? false);
  const { root } = project;
  const pipeline = project.pipeline?.pipeline ?? defaultPipeline();
  const pipelineFile = project.pipeline?.file ?? "pipeline";
  const env = options.env ?? process.env;
  const { catalog } = project.catalog;
  const pathTargets = requested?.filter((t) => isPathTarget(t, catalog, root)) ?? [];
  const nameTargets = requested?.filter((t) => !pathTargets.includes(t)) ?? pipeline.targets;
  const folders = requested
    ? pathTargets.map((t) => path.resolve(root, t))
    : pipeline.sources.map((s, i) => inside(root, s.path, `${pipelineFile}: sources[${i}].path`));
  const withCatalog = requested
    ? nameTargets.length > 0
    : pipeline.targets.length > 0 || pipeline.sources.length === 0;
  const target = parsePushTarget(options.push ?? pipeline.push.registry, {
    ttl: options.ttl ?? pipeline.push.ttl,
    owner: options.owner ?? pipeline.push.owner,
    env,
    runId: options.runId ?? uuidv4(),
  });
  const git = await readGitInfo(root, env, options.git);
  const platforms =
    options.platforms && options.platforms.length > 0 ? options.platforms : pipeline.platforms;
  const baseImages = { ...pipeline.baseImages, ...options.baseImages };
  const mirrored = withMirrors(withCatalog ? catalog : EMPTY_CATALOG, pipeline.mirrors);
  if (withCatalog && mirrored.unknown.length > 0)
    throw new ConfigError(
      "UNKNOWN_MIRROR",
      `${pipelineFile}: mirrors: ${mirrored.unknown.join(", ")} name no step of ${project.catalog.file}`,
      { hint: "key each mirror IMAGE.STEP-ID, after an image's step that has that id" },
    );
  const planCatalog = mirrored.catalog;
  const selected =
    nameTargets.length > 0
      ? withAncestors(parentMap(planCatalog), expandTargets(planCatalog, nameTargets))
      : new Set(Object.keys(planCatalog.images));

  const hasher = new ContextHasher();
  const contextDigests: Record<string, string> = {};
  const dockerfileTexts: Record<string, string> = {};
  const catalogFile = project.catalog.file;
  const baseRefs: string[] = [];
  for (const name of selected) {
    const image = planCatalog.images[name];
    if (!image) continue;
    if (!catalogParent(planCatalog, image.from))
      baseRefs.push(mapBaseImage(image.from, baseImages));
    const context = contextOf(image);
    const contextDir =
      context === undefined
        ? undefined
        : inside(root, context, `${catalogFile}: images.${name}.context`);
    let dockerfile: string | undefined;
    if (image.dockerfile) {
      inside(root, image.dockerfile, `${catalogFile}: images.${name}.dockerfile`);
      // As the backend names the Dockerfile to buildx: BuildKit looks for <that path>.dockerignore.
      dockerfile = path.resolve(root, image.dockerfile);
      const text = readInside(root, image.dockerfile);
      dockerfileTexts[name] = text;
      baseRefs.push(...dockerfileBaseRefs(text, baseImages));
    }
    if (contextDir !== undefined)
      contextDigests[name] = hasher.digest(contextDir, dockerignoreFor(contextDir, dockerfile));
  }

  const services = gatherServices(root, folders, hasher, undefined, {
    trustedInstall: (options.buildSecrets ?? pipeline.buildSecrets) === true,
  });
  for (const build of services.builds)
    baseRefs.push(...dockerfileBaseRefs(build.dockerfileText, baseImages));

  const host = target.kind === "registry" ? target.host : target.kind === "ghcr" ? "ghcr.io" : "";
  const pushCredentials = host ? credentialsFor(host, env) : undefined;
  const lookup = await resolveBaseDigests(baseRefs.filter(needsDigest), {
    ...(options.offline ? { offline: true } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(pushCredentials ? { credentials: { host, value: pushCredentials } } : {}),
  });

  const date = (git.commitTime ?? "1970-01-01").slice(0, 10).replace(/-/g, "");
  return {
    project,
    pipeline,
    target,
    warnings: [
      ...services.warnings,
      ...mirrored.replaced.map(
        (step) => `${step}: replaced by the pipeline's mirrors (the image is not the real one)`,
      ),
    ],
    inputs: {
      catalog: planCatalog,
      catalogFile: withCatalog ? catalogFile : "(none)",
      targets: nameTargets,
      push: target,
      policy: pipeline.tags,
      git,
      ...(platforms ? { platforms } : {}),
      nativePlatform: nativePlatform(),
      baseImages,
      contextDigests,
      dockerfileTexts,
      services: services.builds,
      baseDigests: lookup.digests,
      unpinnedReasons: lookup.reasons,
      date,
    },
  };
}
