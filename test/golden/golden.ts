import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { gather } from "../../src/app/gather.js";
import { validateCatalogText } from "../../src/model/load-catalog.js";
import { tagPolicySchema } from "../../src/model/pipeline-schema.js";
import { assemblePlan } from "../../src/plan/assemble.js";
import type { BuildGraph } from "../../src/plan/plan-schema.js";
import { parsePushTarget } from "../../src/plan/targets.js";

export const GOLDEN_DIR = import.meta.dirname;
const EXAMPLES_DIR = path.resolve(GOLDEN_DIR, "../../examples");
const RUN_ID = "00000000-0000-4000-8000-000000000000";
const SHA = "0123456789abcdef0123456789abcdef01234567";

interface CaseOptions {
  push?: string;
  targets?: string[];
  git?: { sha?: string; branch?: string; tag?: string };
  tags?: Record<string, unknown>;
  platforms?: string[];
  contextDigests?: Record<string, string>;
  dockerfileTexts?: Record<string, string>;
  baseImages?: Record<string, string>;
  baseDigests?: Record<string, string | null>;
  /** Service cases: an example folder planned through the real gathering step, offline. */
  example?: string;
}

export function goldenCases(): string[] {
  return readdirSync(GOLDEN_DIR, { withFileTypes: true })
    .filter(
      (d) =>
        d.isDirectory() &&
        (existsSync(path.join(GOLDEN_DIR, d.name, "catalog.yaml")) ||
          existsSync(path.join(GOLDEN_DIR, d.name, "service-case.json"))),
    )
    .map((d) => d.name)
    .sort();
}

function caseOptions(dir: string): CaseOptions {
  for (const file of ["options.json", "service-case.json"]) {
    const full = path.join(dir, file);
    if (existsSync(full)) return JSON.parse(readFileSync(full, "utf8"));
  }
  return {};
}

/** Plans a golden case with everything that varies between runs pinned. */
export async function planGolden(name: string): Promise<BuildGraph> {
  const dir = path.join(GOLDEN_DIR, name);
  const options = caseOptions(dir);
  if (options.example) {
    const { inputs } = await gather({
      root: EXAMPLES_DIR,
      targets: [`./${options.example}`],
      push: options.push ?? "registry.example.com/golden",
      runId: RUN_ID,
      owner: "Golden-Owner",
      git: options.git ?? { sha: SHA, branch: "main" },
      env: { SOURCE_DATE_EPOCH: "1767225600" },
      platforms: ["linux/amd64"],
      ...(options.baseImages ? { baseImages: options.baseImages } : {}),
      offline: true,
    });
    return assemblePlan({ ...inputs, nativePlatform: "linux/amd64" });
  }
  const result = validateCatalogText(
    "catalog.yaml",
    readFileSync(path.join(dir, "catalog.yaml"), "utf8"),
  );
  if (!result.value) throw new Error(`${name}: ${JSON.stringify(result.errors)}`);
  return assemblePlan({
    catalog: result.value,
    catalogFile: "catalog.yaml",
    targets: options.targets ?? [],
    push: parsePushTarget(options.push ?? "registry.example.com/golden", {
      runId: RUN_ID,
      owner: "Golden-Owner",
    }),
    policy: tagPolicySchema.parse(options.tags ?? {}),
    git: options.git ?? { sha: SHA, branch: "main" },
    ...(options.platforms ? { platforms: options.platforms } : {}),
    nativePlatform: "linux/amd64",
    baseImages: options.baseImages ?? {},
    contextDigests: options.contextDigests ?? {},
    dockerfileTexts: options.dockerfileTexts ?? {},
    services: [],
    baseDigests: options.baseDigests ?? {},
    unpinnedReasons: Object.fromEntries(
      Object.entries(options.baseDigests ?? {}).map(([ref]) => [ref, "not in the registry"]),
    ),
    date: "20260101",
  });
}
