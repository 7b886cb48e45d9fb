import path from "node:path";
import { HiltError } from "../errors.js";
import { parsePushTarget } from "../plan/targets.js";
import { didYouMean } from "../util/did-you-mean.js";
import type { Catalog } from "./catalog-schema.js";
import { readConfigText } from "./config-file.js";
import type { Diagnostic, Validated } from "./diagnostics.js";
import {
  MAX_TTL_MINUTES,
  PIPELINE_SCHEMA_VERSION,
  type Pipeline,
  pipelineSchema,
  ttlMinutes,
} from "./pipeline-schema.js";
import { validateDocument } from "./validate-document.js";
import { formatPath, type PathSegment, type YamlSource } from "./yaml-source.js";

/** A push target's syntax problem, checked with a stand-in owner: the real one may be in env. */
function pushTargetProblem(registry: string, owner: string): HiltError | undefined {
  try {
    parsePushTarget(registry, { owner, ttl: "1h", runId: "check", env: {} });
    return undefined;
  } catch (error) {
    if (error instanceof HiltError) return error;
    throw error;
  }
}

function checkPipeline(pipeline: Pipeline, source: YamlSource): Diagnostic[] {
  const out: Diagnostic[] = [];
  const report = (p: PathSegment[], code: string, message: string, hint?: string) => {
    const { line, column } = source.locate(p);
    out.push({
      code,
      severity: "error",
      file: source.file,
      line,
      column,
      path: formatPath(p),
      message,
      ...(hint ? { hint } : {}),
    });
  };
  const minutes = ttlMinutes(pipeline.push.ttl);
  if (minutes !== undefined && minutes > MAX_TTL_MINUTES) {
    report(
      ["push", "ttl"],
      "INVALID_TTL",
      `ttl ${pipeline.push.ttl} is longer than ttl.sh keeps images`,
      "use at most 24h",
    );
  }
  const { registry, owner } = pipeline.push;
  const target = pushTargetProblem(registry, "owner");
  const ownerProblem = owner === undefined || target ? undefined : pushTargetProblem("ghcr", owner);
  if (target) report(["push", "registry"], "INVALID_PUSH_TARGET", target.message, target.hint);
  else if (ownerProblem)
    report(["push", "owner"], "INVALID_PUSH_TARGET", ownerProblem.message, ownerProblem.hint);
  return out;
}

/** Names in `targets` must be catalog images or groups: checked once the catalog is known. */
export function checkPipelineTargets(loaded: LoadedPipeline, catalog: Catalog): Diagnostic[] {
  const { pipeline, file, locate } = loaded;
  const known = [...Object.keys(catalog.images), ...Object.keys(catalog.groups)];
  const out: Diagnostic[] = [];
  pipeline.targets.forEach((target, index) => {
    if (known.includes(target)) return;
    const { line, column } = locate(["targets", index]);
    const suggestion = didYouMean(target, known);
    out.push({
      code: "UNKNOWN_TARGET",
      severity: "error",
      file,
      line,
      column,
      path: `targets.${index}`,
      message: `"${target}" is neither an image nor a group of the catalog`,
      hint: suggestion ? `did you mean "${suggestion}"?` : `known: ${known.join(", ")}`,
    });
  });
  return out;
}

export function validatePipelineText(
  file: string,
  text: string,
): Validated<Pipeline> & { locate: YamlSource["locate"] } {
  const result = validateDocument(file, text, pipelineSchema, {
    supportedVersion: PIPELINE_SCHEMA_VERSION,
    rules: checkPipeline,
  });
  const value = result.value
    ? { ...result.value, name: result.value.name ?? path.basename(file).replace(/\.ya?ml$/, "") }
    : undefined;
  return { value, errors: result.errors, warnings: result.warnings, locate: result.source.locate };
}

export interface LoadedPipeline {
  pipeline: Pipeline;
  file: string;
  /** Where a path of the file was written, for diagnostics found after loading. */
  locate: YamlSource["locate"];
}

export async function loadPipeline(file: string): Promise<Validated<LoadedPipeline>> {
  const read = readConfigText(file);
  if (!read.ok) return { value: undefined, errors: [read.error], warnings: [] };
  const result = validatePipelineText(file, read.text);
  return {
    value: result.value ? { pipeline: result.value, file, locate: result.locate } : undefined,
    errors: result.errors,
    warnings: result.warnings,
  };
}
