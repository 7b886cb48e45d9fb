import path from "node:path";
import type { BuildGraph, PlanNode } from "../plan/plan-schema.js";
import { PARENT_ARG, renderStepsDockerfile } from "../render/dockerfile.js";

interface BakeTarget {
  context: string;
  dockerfile?: string;
  "dockerfile-inline"?: string;
  contexts?: Record<string, string>;
  args: Record<string, string>;
  tags: string[];
  labels: Record<string, string>;
  platforms: string[];
  target?: string;
}

export interface BakeFile {
  group: Record<string, { targets: string[] }>;
  target: Record<string, BakeTarget>;
}

/** Bake forbids some characters in target names; catalog names are already safe but dots. */
function bakeName(name: string): string {
  return name.replace(/\./g, "_");
}

/**
 * The plan as a docker-bake file. A child reads its parent through a named context
 * (`target:PARENT`), so bake builds the parent first and hands over its exact result.
 */
export function toBake(
  plan: BuildGraph,
  options: { root: string; contextRoot?: string },
): BakeFile {
  const target: Record<string, BakeTarget> = {};
  const byName = new Map(plan.nodes.map((n) => [n.name, n]));
  for (const node of plan.nodes) {
    const parent = node.from.type === "image" ? byName.get(node.from.name) : undefined;
    const parentRef = parent
      ? `hilt-parent-${bakeName(parent.name)}`
      : (node.from as { ref: string }).ref;
    const contexts = parent ? { [parentRef]: `target:${bakeName(parent.name)}` } : undefined;
    const common = {
      args: {
        [PARENT_ARG]: parentRef,
        ...(node.build.type === "dockerfile" ? node.build.buildArgs : {}),
      },
      tags: [...node.refs.immutable, ...node.refs.aliases],
      labels: node.labels,
      platforms: node.platforms,
      ...(contexts ? { contexts } : {}),
    };
    target[bakeName(node.name)] =
      node.build.type === "dockerfile"
        ? {
            context: path.posix.join(options.contextRoot ?? ".", node.build.context),
            dockerfile: path.posix.relative(node.build.context, node.build.dockerfile),
            ...(node.build.target ? { target: node.build.target } : {}),
            ...common,
          }
        : {
            context: path.posix.join(options.contextRoot ?? ".", node.build.context ?? "."),
            // Bake interpolates ${…} in its own files: $${ keeps it for the Dockerfile.
            "dockerfile-inline": renderStepsDockerfile(node, parentRef).replaceAll(
              "${",
              () => "$${",
            ),
            ...common,
          };
  }
  return {
    group: { default: { targets: plan.nodes.map((n: PlanNode) => bakeName(n.name)) } },
    target,
  };
}
