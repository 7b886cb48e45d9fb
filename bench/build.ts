// Prints, for the end-to-end test catalog (3 levels, 4 leaves): Hilt's cold build against
// `docker buildx bake` of `hilt export bake` on the same graph and builder (process wall times,
// measured in the same rounds, interleaved so a busy moment weighs on both), the no-change rerun
// as a share of the cold build (whole process), and the parallel speed-up and critical path of
// the cold build. With a BuildKit builder (HILT_E2E_BUILDER) and the amd64+arm64 base
// (HILT_E2E_MULTIARCH_BASE_IMAGE): the same graph for linux/amd64 + linux/arm64, cold and
// unchanged, against the single-platform cold build on that builder.
// Runs: node --import tsx bench/build.ts [--runs N] [--fresh] [--no-multi]. Needs the end-to-end
// environment (eval "$(bash test/env/up.sh)", or source /tmp/e2e-env.sh). --fresh bundles the
// current sources into a temporary package (as bench/startup does) and measures that, leaving
// dist/ alone; HILT_BENCH_SOURCES=1 runs the CLI from the sources (tsx) instead.
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { criticalPath } from "../src/plan/graph.js";
import { type HiltResult, resultSchema } from "../src/report/result-schema.js";
import { conformanceCatalog } from "../test/e2e/catalog-fixture.js";
import { NODE_ARGS } from "../test/helpers/cli.js";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "1" },
    fresh: { type: "boolean", default: false },
    "no-multi": { type: "boolean", default: false },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error("--runs must be a positive integer");
const registry = process.env.HILT_E2E_REGISTRY;
const base = process.env.HILT_E2E_BASE_IMAGE;
if (!registry || !base) {
  console.error('run eval "$(bash test/env/up.sh)" (or source /tmp/e2e-env.sh) first');
  process.exit(2);
}
const root = path.resolve(import.meta.dirname, "..");

/**
 * The current sources bundled into a temporary package, by the committed bin/hilt.js and
 * scripts/bundle.mjs (git HEAD: a half-edited launcher in the work tree must not decide), with
 * HILT_BUNDLE_DIR, leaving dist/ alone.
 */
function freshBin(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "hilt-bench-bin-"));
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  for (const folder of ["bin", "scripts"]) mkdirSync(path.join(dir, folder));
  const listed = spawnSync("git", ["ls-tree", "--name-only", "HEAD", "bin/", "scripts/"], {
    cwd: root,
    encoding: "utf8",
  });
  for (const file of listed.stdout.split("\n").filter(Boolean)) {
    const committed = spawnSync("git", ["show", `HEAD:${file}`], { cwd: root, encoding: "utf8" });
    if (committed.status !== 0) throw new Error(`git show HEAD:${file}: ${committed.stderr}`);
    writeFileSync(path.join(dir, file), committed.stdout);
  }
  cpSync(path.join(root, "package.json"), path.join(dir, "package.json"));
  for (const link of ["node_modules", "src", "tsconfig.json"])
    symlinkSync(path.join(root, link), path.join(dir, link));
  const built = spawnSync(process.execPath, [path.join(dir, "scripts/bundle.mjs")], {
    env: { ...process.env, HILT_BUNDLE_DIR: path.join(dir, "dist/bundle") },
    encoding: "utf8",
  });
  if (built.status !== 0) throw new Error(`bundling failed: ${built.stderr}`);
  return path.join(dir, "bin/hilt.js");
}

const bin = values.fresh ? freshBin() : path.join(root, "bin/hilt.js");
const entry = process.env.HILT_BENCH_SOURCES ? NODE_ARGS : [bin];
const builder = process.env.HILT_E2E_BUILDER;
const multiarch = process.env.HILT_E2E_MULTIARCH_BASE_IMAGE;
const repo = mkdtempSync(path.join(tmpdir(), "hilt-bench-build-"));
process.on("exit", () => rmSync(repo, { recursive: true, force: true }));
const nonce = () => Math.random().toString(36).slice(2);
const common = ["--base-image", `debian:bookworm-slim=${base}`, "--platform", "linux/amd64"];

interface Run {
  wallMs: number;
  json: HiltResult;
  stdout: string;
  stderr: string;
}

function hilt(args: string[]): Run {
  const start = performance.now();
  const run = spawnSync(process.execPath, [...entry, ...args], { cwd: repo, encoding: "utf8" });
  const wallMs = performance.now() - start;
  if (run.status !== 0) throw new Error(run.stderr);
  const json = args.includes("--json")
    ? resultSchema.parse(JSON.parse(run.stdout))
    : (undefined as never);
  return { wallMs, json, stdout: run.stdout, stderr: run.stderr };
}

function freshCatalog(): void {
  writeFileSync(path.join(repo, "catalog.yaml"), conformanceCatalog({ nonce: nonce() }));
}

