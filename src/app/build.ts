import { availableParallelism } from "node:os";
import type { Backend, BuildSecrets } from "../engine/backend.js";
import { DockerBackend } from "../engine/docker/backend.js";
import type { EventSink } from "../engine/events.js";
import { stamp } from "../engine/events.js";
import { runBuild } from "../engine/run.js";
import { type EngineChoice, selectBackend } from "../engine/select.js";
import {
  type PreparedSecrets,
  prepareBuildSecrets,
  type RegistryConfigOptions,
  withCatalogSecrets,
} from "../host/build-secrets.js";
import { sizeBudgets } from "../model/catalog-rules.js";
import type { Pipeline } from "../model/pipeline-schema.js";
import type { BuildGraph } from "../plan/plan-schema.js";
import type { PushTarget } from "../plan/targets.js";
import { RegistryClient } from "../registry/client.js";
import { type Credentials, credentialsFor, resolveCredentials } from "../registry/credentials.js";
import type { HiltResult } from "../report/result-schema.js";
import { checkBasePlatforms } from "./base-platforms.js";
import { type PlanOptions, type Project, plan } from "./plan.js";

export interface BuildOptions extends PlanOptions, RegistryConfigOptions {
  engine?: EngineChoice;
  /** Move aliases per image instead of after the whole run succeeded. */
  noAtomic?: boolean;
  /** Rebuild everything, ignoring the registry's content tags and the layer cache. */
  noCache?: boolean;
  signal?: AbortSignal;
  onEvent?: EventSink;
  log?: (line: string) => void;
  /** Overrides engine selection (tests, the Dagger module). */
  backend?: Backend;
  /** The buildx builder to build on (docker engine); wins over HILT_BUILDER and the pipeline. */
  builder?: string;
  /** Lines a user should see even without HILT_DEBUG: the builder and cache chosen. */
  notice?: (line: string) => void;
}

