// Prints what one Hilt start costs next to a bare `node -e 0`: CPU time (user + system) and wall
// time of `hilt --version` and `hilt plan --json --offline` on the repository's catalog (offline:
// a base image's digest lookup is network time, not start-up), and their ratio to node's, over N
// interleaved spawns each. Runs: node --import tsx bench/startup.ts [--runs N]
// [--bin path/to/hilt.js | --fresh]. Needs a built bin (npm run build), or --fresh to bundle the
// current sources into a temporary folder first. CPU time is read from this process's
// reaped-children counters (/proc/self/stat), so it is measured on Linux only.
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";

interface Sample {
  cpuMs: number | undefined;
  wallMs: number;
}

const TICK_MS = 10; // Linux reports children's times in clock ticks of 1/100 s (CLK_TCK)

/** CPU time (ms) of every child this process has waited for, or undefined off Linux. */
function childrenCpuMs(): number | undefined {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    // Fields after the parenthesised command name; cutime and cstime are fields 16 and 17.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[13]) + Number(fields[14])) * TICK_MS;
  } catch {
    return undefined;
  }
}

function run(args: string[], cwd: string, env: NodeJS.ProcessEnv): Sample {
  const cpuBefore = childrenCpuMs();
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { cwd, encoding: "utf8", env });
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  const cpuAfter = childrenCpuMs();
  if (result.status !== 0) {
    throw new Error(`node ${args.join(" ")} exited ${result.status}: ${result.stderr}`);
  }
  const cpuMs =
    cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore;
  return { cpuMs, wallMs };
}

/**
 * The mean of the middle half: a single run's CPU time comes in 10 ms ticks, too coarse for a
 * median of its own, while a plain mean would follow the runs another process slowed down.
 */
function middleMean(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const quarter = Math.floor(sorted.length / 4);
  const middle = sorted.slice(quarter, sorted.length - quarter);
  return middle.reduce((a, b) => a + b, 0) / middle.length;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "15" },
    bin: { type: "string" },
    fresh: { type: "boolean", default: false },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error("--runs must be a positive integer");
const root = path.resolve(import.meta.dirname, "..");

/**
 * --fresh: bundle the current sources into a temporary package (scripts/bundle.mjs with
 * HILT_BUNDLE_DIR) and measure that, leaving dist/ alone.
 */
function freshBin(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "hilt-startup-"));
  cpSync(path.join(root, "package.json"), path.join(dir, "package.json"));
  cpSync(path.join(root, "bin"), path.join(dir, "bin"), { recursive: true });
  symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"));
  const built = spawnSync(process.execPath, [path.join(root, "scripts/bundle.mjs")], {
    env: { ...process.env, HILT_BUNDLE_DIR: path.join(dir, "dist/bundle") },
    encoding: "utf8",
  });
  if (built.status !== 0) throw new Error(`bundling failed: ${built.stderr}`);
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, "bin/hilt.js");
}

const bin = values.fresh ? freshBin() : path.resolve(values.bin ?? path.join(root, "bin/hilt.js"));

// The code cache (src/cli/code-cache.ts) goes to a folder of this run's own: the warm-up fills
// it, as a user's first run of each command would. The last case shows a start without it.
const cacheHome = mkdtempSync(path.join(tmpdir(), "hilt-startup-cache-"));
process.on("exit", () => rmSync(cacheHome, { recursive: true, force: true }));
const env = { ...process.env, XDG_CACHE_HOME: cacheHome };
const noCache = { ...env, HILT_CODE_CACHE: "0" };
const plan = [bin, "plan", "--json", "--offline"];
const cases: Array<{ label: string; args: string[]; env: NodeJS.ProcessEnv }> = [
  { label: "node -e 0", args: ["-e", "0"], env },
  { label: "hilt --version", args: [bin, "--version"], env },
  { label: "hilt plan --json --offline", args: plan, env },
  { label: "  the same without the code cache", args: plan, env: noCache },
];
// Interleaved rounds, so a busy moment on the machine weighs on every case alike.
const samples = new Map<string, Sample[]>(cases.map((c) => [c.label, []]));
for (const c of cases) run(c.args, root, c.env); // warm-up: file cache, code cache
for (let i = 0; i < runs; i++) {
  for (const c of cases) samples.get(c.label)?.push(run(c.args, root, c.env));
}

const summary = cases.map((c) => {
  const list = samples.get(c.label) ?? [];
  const cpu = list.map((s) => s.cpuMs).filter((v): v is number => v !== undefined);
  const cpuMs = cpu.length === list.length ? middleMean(cpu) : NaN;
  return { label: c.label, cpuMs, wallMs: median(list.map((s) => s.wallMs)) };
});
const base = summary[0];
// Whether the measured starts really used the code cache (the loader says so under HILT_DEBUG).
const status = spawnSync(process.execPath, plan, {
  cwd: root,
  encoding: "utf8",
  env: { ...env, HILT_DEBUG: "1" },
}).stderr.match(/^code cache: (\w+)$/m)?.[1];
console.log(
  `${runs} runs each (CPU: mean of the middle half; wall: median); bin ${path.relative(process.cwd(), bin) || bin}; code cache: ${status ?? "not reported"}`,
);
console.log(
  `${"".padEnd(34)}${"CPU ms".padStart(10)}${"ratio".padStart(8)}` +
    `${"wall ms".padStart(12)}${"ratio".padStart(8)}`,
);
for (const s of summary) {
  const cpuRatio = base ? s.cpuMs / base.cpuMs : NaN;
  const wallRatio = base ? s.wallMs / base.wallMs : NaN;
  console.log(
    `${s.label.padEnd(34)}${s.cpuMs.toFixed(0).padStart(10)}${cpuRatio.toFixed(2).padStart(8)}` +
      `${s.wallMs.toFixed(0).padStart(12)}${wallRatio.toFixed(2).padStart(8)}`,
  );
}
