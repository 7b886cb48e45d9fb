import { ExitCode, HiltError } from "../errors.js";
import { catalogParent, parentMap } from "../model/catalog-rules.js";
import type { Catalog, ImageSpec } from "../model/catalog-schema.js";
import type { TagPolicy } from "../model/pipeline-schema.js";
import { didYouMean } from "../util/did-you-mean.js";
import { mapBaseImage } from "./base-images.js";
import { type BaseDigests, digestOf, dockerfileBases } from "./bases.js";
import { criticalPath, topologicalWaves, withAncestors } from "./graph.js";
import { canonicalJson, HASH_VERSION, sha256 } from "./hash.js";
import { ociLabels } from "./labels.js";
import type { BuildGraph, BuildSpec, PlanNode } from "./plan-schema.js";
import { PLAN_SCHEMA_VERSION } from "./plan-version.js";
import { computeTags, contentTag, type GitInfo } from "./tags.js";
import { describeTarget, type PushTarget, refsFor, repositoryFor } from "./targets.js";

export interface PlanInput {
  catalog: Catalog;
  catalogFile: string;
  /** Images or groups to build; their ancestors come along. Empty: every image. */
  targets?: readonly string[];
  push: PushTarget;
  policy: TagPolicy;
  git: GitInfo;
  platforms?: readonly string[];
  baseImages?: Readonly<Record<string, string>>;
  /** Digest of each image's build context, for images that use one (see contextOf). */
  contextDigests?: Readonly<Record<string, string>>;
  /** The text of each Dockerfile image's Dockerfile: hashed, wherever the file lives. */
  dockerfileTexts?: Readonly<Record<string, string>>;
  /** Mapped external base ref → its manifest digest (null: not resolved). */
  baseDigests?: BaseDigests;
  /** yyyymmdd for {{date}} tag templates. */
  date?: string;
}

/** The build context directory an image reads, if any. */
export function contextOf(image: ImageSpec): string | undefined {
  if (image.dockerfile) {
    if (image.context) return image.context;
    const slash = image.dockerfile.lastIndexOf("/");
    return slash < 0 ? "." : image.dockerfile.slice(0, slash);
  }
  const copies = image.steps?.some((step) => step.copy !== undefined) ?? false;
  return copies ? (image.context ?? ".") : undefined;
}

function buildSpec(
  name: string,
  image: ImageSpec,
  input: PlanInput,
): { build: BuildSpec; bases: { ref: string; digest: string | null }[] } {
  const context = contextOf(image);
  if (image.dockerfile) {
    const text = input.dockerfileTexts?.[name];
    if (text === undefined)
      throw new HiltError("INTERNAL", `the plan was given no Dockerfile text for ${name}`);
    const bases = dockerfileBases(text, input.baseImages ?? {}, input.baseDigests ?? {});
    return {
      build: {
        type: "dockerfile",
        dockerfile: image.dockerfile,
        dockerfileDigest: sha256(text),
        context: context ?? ".",
        ...(image.target ? { target: image.target } : {}),
        buildArgs: { ...bases.buildArgs, ...image.buildArgs },
        ...(Object.keys(bases.baseContexts).length > 0 ? { baseContexts: bases.baseContexts } : {}),
      },
      bases: bases.bases,
    };
  }
  return {
    build: { type: "steps", steps: image.steps ?? [], ...(context ? { context } : {}) },
    bases: [],
  };
}

/** An external base after mapping, with the digest it resolved to when known. */
function externalFrom(ref: string, input: PlanInput): { ref: string; digest: string | null } {
  const mapped = mapBaseImage(ref, input.baseImages ?? {});
  return { ref: mapped, digest: digestOf(mapped, input.baseDigests ?? {}) };
}

