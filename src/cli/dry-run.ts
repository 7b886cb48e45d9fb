import { externalBaseRef, nodeBuildxArgv } from "../engine/docker/argv.js";
import {
  type BuilderChoice,
  type BuilderSource,
  discoverBuilder,
} from "../engine/docker/builder.js";
import {
  type CacheMode,
  cacheArgv,
  needsExportingBuilder,
  resolveCache,
} from "../engine/docker/cache.js";
import { toHiltError } from "../errors.js";
import { exec } from "../host/exec.js";
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
  options: {
    noCache?: boolean;
    sourceDateEpoch?: number;
    /** The builder and layer cache the run would use (dryRunSetup). */
    setup?: DryRunSetup;
  } = {},
): string[][] {
  const setup = options.setup;
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
      ...(setup?.builder ? { builder: setup.builder.name } : {}),
      ...(setup
        ? {
            cache: cacheArgv(setup.cache, {
              repository: node.repository,
              name: node.name,
              noCache: options.noCache ?? false,
              ...(node.refs.aliases[0] ? { inlineFrom: node.refs.aliases[0] } : {}),
            }),
          }
        : {}),
    }),
  ]);
}

/** What the docker backend would build on, found the way a run finds it. */
export interface DryRunSetup {
  /** null: the current builder, as is (buildx listed nothing better, or did not answer). */
  builder: Pick<BuilderChoice, "name" | "driver" | "reason"> | null;
  cache: CacheMode;
  /** Why the run would stop before building, or would not get what it asked for. */
  notes: string[];
}

/**
 * The builder and layer cache a run of this graph would use: the same `docker buildx ls` and
 * choice as the docker backend (a probe, nothing is built). A refusal is a note, not an error:
 * a dry run shows what would happen.
 */
export async function dryRunSetup(
  graph: BuildGraph,
  settings: {
    requested?: { name: string; source: BuilderSource };
    cache?: CacheMode;
    env: Record<string, string | undefined>;
  },
): Promise<DryRunSetup> {
  const platforms = [...new Set(graph.nodes.flatMap((n) => n.platforms))].sort();
  const pushesToRegistry = graph.push !== "none" && graph.push !== "ttl.sh";
  const notes: string[] = [];
  let builder: BuilderChoice | undefined;
  try {
    builder = await discoverBuilder((args, extra) => exec({ command: "docker", args, ...extra }), {
      platforms,
      exportedCache:
        needsExportingBuilder(settings.cache) && (settings.cache === "gha" || pushesToRegistry),
      ...(settings.requested ? { requested: settings.requested } : {}),
      ...(settings.env.BUILDX_BUILDER ? { buildxBuilder: settings.env.BUILDX_BUILDER } : {}),
    });
  } catch (error) {
    const e = toHiltError(error);
    notes.push(`${e.code}: ${e.message}`);
  }
  const decision = resolveCache(settings.cache, {
    pushesToRegistry:
      pushesToRegistry || (graph.push === "ttl.sh" && settings.cache === "registry"),
    builder: builder?.name ?? "(current)",
    driver: builder?.driver ?? "docker",
  });
  if (decision.note) notes.push(decision.note);
  return {
    builder: builder
      ? { name: builder.name, driver: builder.driver, reason: builder.reason }
      : null,
    cache: decision.mode,
    notes,
  };
}
