// Prints, for the end-to-end test catalog (3 levels, 4 leaves): the cold build's wall time against
// the sum of per-image times (parallel speed-up) and the critical path; the no-change rebuild as a
// ratio of the cold one; and the same graph built by `docker buildx bake` from `hilt export bake`.
// With a BuildKit builder (HILT_E2E_BUILDER) and the amd64+arm64 base
// (HILT_E2E_MULTIARCH_BASE_IMAGE): the same graph for linux/amd64 + linux/arm64, cold and
// unchanged, against the single-platform cold build.
// Needs the end-to-end environment: eval "$(bash test/env/up.sh)". HILT_BENCH_SOURCES=1 runs the
// CLI from the sources (tsx) instead of the bundle bin/hilt.js runs.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { criticalPath } from "../src/plan/graph.js";
import { type HiltResult, resultSchema } from "../src/report/result-schema.js";
import { conformanceCatalog } from "../test/e2e/catalog-fixture.js";
import { NODE_ARGS } from "../test/helpers/cli.js";

const registry = process.env.HILT_E2E_REGISTRY;
const base = process.env.HILT_E2E_BASE_IMAGE;
if (!registry || !base) {
  console.error('run eval "$(bash test/env/up.sh)" first');
  process.exit(2);
}
const bin = path.resolve(import.meta.dirname, "../bin/hilt.js");
const entry = process.env.HILT_BENCH_SOURCES ? NODE_ARGS : [bin];
const builder = process.env.HILT_E2E_BUILDER;
const multiarch = process.env.HILT_E2E_MULTIARCH_BASE_IMAGE;
const repo = mkdtempSync(path.join(tmpdir(), "hilt-bench-build-"));
const nonce = () => Math.random().toString(36).slice(2);
const common = ["--base-image", `debian:bookworm-slim=${base}`, "--platform", "linux/amd64"];

function hilt(args: string[]): { wallMs: number; json: HiltResult; stdout: string } {
  const start = performance.now();
  const run = spawnSync(process.execPath, [...entry, ...args], {
    cwd: repo,
    encoding: "utf8",
  });
  const wallMs = performance.now() - start;
  if (run.status !== 0) throw new Error(run.stderr);
  const json = args.includes("--json")
    ? resultSchema.parse(JSON.parse(run.stdout))
    : (undefined as never);
  return { wallMs, json, stdout: run.stdout };
}

writeFileSync(path.join(repo, "catalog.yaml"), conformanceCatalog({ nonce: nonce() }));
const push = `${registry}/bench-${nonce()}`;
const cold = hilt(["build-all", "--json", "--push", push, ...common]);
const durations = new Map<string, number>(cold.json.images.map((i) => [i.name, i.durationMs]));
const sum = [...durations.values()].reduce((a, b) => a + b, 0);
const critical = criticalPath(
  new Map(cold.json.images.map((i) => [i.name, i.parents])),
  (n) => durations.get(n) ?? 0,
);
const warm = hilt(["build-all", "--json", "--push", push, ...common]);

writeFileSync(path.join(repo, "catalog.yaml"), conformanceCatalog({ nonce: nonce() }));
const bake = hilt(["export", "bake", "--push", `${registry}/bench-bake-${nonce()}`, ...common]);
writeFileSync(path.join(repo, "docker-bake.json"), bake.stdout);
const bakeStart = performance.now();
const baked = spawnSync("docker", ["buildx", "bake", "-f", "docker-bake.json", "--push"], {
  cwd: repo,
  encoding: "utf8",
});
const bakeMs = performance.now() - bakeStart;
if (baked.status !== 0) throw new Error(baked.stderr.slice(-2000));

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
console.log(`images                          ${cold.json.images.length}`);
console.log(`cold build (hilt, wall)         ${s(cold.json.durationMs)}`);
console.log(
  `sum of per-image times          ${s(sum)}  (parallel speed-up ×${(sum / cold.json.durationMs).toFixed(2)})`,
);
console.log(
  `critical path (${critical.nodes.join(" → ")})  ${s(critical.weight)}  (wall / critical path ×${(cold.json.durationMs / critical.weight).toFixed(2)})`,
);
console.log(
  `no-change rebuild               ${s(warm.json.durationMs)}  (${((100 * warm.json.durationMs) / cold.json.durationMs).toFixed(1)}% of cold; process wall ${s(warm.wallMs)})`,
);
console.log(`docker buildx bake, same graph  ${s(bakeMs)}`);

if (builder && multiarch) {
  // The same graph for two platforms on the BuildKit builder; arm64 runs under QEMU.
  const multi = [
    "--base-image",
    `debian:bookworm-slim=${multiarch}`,
    "--platform",
    "linux/amd64,linux/arm64",
    "--builder",
    builder,
  ];
  const single = [...multi.slice(0, 2), "--platform", "linux/amd64", "--builder", builder];
  writeFileSync(path.join(repo, "catalog.yaml"), conformanceCatalog({ nonce: nonce() }));
  const one = hilt([
    "build-all",
    "--json",
    "--push",
    `${registry}/bench-one-${nonce()}`,
    ...single,
  ]);
  writeFileSync(path.join(repo, "catalog.yaml"), conformanceCatalog({ nonce: nonce() }));
  const multiPush = `${registry}/bench-multi-${nonce()}`;
  const two = hilt(["build-all", "--json", "--push", multiPush, ...multi]);
  const twoWarm = hilt(["build-all", "--json", "--push", multiPush, ...multi]);
  console.log(`\nbuilder ${builder} (registry layer cache on)`);
  console.log(`cold build, linux/amd64         ${s(one.wallMs)} (process wall)`);
  console.log(
    `cold build, amd64 + arm64       ${s(two.wallMs)}  (×${(two.wallMs / one.wallMs).toFixed(2)} of one platform on this builder; ×${(two.wallMs / cold.wallMs).toFixed(2)} of the docker-driver cold build)`,
  );
  console.log(
    `no-change rerun, amd64 + arm64  ${s(twoWarm.wallMs)}  (${((100 * twoWarm.wallMs) / two.wallMs).toFixed(1)}% of its cold build, process wall)`,
  );
}
rmSync(repo, { recursive: true, force: true });
