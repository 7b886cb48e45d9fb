import type { Catalog } from "../../src/model/catalog-schema.js";
import { formatDiagnostic } from "../../src/model/diagnostics.js";
import { validateCatalogText } from "../../src/model/load-catalog.js";
import { tagPolicySchema } from "../../src/model/pipeline-schema.js";
import { type PlanInput, planBuild } from "../../src/plan/plan.js";
import type { BuildGraph } from "../../src/plan/plan-schema.js";
import { parsePushTarget } from "../../src/plan/targets.js";

export const RUN_ID = "00000000-0000-4000-8000-000000000000";
export const SHA = "0123456789abcdef0123456789abcdef01234567";

export function catalogFrom(text: string): Catalog {
  const result = validateCatalogText("catalog.yaml", text);
  if (!result.value) throw new Error(result.errors.map(formatDiagnostic).join("\n"));
  return result.value;
}

export function planOf(text: string, overrides: Partial<PlanInput> = {}): BuildGraph {
  return planBuild({
    catalog: catalogFrom(text),
    catalogFile: "catalog.yaml",
    push: parsePushTarget("127.0.0.1:5000/hilt", { runId: RUN_ID }),
    policy: tagPolicySchema.parse({}),
    git: { sha: SHA, branch: "main" },
    ...overrides,
  });
}
