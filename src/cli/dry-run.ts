import { externalBaseRef, nodeBuildxArgv } from "../engine/docker/argv.js";
import type { BuildGraph, PlanNode } from "../plan/plan-schema.js";
import { SECRET_MOUNTS, type SecretName } from "../render/secret-mounts.js";

/** Every secret, as a placeholder: the real build passes those it has a file for. */
const SECRET_PLACEHOLDERS = Object.fromEntries(
  Object.keys(SECRET_MOUNTS).map((name) => [name, `<${name}>`]),
) as Record<SecretName, string>;

function dockerfileOf(node: PlanNode): string {
  if (node.build.type === "steps") return `<rendered Dockerfile of ${node.name}>`;
  return node.build.dockerfile ?? `<generated Dockerfile of ${node.name}>`;
}

/**
 * The docker commands a build would run: the real build's argv (engine/docker/argv.ts), with
 * placeholders for what only exists at build time (temp files, the parent's result, the epoch).
 */
export function dryRunCommands(
  graph: BuildGraph,
  options: { noCache?: boolean; sourceDateEpoch?: number } = {},
): string[][] {
  return graph.nodes.map((node) => [
    "docker",
    ...nodeBuildxArgv(node, {
      dockerfile: dockerfileOf(node),
      context: node.build.context ?? "<empty context>",
      metadataFile: "<metadata.json>",
      baseRef:
        node.from.type === "image" ? `<${node.from.name}@digest>` : (externalBaseRef(node) ?? ""),
      tags: node.refs.immutable,
      push: graph.push !== "none",
      noCache: options.noCache ?? false,
      secrets: SECRET_PLACEHOLDERS,
      sourceDateEpoch:
        options.sourceDateEpoch === undefined
          ? "<SOURCE_DATE_EPOCH>"
          : String(options.sourceDateEpoch),
    }),
  ]);
}
