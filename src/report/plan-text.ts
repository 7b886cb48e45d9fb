import type { BuildGraph, PlanNode } from "../plan/plan-schema.js";
import { formatBytes } from "./bytes.js";

function fromText(node: PlanNode): string {
  if (node.from.type === "image") return node.from.name;
  const digest = node.from.digest ? `@${node.from.digest.slice(0, 19)}…` : " (unpinned)";
  return node.from.ref === "scratch" ? "scratch" : `${node.from.ref}${digest}`;
}

/** The plan as text for a terminal: waves, each image's base, refs, and what is not pinned. */
export function describePlan(graph: BuildGraph): string {
  const lines = [
    `Plan for ${graph.catalog === "(none)" ? "repository services" : graph.catalog} → ${graph.push}: ${graph.nodes.length} images in ${graph.waves.length} waves`,
  ];
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  graph.waves.forEach((wave, i) => {
    lines.push(`wave ${i}:`);
    for (const name of wave) {
      const node = byName.get(name);
      if (!node) continue;
      lines.push(
        `  ${name.padEnd(24)} from ${fromText(node)}  [${node.platforms.join(", ")}]  ${node.contentTag}${node.lastKnownSize ? `  last ${formatBytes(node.lastKnownSize.compressed)}` : ""}`,
      );
      for (const ref of [...node.refs.immutable, ...node.refs.aliases]) lines.push(`      ${ref}`);
    }
  });
  lines.push(`critical path: ${graph.criticalPath.nodes.join(" → ")}`);
  for (const warning of graph.warnings ?? []) lines.push(`warning: ${warning}`);
  return lines.join("\n");
}
