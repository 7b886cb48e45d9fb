import type { NodeOutcome } from "../engine/scheduler.js";
import { type HiltError, toHiltError } from "../errors.js";
import type { BuildGraph } from "../plan/plan-schema.js";
import {
  type HiltResult,
  type ImageResult,
  type ImageSize,
  RESULT_SCHEMA_VERSION,
} from "./result-schema.js";

/** What the run recorded of a node that finished. */
export interface NodeDone {
  status: "built" | "cached";
  digest: string;
  ref: string;
  durationMs: number;
  aliases: string[];
  /** The platforms the pushed image holds, read back from the registry. */
  platforms?: string[];
  /** What the image weighs (and its budget), as far as it is known. */
  size?: ImageSize;
}

/** The lines of a failing build's log kept in the result: enough to see the failing step. */
const LOG_TAIL_LINES = 30;

function logTail(error: HiltError): string | undefined {
  const log = error.details?.log;
  if (typeof log !== "string" || log.trim() === "") return undefined;
  return log.trim().split("\n").slice(-LOG_TAIL_LINES).join("\n");
}

/** The result document of a run, from the scheduler's outcomes. */
export function assembleResult(input: {
  graph: BuildGraph;
  engine: HiltResult["engine"];
  builder?: string;
  outcomes: ReadonlyMap<string, NodeOutcome<NodeDone>>;
  /** How long each failed image ran before failing. */
  failedAfterMs: ReadonlyMap<string, number>;
  interrupted: boolean;
  aliasError?: HiltError;
  durationMs: number;
}): HiltResult {
  const { graph, outcomes, interrupted, aliasError } = input;
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
        ...(v.platforms ? { platforms: v.platforms } : {}),
        refs: [...node.refs.immutable, ...v.aliases],
        digest: v.digest || null,
        durationMs: v.durationMs,
        error: null,
        ...(v.size && Object.keys(v.size).length > 0 ? { size: v.size } : {}),
      };
    }
    if (outcome?.status === "failed") {
      const e = toHiltError(outcome.error);
      const log = logTail(e);
      // An image over its size budget was built: its size says by how much.
      const size = e.details?.size as ImageSize | undefined;
      return {
        ...base,
        status: "failed",
        refs: [],
        digest: null,
        durationMs: input.failedAfterMs.get(node.name) ?? 0,
        error: {
          code: e.code,
          message: e.message,
          ...(e.hint ? { hint: e.hint } : {}),
          ...(log ? { log } : {}),
        },
        ...(size ? { size } : {}),
      };
    }
    const reason = outcome?.status === "skipped" ? outcome.reason : "not started";
    const code = interrupted ? "INTERRUPTED" : "PARENT_FAILED";
    return {
      ...base,
      status: "skipped",
      refs: [],
      digest: null,
      durationMs: 0,
      error: { code, message: reason },
    };
  });

  const allDone = [...outcomes.values()].every((o) => o.status === "done");
  const ok = allDone && !aliasError && !interrupted;
  const runError = interrupted
    ? { code: "INTERRUPTED", message: "the run was interrupted; images not finished are skipped" }
    : aliasError
      ? { code: aliasError.code, message: `moving aliases failed: ${aliasError.message}` }
      : !allDone
        ? {
            code: runFailureCode(images),
            message: `${images.filter((i) => i.status === "failed").length} image(s) failed`,
            hint: "see each image's error",
          }
        : null;
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    kind: "hilt.result",
    ok,
    engine: input.engine,
    ...(input.builder ? { builder: input.builder } : {}),
    push: graph.push,
    images,
    ...serviceKeys(graph, images),
    durationMs: input.durationMs,
    error: runError,
  };
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

/**
 * The run's failure code: a registry's when every failed image failed at the registry (the
 * exit code then says "registry", 5), a build failure otherwise.
 */
function runFailureCode(images: readonly ImageResult[]): string {
  const codes = new Set(
    images.filter((i) => i.status === "failed").map((i) => i.error?.code ?? "BUILD_FAILED"),
  );
  const [only] = codes;
  return codes.size === 1 && only?.startsWith("REGISTRY_") ? only : "BUILD_FAILED";
}
