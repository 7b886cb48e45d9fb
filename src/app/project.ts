import { existsSync } from "node:fs";
import path from "node:path";
import { InvalidConfigError } from "../errors.js";
import type { Diagnostic } from "../model/diagnostics.js";
import { type LoadedCatalog, loadCatalog } from "../model/load-catalog.js";
import { checkPipelineTargets, type LoadedPipeline, loadPipeline } from "../model/load-pipeline.js";

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
