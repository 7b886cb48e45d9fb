import type { Catalog } from "../model/catalog-schema.js";
import type { TagPolicy } from "../model/pipeline-schema.js";
import { type BaseDigests, unpinnedWarnings } from "./bases.js";
import { planBuild } from "./plan.js";
import type { BuildGraph } from "./plan-schema.js";
import { planServices, type ServiceBuild } from "./services.js";
import type { GitInfo } from "./tags.js";
import type { PushTarget } from "./targets.js";

/** Every input of a plan, gathered beforehand as data (app/gather.ts). */
export interface PlanInputs {
  catalog: Catalog;
  catalogFile: string;
  /** Catalog images or groups asked for; empty: every image of `catalog`. */
  targets: readonly string[];
  push: PushTarget;
  policy: TagPolicy;
  git: GitInfo;
  /** Platforms asked for; absent: each image's own (services: `nativePlatform`). */
  platforms?: readonly string[];
  nativePlatform: string;
  baseImages: Readonly<Record<string, string>>;
  contextDigests: Readonly<Record<string, string>>;
  dockerfileTexts: Readonly<Record<string, string>>;
  services: readonly ServiceBuild[];
  baseDigests: BaseDigests;
  /** Why a base has no digest: "--offline", "registry unreachable", … */
  unpinnedReasons: Readonly<Record<string, string>>;
  /** yyyymmdd for {{date}} tag templates. */
  date: string;
}

/** Inputs → the build graph. Pure: no files, no processes, no clock, no randomness. */
export function assemblePlan(inputs: PlanInputs): BuildGraph {
  let graph = planBuild({
    catalog: inputs.catalog,
    catalogFile: inputs.catalogFile,
    targets: inputs.targets,
    push: inputs.push,
    policy: inputs.policy,
    git: inputs.git,
    ...(inputs.platforms ? { platforms: inputs.platforms } : {}),
    baseImages: inputs.baseImages,
    contextDigests: inputs.contextDigests,
    dockerfileTexts: inputs.dockerfileTexts,
    baseDigests: inputs.baseDigests,
    date: inputs.date,
  });
  if (inputs.services.length > 0)
    graph = planServices(graph, inputs.services, {
      push: inputs.push,
      policy: inputs.policy,
      git: inputs.git,
      platforms: inputs.platforms ?? [inputs.nativePlatform],
      baseImages: inputs.baseImages,
      baseDigests: inputs.baseDigests,
      date: inputs.date,
    });
  const warnings = unpinnedWarnings(
    graph.nodes.flatMap((n) => n.bases ?? []),
    inputs.unpinnedReasons,
  );
  return warnings.length > 0 ? { ...graph, warnings } : graph;
}
