import { ExitCode, exitCodeOf, type HiltError, InternalError, toHiltError } from "../errors.js";
import { parseReference } from "../model/oci.js";
import type { BuildGraph, PlanNode } from "../plan/plan-schema.js";
import type { PushTarget } from "../plan/targets.js";
import type { RegistryClient } from "../registry/client.js";
import { measureImage } from "../registry/sizes.js";
import { checkBudget, type SizeBudget } from "../report/budget.js";
import { assembleResult, type NodeDone } from "../report/result.js";
import type { HiltResult } from "../report/result-schema.js";
import type { Backend, BuildSecrets, SessionBuildRequest, SessionOutput } from "./backend.js";
import { externalBaseRef } from "./docker/argv.js";
import { type EventInput, type EventSink, stamp } from "./events.js";
import { producedPlatforms } from "./produced-platforms.js";
import { runGraph, sessionMembers } from "./scheduler.js";

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
  const emit = (event: EventInput, at?: number) => options.onEvent?.(stamp(event, at));
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

  const lookUp = async (node: PlanNode): Promise<string | undefined> => {
    if (options.noCache) return undefined;
    if (cacheable && registry) return registry.headManifest(node.repository, node.contentTag);
    if (!pushing) return backend.localImage(`${node.repository}:${node.contentTag}`);
    return undefined;
  };
  // Each image's content tag is looked up once: the session planner and its build share it.
  const lookups = new Map<string, Promise<string | undefined>>();
  const cachedDigest = (node: PlanNode): Promise<string | undefined> => {
    let lookup = lookups.get(node.name);
    if (!lookup) {
      lookup = lookUp(node);
      lookups.set(node.name, lookup);
    }
    return lookup;
  };
  const cachedRef = (node: PlanNode, digest: string): string =>
    pushing ? `${node.repository}@${digest}` : `${node.repository}:${node.contentTag}`;

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

  /** What every build of a node asks the engine, alone or in a session, but its base. */
  const buildRequest = (node: PlanNode): Omit<SessionBuildRequest, "baseRef"> => ({
    node,
    root: options.root,
    tags: node.refs.immutable,
    push: pushing,
    noCache: options.noCache ?? false,
    secrets: options.secrets,
    sourceDateEpoch: options.sourceDateEpoch,
    signal,
    log: options.log ?? (() => {}),
  });

  const buildNode = async (
    name: string,
    parents: ReadonlyMap<string, NodeDone>,
  ): Promise<NodeDone> => {
    const node = byName.get(name) as PlanNode;
    // Built in the session: started when its parent's result existed there (said as it ran).
    const inSession = session?.members.has(name) === true;
    const fromSession = inSession ? (await session?.outputs)?.get(name) : undefined;
    const nodeStarted = (fromSession && session?.started.get(name)) || Date.now();
    startedAt.set(name, nodeStarted);
    if (!session?.started.has(name)) {
      session?.started.set(name, nodeStarted);
      emit({ event: "started", image: name });
    }
    const cached = fromSession ? undefined : await cachedDigest(node);
    let finishedAt: number | undefined;
    let done: NodeDone;
    if (cached) {
      const ref = cachedRef(node, cached);
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
      if (inSession && !fromSession)
        options.log?.(`${name}: not built by the session; building it on its own`);
      const output = fromSession ?? (await backend.build({ ...buildRequest(node), baseRef }));
      // What the registry holds is what the result says: a missing platform fails the image.
      // (Not for an image an interrupted session had pushed: the registry client is stopped too.)
      const platforms =
        pushing && registry && !(fromSession && signal.aborted)
          ? await producedPlatforms(registry, { ...node, digest: output.digest })
          : undefined;
      // The session's progress says when the image was pushed; its own build ends now.
      finishedAt = fromSession
        ? Math.max(fromSession.finishedAt ?? Date.now(), nodeStarted)
        : undefined;
      done = {
        status: "built",
        digest: output.digest,
        ref: output.ref,
        durationMs: (finishedAt ?? Date.now()) - nodeStarted,
        aliases: [],
        ...(platforms ? { platforms } : {}),
      };
    }
    await measure(node, done, parents);
    if (!options.atomic) done.aliases = await moveAliases(node, done);
    emit(
      { event: "finished", image: name, status: done.status, durationMs: done.durationMs },
      finishedAt,
    );
    return done;
  };

  const session =
    backend.buildSession && options.concurrency > 1 && !signal.aborted
      ? await startSession({
          graph,
          backend,
          signal,
          lookup: cachedDigest,
          cachedRef,
          request: buildRequest,
          onStarted: (name, at) => emit({ event: "started", image: name }, at),
          log: options.log ?? (() => {}),
          notice: options.notice ?? options.log ?? (() => {}),
        })
      : undefined;

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