export function defaultConcurrency(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

function registryHost(target: PushTarget): string | undefined {
  if (target.kind === "ghcr") return "ghcr.io";
  if (target.kind === "registry") return target.host;
  if (target.kind === "ttl.sh") return "ttl.sh";
  return undefined;
}

/** Fails before any build when the registry cannot be reached or refuses the credentials. */
async function checkRegistry(registry: RegistryClient, graph: BuildGraph): Promise<void> {
  const first = graph.nodes[0];
  if (first) await registry.headManifest(first.repository, first.contentTag);
}

/** Plans and builds: what `hilt build-all` and `hilt build` run. */
export async function buildAll(options: BuildOptions = {}): Promise<HiltResult> {
  // A build reports the sizes it pushes: no lookup of the previous ones before it starts.
  const { graph, pipeline, project, target, warnings } = await plan({
    ...options,
    lastKnownSizes: false,
  });
  // Warnings are for the user (stderr), not only for HILT_DEBUG's log.
  for (const warning of warnings) (options.notice ?? options.log)?.(`warning: ${warning}`);
  return buildGraph({ options, graph, pipeline, project, target });
}

async function buildGraph(input: {
  options: BuildOptions;
  graph: BuildGraph;
  pipeline: Pipeline;
  project: Project;
  target: PushTarget;
}): Promise<HiltResult> {
  const { options, graph, pipeline, project, target } = input;
  const env = options.env ?? process.env;
  const emit = options.onEvent ?? (() => {});
  const host = registryHost(target);
  const credentials = host ? credentialsFor(host, env) : undefined;
  const credentialMap = new Map<string, Credentials>(
    host && credentials ? [[host, credentials]] : [],
  );
  if (target.kind === "ttl.sh") {
    emit(
      stamp({
        event: "warning",
        message: "ttl.sh images are public: anyone with the ref can pull them",
      }),
    );
    options.log?.("warning: ttl.sh images are public: anyone with the ref can pull them");
  }
  const pushesToRegistry = target.kind === "ghcr" || target.kind === "registry";
  // Hilt's own registry calls ask Docker's credential helpers too (docker asks them itself).
  const clientCredentials =
    pushesToRegistry && host
      ? await resolveCredentials(host, env, options.signal ? { signal: options.signal } : {})
      : undefined;
  const registry = pushesToRegistry
    ? new RegistryClient({
        ...(clientCredentials ? { credentials: clientCredentials } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        onRetry: (info) => {
          emit(stamp({ event: "retry", ...info }));
          options.log?.(`retrying ${info.url} (attempt ${info.attempt}: ${info.reason})`);
        },
      })
    : undefined;
  if (registry) await checkRegistry(registry, graph);
  const bases = await checkBasePlatforms(graph.nodes, {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(host && credentials ? { credentials: { host, value: credentials } } : {}),
  });
  for (const [ref, reason] of Object.entries(bases.unchecked))
    options.log?.(`platforms of base ${ref} not checked: ${reason}`);
  const builder = options.builder
    ? { name: options.builder, source: "--builder" as const }
    : env.HILT_BUILDER
      ? { name: env.HILT_BUILDER, source: "HILT_BUILDER" as const }
      : pipeline.builder
        ? { name: pipeline.builder, source: "pipeline" as const }
        : undefined;
  const docker = {
    push: target.kind !== "none",
    // ttl.sh refs are new each run: a cache there only when the pipeline asks for one.
    pushesToRegistry:
      pushesToRegistry || (target.kind === "ttl.sh" && pipeline.cache === "registry"),
    ...(builder ? { builder } : {}),
    ...(pipeline.cache ? { cache: pipeline.cache } : {}),
  };

  const backend =
    options.backend ??
    (await selectBackend(options.engine ?? "auto", { credentials: credentialMap, env }));
  if (backend instanceof DockerBackend)
    backend.configure({
      settings: docker,
      ...(options.notice ? { notice: options.notice } : {}),
      ...(backend.imageSize ? { imageSize: backend.imageSize.bind(backend) } : {}),
    });
  // The host lookups (npm, pip) only before the first build: a no-change rerun starts none.
  // The backend wrapper waits for them; these objects are filled in then.
  const secrets: BuildSecrets = {};
  const catalogSecrets: BuildSecrets = {};
  let prepared: Promise<PreparedSecrets> | undefined;
  const ready = () =>
    (prepared ??= prepareBuildSecrets({
      ...options,
      buildSecrets: options.buildSecrets ?? pipeline.buildSecrets,
    }).then((p) => {
      Object.assign(secrets, p.secrets);
      Object.assign(catalogSecrets, p.catalogSecrets);
      return p;
    }));
  try {
    await backend.preflight(graph.nodes);
    const epoch = env.SOURCE_DATE_EPOCH ? Number(env.SOURCE_DATE_EPOCH) : undefined;
    return await runBuild({
      graph,
      root: project.root,
      backend: withCatalogSecrets(backend, catalogSecrets, ready),
      target,
      ...(registry ? { registry } : {}),
      concurrency: options.concurrency ?? pipeline.concurrency ?? defaultConcurrency(),
      atomic: !options.noAtomic,
      noCache: options.noCache ?? false,
      signal: options.signal ?? new AbortController().signal,
      secrets,
      sourceDateEpoch: epoch ?? commitEpoch(graph) ?? 0,
      onEvent: emit,
      ...(options.log ? { log: options.log } : {}),
      budgets: sizeBudgets(project.catalog.catalog),
      ...(options.notice ? { notice: options.notice } : {}),
      ...(backend.imageSize ? { imageSize: backend.imageSize.bind(backend) } : {}),
    });
  } finally {
    await (await prepared?.catch(() => undefined))?.cleanup();
    await backend.close();
  }
}

/** The commit time the plan stamped as `created`, as SOURCE_DATE_EPOCH. */
function commitEpoch(graph: BuildGraph): number | undefined {
  const created = graph.nodes[0]?.labels["org.opencontainers.image.created"];
  return created ? Math.floor(Date.parse(created) / 1000) : undefined;
}
