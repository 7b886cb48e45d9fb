import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { v4 as uuidv4 } from "uuid";
import { nativePlatform } from "../engine/platform.js";
import { InvalidConfigError } from "../errors.js";
import { contextDigest } from "../fs/context-digest.js";
import { readGitInfo } from "../host/git.js";
import { parentMap } from "../model/catalog-rules.js";
import type { Catalog } from "../model/catalog-schema.js";
import type { Diagnostic } from "../model/diagnostics.js";
import { type LoadedCatalog, loadCatalog } from "../model/load-catalog.js";
import { checkPipelineTargets, type LoadedPipeline, loadPipeline } from "../model/load-pipeline.js";
import { type Pipeline, pipelineSchema } from "../model/pipeline-schema.js";
import { withAncestors } from "../plan/graph.js";
import { contextOf, expandTargets, planBuild } from "../plan/plan.js";
import type { BuildGraph } from "../plan/plan-schema.js";
import { planServices } from "../plan/services.js";
import type { GitInfo } from "../plan/tags.js";
import { type PushTarget, parsePushTarget } from "../plan/targets.js";
import { prepareServices } from "../services/prepare.js";

export interface ProjectOptions {
  /** Repository root; default the current directory. */
  root?: string;
  catalog?: string;
  /** Pipeline name (pipelines/NAME.yaml) or path. Default pipelines/default.yaml when present. */
  pipeline?: string;
}

export interface Project {
  root: string;
  catalog: LoadedCatalog;
  pipeline: LoadedPipeline | undefined;
  warnings: Diagnostic[];
}

function pipelinePath(root: string, pipeline: string | undefined): string | undefined {
  if (pipeline === undefined) {
    const fallback = path.join(root, "pipelines", "default.yaml");
    return existsSync(fallback) ? fallback : undefined;
  }
  return /\.ya?ml$/.test(pipeline)
    ? path.resolve(root, pipeline)
    : path.join(root, "pipelines", `${pipeline}.yaml`);
}

function relativeTo(root: string, file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel.startsWith("..") ? file : rel || path.basename(root);
}

/** Loads and validates the catalog and pipeline; throws InvalidConfigError with every problem. */
export async function loadProject(options: ProjectOptions = {}): Promise<Project> {
  const root = path.resolve(options.root ?? ".");
  const errors: Diagnostic[] = [];
  const warnings: Diagnostic[] = [];
  let pipeline: LoadedPipeline | undefined;
  const pipelineFile = pipelinePath(root, options.pipeline);
  if (pipelineFile) {
    const loaded = await loadPipeline(relativeTo(root, pipelineFile));
    errors.push(...loaded.errors);
    warnings.push(...loaded.warnings);
    pipeline = loaded.value;
  }
  const catalogFile = options.catalog
    ? path.resolve(root, options.catalog)
    : path.join(root, pipeline?.pipeline.catalog ?? "catalog.yaml");
  const catalog = await loadCatalog(relativeTo(root, catalogFile));
  errors.push(...catalog.errors);
  warnings.push(...catalog.warnings);
  if (catalog.value && pipeline) {
    errors.push(...checkPipelineTargets(pipeline, catalog.value.catalog));
  }
  if (errors.length > 0 || !catalog.value) throw new InvalidConfigError(errors);
  return { root: catalog.value.root, catalog: catalog.value, pipeline, warnings };
}

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
}

export function defaultPipeline(): Pipeline {
  return pipelineSchema.parse({ schemaVersion: 1 });
}

async function contextDigests(
  root: string,
  catalog: Catalog,
  names: Iterable<string>,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  await Promise.all(
    [...names].map(async (name) => {
      const image = catalog.images[name];
      const context = image ? contextOf(image) : undefined;
      if (context !== undefined) out[name] = await contextDigest(path.join(root, context));
    }),
  );
  return out;
}