interface Session {
  members: ReadonlyMap<string, { parentInSession?: string }>;
  /** When each image started (live), for its events and duration. */
  started: Map<string, number>;
  /** Every member's result, or undefined when the session failed (they build one by one). */
  outputs: Promise<Map<string, SessionOutput> | undefined>;
}

/**
 * Looks up every content tag, then builds what is left (two images or more) in one engine
 * session. Its failure is not the run's: the members are built one by one after it (the
 * builder's cache keeps what it finished), which isolates the failing image as usual.
 */
async function startSession(input: {
  graph: BuildGraph;
  backend: Backend;
  signal: AbortSignal;
  lookup: (node: PlanNode) => Promise<string | undefined>;
  cachedRef: (node: PlanNode, digest: string) => string;
  request: (node: PlanNode) => Omit<SessionBuildRequest, "baseRef">;
  onStarted: (name: string, at: number) => void;
  log: (line: string) => void;
  /** Lines the user sees: a session that failed and what happens instead. */
  notice: (line: string) => void;
}): Promise<Session | undefined> {
  const { graph, backend, signal } = input;
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  const cached = new Map<string, string | undefined>();
  await Promise.all(
    graph.nodes.map(async (node) => {
      // A failed lookup leaves the image out; its own build step reports the failure.
      const digest = await input.lookup(node).then(
        (d) => ({ d }),
        () => undefined,
      );
      if (digest) cached.set(node.name, digest.d);
    }),
  );
  const fromParent = (name: string) => {
    const from = byName.get(name)?.from;
    return from?.type === "image" ? from.name : undefined;
  };
  const members = sessionMembers({
    nodes: graph.nodes.map((n) => n.name),
    parentsOf: (name) => byName.get(name)?.parents ?? [],
    fromParent,
    cached,
  });
  if (members.size < 2 || signal.aborted || !backend.buildSession) return undefined;
  const requests: SessionBuildRequest[] = [...members].map(([name, member]) => {
    const node = byName.get(name) as PlanNode;
    const parent = fromParent(name);
    const parentNode = parent ? byName.get(parent) : undefined;
    const parentDigest = parent ? cached.get(parent) : undefined;
    const baseRef =
      parentNode && parentDigest
        ? input.cachedRef(parentNode, parentDigest)
        : (externalBaseRef(node) ?? "scratch");
    return {
      ...input.request(node),
      baseRef,
      ...(member.parentInSession ? { parentInSession: member.parentInSession } : {}),
    };
  });
  const started = new Map<string, number>();
  const start = Date.now();
  for (const [name, member] of members)
    if (!member.parentInSession) {
      started.set(name, start);
      input.onStarted(name, start);
    }
  // A child starts in the session once its parent's result exists there.
  const onExported = (name: string, at: number) => {
    for (const [child, member] of members)
      if (member.parentInSession === name && !started.has(child)) {
        started.set(child, at);
        input.onStarted(child, at);
      }
  };
  const outputs = backend.buildSession(requests, onExported).then(
    (built) => built,
    (error: unknown) => {
      if (signal.aborted) throw error;
      const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
      input.notice(`one-session build failed (${reason}); building its images one by one`);
      return undefined;
    },
  );
  // Each member's build awaits it; this keeps an interrupted session from going unhandled first.
  outputs.catch(() => {});
  return { members, started, outputs };
}
