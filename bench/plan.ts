// Prints how long Hilt takes to load, validate and plan a generated 1,000-image catalog
// (5 levels, fan-out), the wall time of `hilt plan --json` on the repository's catalog, and the
// plan of a 100,000-file workspace with 21 services against the catalog-only plan (a ratio).
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { plan } from "../src/app/plan.js";
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
  const result = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      path.join(root, "test/helpers/cli-entry.ts"),
      "plan",
      "--json",
      "--offline",
    ],
    { cwd: root },
  );
  if (result.status !== 0) throw new Error(String(result.stderr));
});

/** An npm workspace of `services` packages holding `files` files in all (issue 10's case). */
function workspace(services: number, files: number): string {
  const dir = mkdtempSync(path.join(tmpdir(), "hilt-bench-"));
  const names = Array.from({ length: services }, (_, i) => `svc-${i}`);
  writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({ name: "bench", private: true, workspaces: ["packages/*"] }),
  );
  writeFileSync(path.join(dir, "package-lock.json"), JSON.stringify({ lockfileVersion: 3 }));
  for (const name of names) {
    mkdirSync(path.join(dir, "packages", name, "src"), { recursive: true });
    writeFileSync(
      path.join(dir, "packages", name, "package.json"),
      JSON.stringify({ name, scripts: { start: "node src/index.js" } }),
    );
    writeFileSync(path.join(dir, "packages", name, "src", "index.js"), "");
  }
  for (let i = 0; i < files; i++) {
    const sub = path.join(dir, "packages", names[i % services] as string, "src", `d${i % 50}`);
    if (i < services * 50) mkdirSync(sub, { recursive: true });
    writeFileSync(path.join(sub, `f${i}.js`), `export const v = ${i};\n`);
  }
  return dir;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

const repo = workspace(21, 100_000);
try {
  const options = { runId: "bench", offline: true, env: {} };
  await plan({ root, ...options }); // warm-up
  const catalogOnly = await timed(() => plan({ root, ...options }));
  let nodes = 0;
  const services = await timed(async () => {
    nodes = (await plan({ root: repo, targets: ["."], ...options })).graph.nodes.length;
  });
  console.log(
    `${"100,000 files, 21 services: plan".padEnd(48)} ${services.toFixed(0)} ms (${nodes} images)`,
  );
  console.log(
    `${"  ratio to the catalog-only plan".padEnd(48)} ${(services / catalogOnly).toFixed(1)}× (catalog-only ${catalogOnly.toFixed(0)} ms)`,
  );
} finally {
  rmSync(repo, { recursive: true, force: true });
}