/** Catalog + pipeline + flags → the build graph. Flags win over the pipeline. */
/** A target naming a folder rather than a catalog image or group. */
/** Written like a path: catalog names can hold neither "/" nor a leading ".". */
export function looksLikePath(target: string): boolean {
  return target.includes("/") || target.startsWith(".");
}

export function isPathTarget(target: string, catalog?: Catalog): boolean {
  if (looksLikePath(target)) return true;
  const known =
    catalog && (Object.hasOwn(catalog.images, target) || Object.hasOwn(catalog.groups, target));
  return !known && existsSync(target) && statSync(target).isDirectory();
}

export interface PlanResult {
  project: Project;
  pipeline: Pipeline;
  graph: BuildGraph;
  target: PushTarget;
  warnings: string[];
  /** Removes generated Dockerfiles; call once the plan has been built or printed. */
  cleanup: () => Promise<void>;
}

const EMPTY_CATALOG: Catalog = {
  schemaVersion: 1,
  defaults: { platforms: ["linux/amd64"], labels: {} },
  images: {},
  groups: {},
};

/** Catalog + pipeline + flags → the build graph. Flags win over the pipeline. */
export async function plan(options: PlanOptions = {}): Promise<PlanResult> {
  const requested = options.targets && options.targets.length > 0 ? options.targets : undefined;
  const onlyPaths = requested?.every(looksLikePath) ?? false;
  let project: Project;
  try {
    project = await loadProject(options);
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
    project = {
      root,
      catalog: { catalog: EMPTY_CATALOG, file: "(none)", root },
      pipeline: undefined,
      warnings: [],
    };
  }
  const pipeline = project.pipeline?.pipeline ?? defaultPipeline();
  const env = options.env ?? process.env;
  const { catalog } = project.catalog;
  const pathTargets = requested?.filter((t) => isPathTarget(t, catalog)) ?? [];
  const nameTargets = requested?.filter((t) => !pathTargets.includes(t)) ?? pipeline.targets;
  const sources = requested
    ? pathTargets
    : pipeline.sources.map((s) => path.resolve(project.root, s.path));
  const withCatalog = requested
    ? nameTargets.length > 0
    : pipeline.targets.length > 0 || pipeline.sources.length === 0;
  const push = parsePushTarget(options.push ?? pipeline.push.registry, {
    ttl: options.ttl ?? pipeline.push.ttl,
    owner: options.owner ?? pipeline.push.owner,
    env,
    runId: options.runId ?? uuidv4(),
  });
  const git = await readGitInfo(project.root, env, options.git);
  const platforms =
    options.platforms && options.platforms.length > 0 ? options.platforms : pipeline.platforms;
  const baseImages = { ...pipeline.baseImages, ...options.baseImages };
  const date = (git.commitTime ?? "1970-01-01").slice(0, 10).replace(/-/g, "");
  const catalogForPlan = withCatalog ? catalog : EMPTY_CATALOG;
  const selected =
    nameTargets.length > 0
      ? withAncestors(parentMap(catalogForPlan), expandTargets(catalogForPlan, nameTargets))
      : Object.keys(catalogForPlan.images);
  let graph = planBuild({
    catalog: catalogForPlan,
    catalogFile: withCatalog ? project.catalog.file : "(none)",
    targets: nameTargets,
    push,
    policy: pipeline.tags,
    git,
    platforms,
    baseImages,
    contextDigests: await contextDigests(project.root, catalogForPlan, selected),
    date,
  });
  if (sources.length === 0)
    return { project, pipeline, graph, target: push, warnings: [], cleanup: async () => {} };
  const prepared = await prepareServices(sources);
  graph = planServices(graph, prepared.builds, {
    push,
    policy: pipeline.tags,
    git,
    platforms: platforms ?? [nativePlatform()],
    baseImages,
    date,
  });
  return {
    project,
    pipeline,
    graph,
    target: push,
    warnings: prepared.warnings,
    cleanup: prepared.cleanup,
  };
}
