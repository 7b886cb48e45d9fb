import type { Role } from "../detect/types.js";
import { HiltError } from "../errors.js";
import { toNameComponent } from "../model/oci.js";
import type { TagPolicy } from "../model/pipeline-schema.js";
import { type BaseDigests, dockerfileBases } from "./bases.js";
import { criticalPath } from "./graph.js";
import { canonicalJson, HASH_VERSION, sha256 } from "./hash.js";
import type { BuildGraph, PlanNode } from "./plan-schema.js";
import { computeTags, contentTag, type GitInfo } from "./tags.js";
import { type PushTarget, refsFor, repositoryFor } from "./targets.js";

export { baseImageArgs, fromImages } from "./bases.js";

/** A detected service ready to plan: data only, gathered beforehand (app/gather.ts). */
export interface ServiceBuild {
  /** The target folder's own name. */
  repoName: string;
  /** The target folder from the repository root (absolute only when outside it). */
  folder: string;
  name: string;
  /** The service's folder inside the target folder ("." for the folder itself). */
  path: string;
  role: Role;
  port: number | null;
  /** The repository's own Dockerfile, from the root; absent when Hilt generated one. */
  dockerfile?: string;
  dockerfileText: string;
  /** The .dockerignore generated with a generated Dockerfile. */
  dockerignoreText?: string;
  /** The build context, from the root. */
  context: string;
  contextDigest: string;
  generated: boolean;
}

export function serviceRepository(build: Pick<ServiceBuild, "repoName" | "name" | "path">): string {
  const repo = toNameComponent(build.repoName) || "app";
  return build.path === "." ? repo : `${repo}-${toNameComponent(build.name)}`;
}

/**
 * Unique names for service images. Each is named after its folder (`app`; `app-web` for service
 * `web` inside `app`). Names two targets share take as many parent folders of their target as it
 * takes to differ (`./a/app`, `./b/app` → `a-app`, `b-app`); a name still shared is an error.
 */
export function serviceNames(builds: readonly ServiceBuild[]): string[] {
  const base = builds.map(serviceRepository);
  const names = [...base];
  const parentsOf = (b: ServiceBuild) =>
    b.folder
      .split("/")
      .filter((s) => s !== "" && s !== "." && s !== "..")
      .slice(0, -1);
  const deepest = Math.max(0, ...builds.map((b) => parentsOf(b).length));
  for (let depth = 1; ; depth++) {
    const count = new Map<string, number>();
    for (const n of names) count.set(n, (count.get(n) ?? 0) + 1);
    const clashing = names.flatMap((n, i) => ((count.get(n) ?? 0) > 1 ? [i] : []));
    if (clashing.length === 0) return names;
    if (depth > deepest) {
      const i = clashing[0] as number;
      const same = clashing.filter((j) => names[j] === names[i]).map((j) => builds[j]?.folder);
      throw new HiltError(
        "DUPLICATE_SERVICE",
        `two services would both be named "${names[i]}" (from ${same.join(" and ")})`,
        { hint: "build them in separate runs, or rename one of the folders" },
      );
    }
    for (const i of clashing) {
      const b = builds[i] as ServiceBuild;
      const prefix = parentsOf(b).slice(-depth).map(toNameComponent).filter(Boolean);
      names[i] = [...prefix, base[i]].join("-");
    }
  }
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
    baseDigests?: BaseDigests;
    date: string;
  },
): BuildGraph {
  const names = serviceNames(builds);
  const taken = new Set(graph.nodes.map((n) => n.name));
  const nodes: PlanNode[] = builds.map((b, index) => {
    const { buildArgs, baseContexts, bases } = dockerfileBases(
      b.dockerfileText,
      options.baseImages,
      options.baseDigests ?? {},
    );
    const platforms = [...options.platforms].sort();
    const build: PlanNode["build"] = {
      type: "dockerfile",
      ...(b.dockerfile !== undefined ? { dockerfile: b.dockerfile } : {}),
      ...(b.generated
        ? {
            generated: {
              dockerfile: b.dockerfileText,
              ...(b.dockerignoreText !== undefined ? { dockerignore: b.dockerignoreText } : {}),
            },
          }
        : {}),
      dockerfileDigest: sha256(b.dockerfileText),
      context: b.context,
      buildArgs,
      ...(Object.keys(baseContexts).length > 0 ? { baseContexts } : {}),
    };
    const inputHash = sha256(
      canonicalJson({
        v: HASH_VERSION,
        kind: "service",
        dockerfile: b.dockerfileText,
        dockerignore: b.dockerignoreText,
        context: b.contextDigest,
        buildArgs,
        baseContexts,
        bases,
        platforms,
      }),
    );
    const wanted = names[index] as string;
    const repository = taken.has(wanted) ? `${wanted}-service` : wanted;
    const tags = computeTags({
      policy: options.policy,
      git: options.git,
      inputHash,
      name: repository,
      date: options.date,
      templates: [],
    });
    const first = bases[0];
    return {
      kind: "service",
      name: repository,
      repository: repositoryFor(options.push, repository),
      parents: [],
      from: {
        type: "external",
        ref: first?.ref ?? "scratch",
        ...(first?.digest ? { digest: first.digest } : {}),
      },
      ...(bases.length > 0 ? { bases } : {}),
      platforms,
      inputHash,
      contentTag: contentTag(inputHash),
      wave: 0,
      build,
      labels: {
        "org.opencontainers.image.title": repository,
        ...(options.git.sha ? { "org.opencontainers.image.revision": options.git.sha } : {}),
      },
      provides: [],
      refs: refsFor(options.push, repository, tags),
      service: { path: b.path, role: b.role, port: b.port, generated: b.generated },
    };
  });
  const waves = graph.waves.length > 0 ? graph.waves.map((w) => [...w]) : [[]];
  waves[0] = [...(waves[0] ?? []), ...nodes.map((n) => n.name)].sort();
  const all = [...graph.nodes, ...nodes];
  const path = criticalPath(new Map(all.map((n) => [n.name, n.parents])));
  return { ...graph, nodes: all, waves, criticalPath: { nodes: path.nodes, length: path.weight } };
}
