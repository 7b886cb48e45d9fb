import { buildxBuildArgv } from "../engine/docker/argv.js";
import type { BuildGraph } from "../plan/plan-schema.js";
import { PARENT_ARG } from "../render/dockerfile.js";

/** The docker commands a build would run, with the parent digest left as a placeholder. */
export function dryRunCommands(graph: BuildGraph): string[][] {
  return graph.nodes.map((node) => [
    "docker",
    ...buildxBuildArgv({
      context: node.build.context ?? "<empty context>",
      dockerfile:
        node.build.type === "dockerfile"
          ? node.build.dockerfile
          : `<rendered Dockerfile of ${node.name}>`,
      buildArgs: {
        ...(node.build.type === "dockerfile" ? node.build.buildArgs : {}),
        [PARENT_ARG]: node.from.type === "image" ? `<${node.from.name}@digest>` : node.from.ref,
      },
      labels: node.labels,
      platforms: node.platforms,
      tags: node.refs.immutable,
      push: graph.push !== "none",
      metadataFile: "<metadata.json>",
      secrets: { npmrc: "<npmrc>", pipconf: "<pip.conf>" },
      ...(node.build.type === "dockerfile" && node.build.target
        ? { target: node.build.target }
        : {}),
    }),
  ]);
}
