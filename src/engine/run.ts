import { ExitCode, HiltError, toHiltError } from "../errors.js";
import type { BuildGraph, PlanNode } from "../plan/plan-schema.js";
import type { PushTarget } from "../plan/targets.js";
import type { RegistryClient } from "../registry/client.js";
import {
  type HiltResult,
  type ImageResult,
  RESULT_SCHEMA_VERSION,
} from "../report/result-schema.js";
import type { Backend, BuildSecrets } from "./backend.js";
import { externalBaseRef } from "./docker/argv.js";
import { type EventInput, type EventSink, stamp } from "./events.js";
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
}

interface NodeDone {
  status: "built" | "cached";
  digest: string;
  ref: string;
  durationMs: number;
  aliases: string[];
}

function repositoryOf(ref: string): { repository: string; tag: string } {
  const colon = ref.lastIndexOf(":");
  return { repository: ref.slice(0, colon), tag: ref.slice(colon + 1) };
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
    push: graph.push,
  });
  for (const node of graph.nodes) emit({ event: "queued", image: node.name, wave: node.wave });

  const moveAliases = async (node: PlanNode, done: NodeDone): Promise<string[]> => {
    const moved: string[] = [];
    for (const alias of node.refs.aliases) {
      if (pushing) {
        if (!registry) throw new HiltError("INTERNAL", "no registry client to move aliases");
        await registry.tagManifest(node.repository, done.digest, repositoryOf(alias).tag);
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

  const buildNode = async (
    name: string,
    parents: ReadonlyMap<string, NodeDone>,
  ): Promise<NodeDone> => {
    const node = byName.get(name) as PlanNode;
    const nodeStarted = Date.now();
    emit({ event: "started", image: name });
    const cached = await cachedDigest(node);
    let done: NodeDone;
    if (cached) {
      const ref = pushing
        ? `${node.repository}@${cached}`
        : `${node.repository}:${node.contentTag}`;
      // The same content under this run's other immutable tags (e.g. a new sha- tag).
      for (const immutable of node.refs.immutable) {
        const { tag } = repositoryOf(immutable);
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
      done = {
        status: "built",
        digest: output.digest,
        ref: output.ref,
        durationMs: Date.now() - nodeStarted,
        aliases: [],
      };
    }
    if (!options.atomic) done.aliases = await moveAliases(node, done);
    emit({ event: "finished", image: name, status: done.status, durationMs: done.durationMs });
    return done;
  };

  const outcomes = await runGraph<NodeDone>({
    nodes: graph.nodes.map((n) => n.name),
    parentsOf: (name) => byName.get(name)?.parents ?? [],
    concurrency: options.concurrency,
    signal,
    work: buildNode,
    onSettled: (name, outcome) => {
      if (outcome.status === "failed") {
        const error = toHiltError(outcome.error);
        emit({
          event: "finished",
          image: name,
          status: "failed",
          durationMs: 0,
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

  const images: ImageResult[] = graph.nodes.map((node) => {
    const outcome = outcomes.get(node.name);
    const base = {
      name: node.name,
      kind: node.kind,
      platforms: node.platforms,
      parents: node.parents,
    };
    if (outcome?.status === "done") {
      const v = outcome.value;
      return {
        ...base,
        status: v.status,
        refs: [...node.refs.immutable, ...v.aliases],
        digest: v.digest || null,
        durationMs: v.durationMs,
        error: null,
      };
    }
    if (outcome?.status === "failed") {
      const e = toHiltError(outcome.error);
      return {
        ...base,
        status: "failed",
        refs: [],
        digest: null,
        durationMs: 0,
        error: { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) },
      };
    }
    const reason = outcome?.status === "skipped" ? outcome.reason : "not started";
    const code = signal.aborted ? "INTERRUPTED" : "PARENT_FAILED";
    return {
      ...base,
      status: "skipped",
      refs: [],
      digest: null,
      durationMs: 0,
      error: { code, message: reason },
    };
  });

  const ok = allDone && !aliasError && !signal.aborted;
  const runError = signal.aborted
    ? { code: "INTERRUPTED", message: "the run was interrupted; images not finished are skipped" }
    : aliasError
      ? { code: aliasError.code, message: `moving aliases failed: ${aliasError.message}` }
      : !allDone
        ? {
            code: "BUILD_FAILED",
            message: `${images.filter((i) => i.status === "failed").length} image(s) failed`,
            hint: "see each image's error",
          }
        : null;
  const durationMs = Date.now() - started;
  emit({ event: "run-finished", ok, durationMs });
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    kind: "hilt.result",
    ok,
    engine: backend.name,
    push: graph.push,
    images,
    ...serviceKeys(graph, images),
    durationMs,
    error: runError,
  };
}

export function exitCodeFor(result: HiltResult): number {
  if (result.ok) return ExitCode.ok;
  if (result.error?.code === "INTERRUPTED") return ExitCode.interrupted;
  return ExitCode.buildFailed;
}

/** The keys programs spawning Hilt on client/server repositories read: refs and ports. */
export function serviceKeys(
  graph: BuildGraph,
  images: readonly ImageResult[],
): Pick<HiltResult, "client" | "server" | "ports"> {
  const refOf = (role: string) => {
    const node = graph.nodes.find((n) => n.service?.role === role);
    const image = node && images.find((i) => i.name === node.name);
    return image?.refs[0] ?? null;
  };
  const ports: Record<string, number> = {};
  for (const node of graph.nodes) {
    if (node.service?.port == null) continue;
    ports[node.name] = node.service.port;
    if (node.service.role !== "service" && ports[node.service.role] === undefined)
      ports[node.service.role] = node.service.port;
  }
  return { client: refOf("client"), server: refOf("server"), ports };
}