/** Group and image names → image names, groups expanded recursively. */
export function expandTargets(catalog: Catalog, targets: readonly string[]): string[] {
  const out = new Set<string>();
  const expand = (name: string, trail: readonly string[]) => {
    if (Object.hasOwn(catalog.images, name)) out.add(name);
    else if (Object.hasOwn(catalog.groups, name)) {
      if (trail.includes(name)) return;
      for (const member of catalog.groups[name] ?? []) expand(member, [...trail, name]);
    } else {
      const suggestion = didYouMean(name, [
        ...Object.keys(catalog.images),
        ...Object.keys(catalog.groups),
      ]);
      throw new HiltError(
        "UNKNOWN_TARGET",
        `"${name}" is neither an image nor a group of the catalog`,
        {
          hint: suggestion
            ? `did you mean "${suggestion}"?`
            : "run `hilt plan` to list the catalog's images",
          exitCode: ExitCode.usage,
        },
      );
    }
  };
  for (const t of targets) expand(t, []);
  return [...out];
}

/** Catalog + policy → the versioned build graph. Pure: same input, same plan. */
export function planBuild(input: PlanInput): BuildGraph {
  const { catalog } = input;
  const parents = parentMap(catalog);
  const wanted =
    input.targets && input.targets.length > 0
      ? expandTargets(catalog, input.targets)
      : Object.keys(catalog.images);
  const selected = withAncestors(parents, wanted);
  const selectedParents = new Map([...parents].filter(([n]) => selected.has(n)));
  const waves = topologicalWaves(selectedParents);
  const date = input.date ?? "19700101";

  const nodes = new Map<string, PlanNode>();
  waves.forEach((wave, index) => {
    for (const name of wave) {
      const image = catalog.images[name] as ImageSpec;
      const parent = catalogParent(catalog, image.from);
      const parentNode = parent ? nodes.get(parent) : undefined;
      const platforms = [
        ...(input.platforms ?? image.platforms ?? catalog.defaults.platforms),
      ].sort();
      const spec = buildSpec(name, image, input);
      const { build } = spec;
      const external = parent ? undefined : externalFrom(image.from, input);
      const from: PlanNode["from"] = external
        ? {
            type: "external",
            ref: external.ref,
            ...(external.digest ? { digest: external.digest } : {}),
          }
        : { type: "image", name: parent as string };
      const bases = external ? [external, ...spec.bases] : spec.bases;
      const contextDigest = build.context ? input.contextDigests?.[name] : undefined;
      const inputHash = sha256(
        canonicalJson({
          v: HASH_VERSION,
          from: parentNode ? { parentHash: parentNode.inputHash } : from,
          build,
          contextDigest,
          entrypoint: image.entrypoint,
          cmd: image.cmd,
          labels: { ...catalog.defaults.labels, ...image.labels },
          description: image.description,
          platforms,
        }),
      );
      const tags = computeTags({
        policy: input.policy,
        git: input.git,
        inputHash,
        name,
        date,
        templates: image.tags ?? [],
      });
      const repository = image.repository ?? name;
      nodes.set(name, {
        kind: "catalog",
        name,
        repository: repositoryFor(input.push, repository),
        parents: parent ? [parent] : [],
        from,
        ...(bases.length > 0 ? { bases } : {}),
        platforms,
        inputHash,
        contentTag: contentTag(inputHash),
        wave: index,
        build,
        ...(image.entrypoint ? { entrypoint: image.entrypoint } : {}),
        ...(image.cmd ? { cmd: image.cmd } : {}),
        labels: ociLabels({ name, image, defaults: catalog.defaults.labels, git: input.git }),
        provides: [...new Set([...(parentNode?.provides ?? []), ...(image.provides ?? [])])].sort(),
        refs: refsFor(input.push, repository, tags),
      });
    }
  });

  return {
    schemaVersion: PLAN_SCHEMA_VERSION,
    kind: "hilt.plan",
    catalog: input.catalogFile,
    push: describeTarget(input.push),
    git: { sha: input.git.sha, branch: input.git.branch, tag: input.git.tag },
    nodes: waves.flat().map((name) => nodes.get(name) as PlanNode),
    waves,
    criticalPath: (() => {
      const path = criticalPath(selectedParents);
      return { nodes: path.nodes, length: path.weight };
    })(),
  };
}
