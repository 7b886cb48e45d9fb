import { ExitCode, exitCodeOf, type HiltError, InternalError, toHiltError } from "../errors.js";
import { parseReference } from "../model/oci.js";
import type { BuildGraph, PlanNode } from "../plan/plan-schema.js";
import type { PushTarget } from "../plan/targets.js";
import type { RegistryClient } from "../registry/client.js";
import { measureImage } from "../registry/sizes.js";
import { checkBudget, type SizeBudget } from "../report/budget.js";
import { assembleResult, type NodeDone } from "../report/result.js";
import type { HiltResult } from "../report/result-schema.js";
import type { Backend, BuildSecrets } from "./backend.js";
import { externalBaseRef } from "./docker/argv.js";
import { type EventInput, type EventSink, stamp } from "./events.js";
import { producedPlatforms } from "./produced-platforms.js";
import { runGraph } from "./scheduler.js";

export interface RunOptions {
  graph: BuildGraph;
  root: string;
  backend: Backend;
  target: PushTarget;
  /** Needed to look up content tags and move aliases when pushing to a registry. */
  registry?: RegistryClient;
  concurrency: number;
  /** Move aliases only after every image of the run succeeded. */
  atomic: boolean;
  /** Rebuild everything: no content-tag lookup, no layer cache. */
  noCache?: boolean;
  signal: AbortSignal;
  secrets: BuildSecrets;
  sourceDateEpoch: number;
  onEvent?: EventSink;
  log?: (line: string) => void;
  /** Catalog images' size budgets (maxSize), checked once each image's size is known. */
  budgets?: ReadonlyMap<string, SizeBudget>;
  /** Unpacked size of a local image (the engine's store), when a wrapper hides the backend's. */
  imageSize?: (ref: string) => Promise<number | undefined>;
  /** Lines the user sees without HILT_DEBUG (size budget warnings). */
  notice?: (line: string) => void;
}

/** The tag of a ref the planner made: one that does not parse is a bug in Hilt. */
function tagOf(ref: string): string {
  const parsed = parseReference(ref);
  if (!parsed.ok || !parsed.value.tag) throw new InternalError(`${ref} is not a tagged reference`);
  return parsed.value.tag;
}

