import type { Role } from "../detect/types.js";
import { toNameComponent } from "../model/oci.js";
import type { TagPolicy } from "../model/pipeline-schema.js";
import { mapBaseImage } from "./base-images.js";
import { criticalPath } from "./graph.js";
import { canonicalJson, sha256 } from "./hash.js";
import type { BuildGraph, PlanNode } from "./plan-schema.js";
import { computeTags, contentTag, type GitInfo } from "./tags.js";
import { type PushTarget, refsFor, repositoryFor } from "./targets.js";

/** A detected service ready to plan: its Dockerfile text and where the build reads from. */
export interface ServiceBuild {
  repoName: string;
  name: string;
  path: string;
  role: Role;
  port: number | null;
  dockerfilePath: string;
  dockerfileText: string;
  contextPath: string;
  contextDigest: string;
  generated: boolean;
}

/** `ARG NAME=image` defaults a generated Dockerfile declares for its base images. */
export function baseImageArgs(dockerfile: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const match of dockerfile.matchAll(/^ARG\s+([A-Z_]+_IMAGE)=(\S+)\s*$/gm))
    out[match[1] as string] = match[2] as string;
  return out;
}

/** Literal images in FROM lines (not stages, not ${ARG}s). */
export function fromImages(dockerfile: string): string[] {
  const stages = new Set<string>();
  const images: string[] = [];
  for (const match of dockerfile.matchAll(
    /^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?/gim,
  )) {
    const image = match[1] as string;
    if (!image.includes("$") && !stages.has(image.toLowerCase()) && image !== "scratch")
      images.push(image);
    if (match[2]) stages.add(match[2].toLowerCase());
  }
  return [...new Set(images)];
}

export function serviceRepository(build: Pick<ServiceBuild, "repoName" | "name" | "path">): string {
  const repo = toNameComponent(build.repoName) || "app";
  return build.path === "." ? repo : `${repo}-${toNameComponent(build.name)}`;
}

/** Service nodes: no parents, so they all join the first wave. Pure. */
export function planServices(
  graph: BuildGraph,
  builds: readonly ServiceBuild[],
  options: {
    push: PushTarget;
    policy: TagPolicy;
    git: GitInfo;
    platforms: readonly string[];
    baseImages: Readonly<Record<string, string>>;
    date: string;
  },
): BuildGraph {
  const nodes: PlanNode[] = builds.map((b) => {
    const args = baseImageArgs(b.dockerfileText);
    const buildArgs = Object.fromEntries(
      Object.entries(args).map(([k, v]) => [k, mapBaseImage(v, options.baseImages)]),
    );
    const baseContexts = Object.fromEntries(
      fromImages(b.dockerfileText)
        .map((image) => [image, mapBaseImage(image, options.baseImages)] as const)
        .filter(([image, mapped]) => image !== mapped),
    );
    const platforms = [...options.platforms].sort();
    const inputHash = sha256(
      canonicalJson({
        v: 1,
        dockerfile: b.dockerfileText,
        context: b.contextDigest,
        buildArgs,
        baseContexts,
        platforms,
      }),
    );
    const repository = serviceRepository(b);
    const tags = computeTags({
      policy: options.policy,
      git: options.git,
      inputHash,
      name: repository,
      date: options.date,
      templates: [],
    });
    return {
      kind: "service",
      name: repository,
      repository: repositoryFor(options.push, repository),
      parents: [],
      from: {
        type: "external",
        ref: Object.values(buildArgs)[0] ?? fromImages(b.dockerfileText)[0] ?? "scratch",
      },
      platforms,
      inputHash,
      contentTag: contentTag(inputHash),
      wave: 0,
      build: {
        type: "dockerfile",
        dockerfile: b.dockerfilePath,
        context: b.contextPath,
        buildArgs,
        ...(Object.keys(baseContexts).length > 0 ? { baseContexts } : {}),
      },
      labels: {
        "org.opencontainers.image.title": repository,
        ...(options.git.sha ? { "org.opencontainers.image.revision": options.git.sha } : {}),
      },
      provides: [],
      refs: refsFor(options.push, repository, tags),
      service: { path: b.path, role: b.role, port: b.port, generated: b.generated },
    };
  });
  const taken = new Set(graph.nodes.map((n) => n.name));
  for (const node of nodes) if (taken.has(node.name)) node.name = `${node.name}-service`;
  const waves = graph.waves.length > 0 ? graph.waves.map((w) => [...w]) : [[]];
  waves[0] = [...(waves[0] ?? []), ...nodes.map((n) => n.name)].sort();
  const all = [...graph.nodes, ...nodes];
  const path = criticalPath(new Map(all.map((n) => [n.name, n.parents])));
  return { ...graph, nodes: all, waves, criticalPath: { nodes: path.nodes, length: path.weight } };
}
