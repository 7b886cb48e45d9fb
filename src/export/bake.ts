import path from "node:path";
import { externalBaseRef } from "../engine/docker/argv.js";
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

/** Bake interpolates ${…} in its own files: $${ keeps it for the Dockerfile. */
function inline(text: string): string {
  return text.replaceAll("${", () => "$${");
}

/**
 * The plan as a docker-bake file. A child reads its parent through a named context
 * (`target:PARENT`), so bake builds the parent first and hands over its exact result. Paths are
 * absolute (from `root`) unless `contextRoot` is given, so the file works from any folder;
 * generated and rendered Dockerfiles travel inline. Not carried over: a generated Dockerfile's own
 * .dockerignore (bake has no inline form for it), so such a context is the context's own.
 */
export function toBake(
  plan: BuildGraph,
  options: { root: string; contextRoot?: string },
): BakeFile {
  const where = (relative: string) =>
    options.contextRoot !== undefined
      ? path.posix.join(options.contextRoot, relative)
      : path.resolve(options.root, relative);
  const target: Record<string, BakeTarget> = {};
  const byName = new Map(plan.nodes.map((n) => [n.name, n]));
  for (const node of plan.nodes) {
    const parent = node.from.type === "image" ? byName.get(node.from.name) : undefined;
    const parentRef = parent
      ? `hilt-parent-${bakeName(parent.name)}`
      : (externalBaseRef(node) ?? "scratch");
    const contexts: Record<string, string> = {
      ...(parent ? { [parentRef]: `target:${bakeName(parent.name)}` } : {}),
      ...Object.fromEntries(
        Object.entries(node.build.type === "dockerfile" ? (node.build.baseContexts ?? {}) : {}).map(
          ([image, replacement]) => [image, `docker-image://${replacement}`],
        ),
      ),
    };
    const common = {
      args: {
        [PARENT_ARG]: parentRef,
        ...(node.build.type === "dockerfile" ? node.build.buildArgs : {}),
      },
      tags: [...node.refs.immutable, ...node.refs.aliases],
      labels: node.labels,
      platforms: node.platforms,
      ...(Object.keys(contexts).length > 0 ? { contexts } : {}),
    };
    const build = node.build;
    target[bakeName(node.name)] =
      build.type === "dockerfile"
        ? {
            context: where(build.context),
            ...(build.generated
              ? { "dockerfile-inline": inline(build.generated.dockerfile) }
              : {
                  dockerfile:
                    options.contextRoot !== undefined
                      ? path.posix.relative(build.context, build.dockerfile ?? "Dockerfile")
                      : where(build.dockerfile ?? "Dockerfile"),
                }),
            ...(build.target ? { target: build.target } : {}),
            ...common,
          }
        : {
            context: where(build.context ?? "."),
            "dockerfile-inline": inline(renderStepsDockerfile(node, parentRef)),
            ...common,
          };
  }
  return {
    group: { default: { targets: plan.nodes.map((n: PlanNode) => bakeName(n.name)) } },
    target,
  };
}