/** Builds the graph on the backend: cache lookups, parents first, aliases last. */
export async function runBuild(options: RunOptions): Promise<HiltResult> {
  const { graph, backend, target, registry, signal } = options;
  const started = Date.now();
  const emit = (event: EventInput) => options.onEvent?.(stamp(event));
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  const pushing = target.kind !== "none";
  const cacheable = target.kind === "ghcr" || target.kind === "registry";
  emit({
    event: "run-started",
    images: graph.nodes.length,
    engine: backend.name,
    ...(backend.builder ? { builder: backend.builder } : {}),
    push: graph.push,
  });
  for (const node of graph.nodes) emit({ event: "queued", image: node.name, wave: node.wave });

  const moveAliases = async (node: PlanNode, done: NodeDone): Promise<string[]> => {
    const moved: string[] = [];
    for (const alias of node.refs.aliases) {
      if (pushing) {
        if (!registry) throw new InternalError("no registry client to move aliases");
        await registry.tagManifest(node.repository, done.digest, tagOf(alias));
      } else {
        await backend.tagLocal(done.ref, alias);
      }
      moved.push(alias);
    }
    if (moved.length > 0) emit({ event: "aliases-moved", image: node.name, refs: moved });
    return moved;
  };

  const cachedDigest = async (node: PlanNode): Promise<string | undefined> => {
    if (options.noCache) return undefined;
    if (cacheable && registry) return registry.headManifest(node.repository, node.contentTag);
    if (!pushing) return backend.localImage(`${node.repository}:${node.contentTag}`);
    return undefined;
  };

  // Sizes are read, never waited on for long: a registry that cannot say leaves them out.
  const measure = async (
    node: PlanNode,
    done: NodeDone,
    parents: ReadonlyMap<string, NodeDone>,
  ): Promise<void> => {
    const parentName = node.from.type === "image" ? node.from.name : undefined;
    const parentDone = parentName ? parents.get(parentName) : undefined;
    const parentNode = parentName ? byName.get(parentName) : undefined;
    const external = node.from.type === "external" ? parseReference(node.from.ref) : undefined;
    const sameRegistry =
      external?.ok &&
      external.value.domain &&
      node.repository.startsWith(`${external.value.domain}/`)
        ? {
            repository: `${external.value.domain}/${external.value.path}`,
            digest: external.value.digest ?? external.value.tag ?? "latest",
          }
        : undefined;
    const size = await measureImage({
      registry: pushing ? registry : undefined,
      image: { repository: node.repository, digest: done.digest, platforms: node.platforms },
      parent:
        parentDone && parentNode
          ? { repository: parentNode.repository, digest: parentDone.digest }
          : sameRegistry,
      localSize: options.imageSize ?? backend.imageSize?.bind(backend),
      localRef: node.refs.immutable[0],
      parentLocalRef: parentNode?.refs.immutable[0],
    });
    done.size = size;
    const budget = options.budgets?.get(node.name);
    if (!budget) return;
    const verdict = checkBudget({ name: node.name, catalogFile: graph.catalog, size, budget });
    done.size = verdict.size;
    if (verdict.warning) {
      emit({ event: "warning", message: verdict.warning });
      (options.notice ?? options.log)?.(`warning: ${verdict.warning}`);
    }
    if (verdict.error) throw verdict.error;
  };

  const buildNode = async (
    name: string,
    parents: ReadonlyMap<string, NodeDone>,
  ): Promise<NodeDone> => {
    const node = byName.get(name) as PlanNode;
    const nodeStarted = Date.now();
    startedAt.set(name, nodeStarted);
    emit({ event: "started", image: name });
    const cached = await cachedDigest(node);
    let done: NodeDone;
    if (cached) {
      const ref = pushing
        ? `${node.repository}@${cached}`
        : `${node.repository}:${node.contentTag}`;
      // The same content under this run's other immutable tags (e.g. a new sha- tag).
      for (const immutable of node.refs.immutable) {
        const tag = tagOf(immutable);
        if (tag === node.contentTag) continue;
        if (pushing && registry) await registry.tagManifest(node.repository, cached, tag);
        else if (!pushing) await backend.tagLocal(ref, immutable);
      }
      done = {
        status: "cached",
        digest: cached,
        ref,
        durationMs: Date.now() - nodeStarted,
        aliases: [],
      };
    } else {
      const parent = node.from.type === "image" ? parents.get(node.from.name) : undefined;
      const baseRef = parent ? parent.ref : (externalBaseRef(node) ?? "scratch");
      const output = await backend.build({
        node,
        root: options.root,
        baseRef,
        tags: node.refs.immutable,
        push: pushing,
        noCache: options.noCache ?? false,
        secrets: options.secrets,
        sourceDateEpoch: options.sourceDateEpoch,
        signal,
        log: options.log ?? (() => {}),
      });
      // What the registry holds is what the result says: a missing platform fails the image.
      const platforms =
        pushing && registry
          ? await producedPlatforms(registry, { ...node, digest: output.digest })
          : undefined;
      done = {
        status: "built",
        digest: output.digest,
        ref: output.ref,
        durationMs: Date.now() - nodeStarted,
        aliases: [],
        ...(platforms ? { platforms } : {}),
      };
    }
    await measure(node, done, parents);
    if (!options.atomic) done.aliases = await moveAliases(node, done);
    emit({ event: "finished", image: name, status: done.status, durationMs: done.durationMs });
    return done;
  };

  // How long a failed image ran before it failed, for the result (not 0).
  const startedAt = new Map<string, number>();
  const failedAfter = new Map<string, number>();
  const outcomes = await runGraph<NodeDone>({
    nodes: graph.nodes.map((n) => n.name),
    parentsOf: (name) => byName.get(name)?.parents ?? [],
    concurrency: options.concurrency,
    signal,
    work: buildNode,
    onSettled: (name, outcome) => {
      if (outcome.status === "failed") {
        const error = toHiltError(outcome.error);
        const ran = Date.now() - (startedAt.get(name) ?? Date.now());
        failedAfter.set(name, ran);
        emit({
          event: "finished",
          image: name,
          status: "failed",
          durationMs: ran,
          error: error.message,
        });
      } else if (outcome.status === "skipped") {
        emit({
          event: "finished",
          image: name,
          status: "skipped",
          durationMs: 0,
          error: outcome.reason,
        });
      }
    },
  });

  const allDone = [...outcomes.values()].every((o) => o.status === "done");
  let aliasError: HiltError | undefined;
  if (options.atomic && allDone && !signal.aborted) {
    for (const node of graph.nodes) {
      const outcome = outcomes.get(node.name);
      if (outcome?.status !== "done") continue;
      try {
        outcome.value.aliases = await moveAliases(node, outcome.value);
      } catch (error) {
        aliasError = toHiltError(error);
        break;
      }
    }
  }

  const durationMs = Date.now() - started;
  const result = assembleResult({
    graph,
    engine: backend.name,
    ...(backend.builder ? { builder: backend.builder } : {}),
    outcomes,
    failedAfterMs: failedAfter,
    interrupted: signal.aborted,
    ...(aliasError ? { aliasError } : {}),
    durationMs,
  });
  emit({ event: "run-finished", ok: result.ok, durationMs });
  return result;
}

/** The exit code of a finished run: its error code's class (build 1, registry 5, interrupted 130). */
export function exitCodeFor(result: HiltResult): number {
  if (result.ok) return ExitCode.ok;
  const code = result.error?.code;
  return code ? exitCodeOf(code) : ExitCode.buildFailed;
}

export { serviceKeys } from "../report/result.js";
