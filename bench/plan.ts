// Prints how long Hilt takes to load, validate and plan a generated 1,000-image catalog
// (5 levels, fan-out), and the wall time of `hilt plan --json` on the repository's catalog.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { validateCatalogText } from "../src/model/load-catalog.js";
import { tagPolicySchema } from "../src/model/pipeline-schema.js";
import { planBuild } from "../src/plan/plan.js";
import { parsePushTarget } from "../src/plan/targets.js";
import { generateCatalog } from "./generate-catalog.js";

function measure(label: string, runs: number, fn: () => void): void {
  fn(); // warm-up: JIT and module loading are not what is measured
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] ?? 0;
  console.log(
    `${label.padEnd(48)} median ${median.toFixed(1)} ms  min ${times[0]?.toFixed(1)} ms  (${runs} runs)`,
  );
}

const text = generateCatalog(1000, 5);
const policy = tagPolicySchema.parse({});
const push = parsePushTarget("registry.example.com/bench", { runId: "bench" });
const git = { sha: "0123456789abcdef0123456789abcdef01234567", branch: "main" };
let images = 0;
measure("1,000 images: load + validate", 10, () => {
  images = Object.keys(validateCatalogText("catalog.yaml", text).value?.images ?? {}).length;
});
const catalog = validateCatalogText("catalog.yaml", text).value;
if (!catalog || images !== 1000) throw new Error(`generated catalog is invalid (${images} images)`);
measure("1,000 images: plan", 10, () => {
  planBuild({ catalog, catalogFile: "catalog.yaml", push, policy, git });
});
measure("1,000 images: load + validate + plan", 10, () => {
  const c = validateCatalogText("catalog.yaml", text).value;
  if (c) planBuild({ catalog: c, catalogFile: "catalog.yaml", push, policy, git });
});

const root = path.resolve(import.meta.dirname, "..");
measure("`hilt plan --json` on catalog.yaml (wall)", 5, () => {
  const result = spawnSync(process.execPath, [path.join(root, "bin/hilt.js"), "plan", "--json"], {
    cwd: root,
  });
  if (result.status !== 0) throw new Error(String(result.stderr));
});
