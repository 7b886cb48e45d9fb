/**
 * Hilt's Node API: the same functions the CLI, the Dagger module and the MCP server call.
 *
 *   import { buildAll, detect, plan } from "hilt";
 *   const result = await buildAll({ push: "ttl.sh", targets: ["agent-codex-task"] });
 */

export { type BuildOptions, buildAll } from "./app/build.js";
export {
  isPathTarget,
  loadProject,
  type PlanOptions,
  type PlanResult,
  type Project,
  plan,
} from "./app/plan.js";
export { detect, detectServices } from "./detect/detect.js";
export type { DetectResult, Fact, Service } from "./detect/types.js";
export type { BuildEvent } from "./engine/events.js";
export {
  type ErrorCode,
  ExecError,
  ExitCode,
  HiltError,
  InternalError,
  InvalidConfigError,
} from "./errors.js";
export { toBake } from "./export/bake.js";
export { toMatrix } from "./export/matrix.js";
export { type GeneratedFile, generate, writeGenerated } from "./generate/generate.js";
export type { Catalog, ImageSpec } from "./model/catalog-schema.js";
export { catalogSchema } from "./model/catalog-schema.js";
export type { Diagnostic } from "./model/diagnostics.js";
export { formatDiagnostic } from "./model/diagnostics.js";
export { validateCatalogText } from "./model/load-catalog.js";
export { validatePipelineText } from "./model/load-pipeline.js";
export { type Pipeline, pipelineSchema } from "./model/pipeline-schema.js";
export { type BuildGraph, type PlanNode, planSchema } from "./plan/plan-schema.js";
export { type HiltResult, type ImageResult, resultSchema } from "./report/result-schema.js";
export { type Resolution, type ResolveRequest, resolveImage } from "./runtime/resolve-image.js";
