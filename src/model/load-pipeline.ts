import { readFile } from "node:fs/promises";
import path from "node:path";
import { didYouMean } from "../util/did-you-mean.js";
import type { Catalog } from "./catalog-schema.js";
import type { Diagnostic, Validated } from "./diagnostics.js";
import { unreadableFile } from "./load-catalog.js";
import {
  PIPELINE_SCHEMA_VERSION,
  type Pipeline,
  pipelineSchema,
  TTL_PATTERN,
} from "./pipeline-schema.js";
import { validateDocument } from "./validate-document.js";
import { formatPath, type PathSegment, type YamlSource } from "./yaml-source.js";

const MAX_TTL_MINUTES = 24 * 60;

export function ttlMinutes(ttl: string): number | undefined {
  const match = TTL_PATTERN.exec(ttl);
  if (!match) return undefined;
  const unit = { m: 1, h: 60, d: 24 * 60 }[match[2] as "m" | "h" | "d"];
  return Number(match[1]) * unit;
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
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    return { value: undefined, errors: [unreadableFile(file, error)], warnings: [] };
  }
  const result = validatePipelineText(file, text);
  return {
    value: result.value ? { pipeline: result.value, file, locate: result.locate } : undefined,
    errors: result.errors,
    warnings: result.warnings,
  };
}
