import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { validateCatalogText } from "../../src/model/load-catalog.js";
import { tagPolicySchema } from "../../src/model/pipeline-schema.js";
import { planBuild } from "../../src/plan/plan.js";
import type { BuildGraph } from "../../src/plan/plan-schema.js";
import { parsePushTarget } from "../../src/plan/targets.js";

export const GOLDEN_DIR = import.meta.dirname;

interface CaseOptions {
  push?: string;
  targets?: string[];
  git?: { sha?: string; branch?: string; tag?: string };
  tags?: Record<string, unknown>;
  platforms?: string[];
  contextDigests?: Record<string, string>;
}

export function goldenCases(): string[] {
  return readdirSync(GOLDEN_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(GOLDEN_DIR, d.name, "catalog.yaml")))
    .map((d) => d.name)
    .sort();
}

/** Plans a golden case with everything that varies between runs pinned. */
export function planGolden(name: string): BuildGraph {
  const dir = path.join(GOLDEN_DIR, name);
  const optionsFile = path.join(dir, "options.json");
  const options: CaseOptions = existsSync(optionsFile)
    ? JSON.parse(readFileSync(optionsFile, "utf8"))
    : {};
  const result = validateCatalogText(
    "catalog.yaml",
    readFileSync(path.join(dir, "catalog.yaml"), "utf8"),
  );
  if (!result.value) throw new Error(`${name}: ${JSON.stringify(result.errors)}`);
  return planBuild({
    catalog: result.value,
    catalogFile: "catalog.yaml",
    targets: options.targets,
    push: parsePushTarget(options.push ?? "registry.example.com/golden", {
      runId: "00000000-0000-4000-8000-000000000000",
      owner: "Golden-Owner",
    }),
    policy: tagPolicySchema.parse(options.tags ?? {}),
    git: options.git ?? { sha: "0123456789abcdef0123456789abcdef01234567", branch: "main" },
    platforms: options.platforms,
    contextDigests: options.contextDigests,
    date: "20260101",
  });
}