/** `docker buildx bake` of `hilt export bake` for a new catalog: its process wall time. */
function bake(extra: string[], bakeArgs: string[] = []): number {
  freshCatalog();
  const exported = hilt([
    "export",
    "bake",
    "--push",
    `${registry}/bench-bake-${nonce()}`,
    ...extra,
  ]);
  writeFileSync(path.join(repo, "docker-bake.json"), exported.stdout);
  const start = performance.now();
  const baked = spawnSync(
    "docker",
    ["buildx", "bake", ...bakeArgs, "-f", "docker-bake.json", "--push"],
    { cwd: repo, encoding: "utf8" },
  );
  const ms = performance.now() - start;
  if (baked.status !== 0) throw new Error(baked.stderr.slice(-2000));
  return ms;
}

const median = (list: number[]) => {
  const sorted = [...list].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const pct = (part: number, whole: number) => `${((100 * part) / whole).toFixed(1)} %`;

interface Round {
  cold: Run;
  warm: Run;
  bakeMs: number;
}
const rounds: Round[] = [];
for (let i = 0; i < runs; i++) {
  // Alternate which goes first: the builder's state and the machine's load favour neither.
  const bakeFirst = i % 2 === 1;
  const bakeBefore = bakeFirst ? bake(common) : undefined;
  freshCatalog();
  const push = `${registry}/bench-${nonce()}`;
  const cold = hilt(["build-all", "--json", "--push", push, ...common]);
  const warm = hilt(["build-all", "--json", "--push", push, ...common]);
  const bakeMs = bakeBefore ?? bake(common);
  rounds.push({ cold, warm, bakeMs });
}

const last = rounds.at(-1) as Round;
const durations = new Map<string, number>(last.cold.json.images.map((i) => [i.name, i.durationMs]));
const sum = [...durations.values()].reduce((a, b) => a + b, 0);
const critical = criticalPath(
  new Map(last.cold.json.images.map((i) => [i.name, i.parents])),
  (n) => durations.get(n) ?? 0,
);
const coldRatios = rounds.map((r) => r.cold.wallMs / r.bakeMs);
const warmShares = rounds.map((r) => r.warm.wallMs / r.cold.wallMs);
console.log(`images                           ${last.cold.json.images.length}`);
console.log(`rounds                           ${runs} (interleaved with bake)`);
for (const [i, r] of rounds.entries()) {
  console.log(
    `round ${i + 1}: hilt cold ${s(r.cold.wallMs)} (build ${s(r.cold.json.durationMs)}), bake ${s(r.bakeMs)}, ` +
      `hilt/bake ×${(r.cold.wallMs / r.bakeMs).toFixed(2)}; no-change rerun ${s(r.warm.wallMs)} ` +
      `(${pct(r.warm.wallMs, r.cold.wallMs)} of cold)`,
  );
}
console.log(
  `cold, hilt / docker buildx bake  ×${median(coldRatios).toFixed(2)} median (goal ≤ ×0.90)`,
);
console.log(
  `no-change rerun / cold (process) ${(100 * median(warmShares)).toFixed(1)} % median (goal ≤ 5 %)`,
);
console.log(
  `sum of per-image times           ${s(sum)}  (parallel speed-up ×${(sum / last.cold.json.durationMs).toFixed(2)}, last round)`,
);
console.log(
  `critical path (${critical.nodes.join(" → ")})  ${s(critical.weight)}  (wall / critical path ×${(last.cold.json.durationMs / critical.weight).toFixed(2)})`,
);

if (builder && multiarch && !values["no-multi"]) {
  // The same graph for two platforms on the BuildKit builder; arm64 runs under QEMU.
  const multiBase = ["--base-image", `debian:bookworm-slim=${multiarch}`];
  const singleExport = [...multiBase, "--platform", "linux/amd64"];
  const multiExport = [...multiBase, "--platform", "linux/amd64,linux/arm64"];
  const single = [...singleExport, "--builder", builder];
  const multi = [...multiExport, "--builder", builder];
  freshCatalog();
  const one = hilt([
    "build-all",
    "--json",
    "--push",
    `${registry}/bench-one-${nonce()}`,
    ...single,
  ]);
  const oneBake = bake(singleExport, ["--builder", builder]);
  freshCatalog();
  const multiPush = `${registry}/bench-multi-${nonce()}`;
  const two = hilt(["build-all", "--json", "--push", multiPush, ...multi]);
  const twoWarm = hilt(["build-all", "--json", "--push", multiPush, ...multi]);
  const twoBake = bake(multiExport, ["--builder", builder]);
  console.log(`\nbuilder ${builder} (registry layer cache on for hilt; bake exports none)`);
  console.log(
    `cold, linux/amd64               ${s(one.wallMs)}  (bake ${s(oneBake)}, hilt/bake ×${(one.wallMs / oneBake).toFixed(2)})`,
  );
  console.log(
    `cold, amd64 + arm64             ${s(two.wallMs)}  (bake ${s(twoBake)}, hilt/bake ×${(two.wallMs / twoBake).toFixed(2)}; ×${(two.wallMs / one.wallMs).toFixed(2)} of one platform)`,
  );
  console.log(
    `no-change rerun, amd64 + arm64  ${s(twoWarm.wallMs)}  (${pct(twoWarm.wallMs, two.wallMs)} of its cold build, process wall)`,
  );
}
