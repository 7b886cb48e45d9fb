import type { Pipeline } from "../model/pipeline-schema.js";
import { assemblePlan } from "../plan/assemble.js";
import type { BuildGraph } from "../plan/plan-schema.js";
import type { PushTarget } from "../plan/targets.js";
import { gather, type PlanOptions } from "./gather.js";
import { addLastKnownSizes } from "./last-known-sizes.js";
import type { Project } from "./project.js";

export {
  defaultPipeline,
  isPathTarget,
  looksLikePath,
  type PlanOptions,
} from "./gather.js";
export { loadProject, type Project, type ProjectOptions } from "./project.js";

export interface PlanResult {
  project: Project;
  pipeline: Pipeline;
  graph: BuildGraph;
  target: PushTarget;
  /** Detection warnings and bases left unpinned. */
  warnings: string[];
  /**
   * Kept for callers written against older versions: planning writes no files any more
   * (backends write generated Dockerfiles when they build), so there is nothing to remove.
   */
  cleanup: () => Promise<void>;
}

/** Catalog + pipeline + flags → the build graph: gather every input, then plan (pure). */
export async function plan(options: PlanOptions = {}): Promise<PlanResult> {
  const gathered = await gather(options);
  const graph = assemblePlan(gathered.inputs);
  if (!options.offline && options.lastKnownSizes !== false)
    await addLastKnownSizes(graph, gathered.target, options);
  return {
    project: gathered.project,
    pipeline: gathered.pipeline,
    graph,
    target: gathered.target,
    warnings: [...gathered.warnings, ...(graph.warnings ?? [])],
    cleanup: async () => {},
  };
}
