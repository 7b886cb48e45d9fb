// Load check of `hilt serve`: while real builds run one after another, 200 SSE followers follow
// each build's events and status reads (GET /jobs/:id) arrive at 50 per second. Prints the
// status reads' latency (p50, p99, max) as a client in its own thread saw it (a worker, so the
// followers' parsing does not delay it) and as the server's access log timed it (handler time,
// without queueing), errors, dropped events (events a follower missed or got out of order,
// against the job's events as the SQLite queue holds them, read from the file), and the server's
// RSS and heap after a forced GC every 10 s (samples, and the slope after the first minute), with
// its event loop's delay.
// Runs: node --import tsx bench/serve.ts [--seconds 300] [--followers 200] [--rate 50]
//   [--from bundle|sources]: the server (and so each job's CLI child) from a fresh bundle of the
//   sources (default, as an installed hilt runs) or from the sources under tsx.
// Needs Docker (the builds are real); with the e2e environment (source /tmp/e2e-env.sh) it
// pushes to HILT_E2E_REGISTRY and maps debian:bookworm-slim to HILT_E2E_BASE_IMAGE.
// The server gets a rate limit high enough for this one token.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import Database from "better-sqlite3";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "300" },
    followers: { type: "string", default: "200" },
    rate: { type: "string", default: "50" },
    from: { type: "string", default: "bundle" },
  },
});
if (values.from !== "bundle" && values.from !== "sources")
  throw new Error("--from must be bundle or sources");
const seconds = Number(values.seconds);
const followers = Number(values.followers);
const rate = Number(values.rate);
for (const [name, value] of Object.entries({ seconds, followers, rate }))
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`--${name} must be a positive integer`);

const root = path.resolve(import.meta.dirname, "..");
const token = randomBytes(24).toString("hex");
const registry = process.env.HILT_E2E_REGISTRY;
const baseImage = process.env.HILT_E2E_BASE_IMAGE;
const push = registry ? `${registry}/bench-serve-${randomBytes(3).toString("hex")}` : "none";

// Three images built at once, each printing for a while: a build lasts about 20 s.
const workspace = mkdtempSync(path.join(tmpdir(), "hilt-bench-serve-"));
function image(name: string, steps: number, nonce: string): string {
  return [
    `  ${name}:`,
    "    from: debian:bookworm-slim",
    "    steps:",
    `      - env: { NONCE: "${nonce}" }`,
    `      - run: for i in $(seq ${steps}); do echo "${name} $i $NONCE"; sleep 1; done`,
    "",
  ].join("\n");
}
function writeCatalog(nonce: string): void {
  const images = [
    image("bench-a", 8, nonce),
    image("bench-b", 12, nonce),
    image("bench-c", 16, nonce),
  ];
  writeFileSync(
    path.join(workspace, "catalog.yaml"),
    `schemaVersion: 1\nimages:\n${images.join("")}`,
  );
}

/** The sources bundled into a temporary package (as bench/startup.ts --fresh): its bin. */
function freshBundle(): string {
  const dir = path.join(workspace, ".hilt-package");
  mkdirSync(dir, { recursive: true });
  cpSync(path.join(root, "package.json"), path.join(dir, "package.json"));
  cpSync(path.join(root, "bin"), path.join(dir, "bin"), { recursive: true });
  symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"));
  const built = spawnSync(process.execPath, [path.join(root, "scripts/bundle.mjs")], {
    env: { ...process.env, HILT_BUNDLE_DIR: path.join(dir, "dist/bundle") },
    encoding: "utf8",
  });
  if (built.status !== 0) throw new Error(`bundling failed: ${built.stderr}`);
  return path.join(dir, "bin/hilt.js");
}

function startServer(): Promise<{ child: ChildProcess; url: string }> {
  const entry =
    values.from === "bundle"
      ? [freshBundle()]
      : ["--import", import.meta.resolve("tsx"), path.join(root, "test/helpers/cli-entry.ts")];
  const child = spawn(
    process.execPath,
    [
      "--expose-gc",
      ...(process.env.BENCH_CPU_PROF
        ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
        : []),
      "--import",
      path.join(root, "bench/serve-probe.mjs"),
      ...entry,
      "serve",
      "--port",
      "0",
      "--workspace",
      workspace,
      "--queue",
      `sqlite:${path.join(workspace, ".queue.db")}`,
      "--rate-limit",
      "100000",
    ],
    {
      cwd: root,
      env: { ...process.env, HILT_SERVE_TOKENS: token },
      stdio: ["ignore", "ignore", openSync(logFile, "w")],
    },
  );
  return new Promise((resolve, reject) => {
    const poll = setInterval(() => {
      const listening = /"msg":"listening","url":"(http:\/\/[^"]+)"/.exec(serverLog());
      if (!listening?.[1]) return;
      clearInterval(poll);
      resolve({ child, url: listening[1] });
    }, 100);
    child.once("exit", (code) => {
      clearInterval(poll);
      reject(new Error(`hilt serve exited (${code}):\n${serverLog().slice(0, 20_000)}`));
    });
  });
}

/**
 * The server's stderr goes to a file, read when needed: a pipe to this busy process would block
 * the server's log writes (stderr pipes are synchronous) whenever this side is slow to drain it.
 */
const logFile = path.join(workspace, ".serve.log");
const serverLog = (): string => readFileSync(logFile, "utf8");

/** The server's probe lines so far, and the handler times of its status reads (access log). */
function readServerLog(): { probes: Probe[]; serverReads: number[] } {
  const probes: Probe[] = [];
  const serverReads: number[] = [];
  for (const line of serverLog().split("\n")) {
    if (line.startsWith('{"msg":"probe"')) probes.push(JSON.parse(line) as Probe);
    // The server's own time for a status read: no queueing, no client.
    if (line.includes('"msg":"request"') && line.includes('"method":"GET"')) {
      const entry = JSON.parse(line) as { path: string; ms: number };
      if (/^\/jobs\/[^/]+$/.test(entry.path)) serverReads.push(entry.ms);
    }
  }
  return { probes, serverReads };
}

interface Probe {
  rssMb: number;
  heapMb: number;
  loopDelayMs: { p99: number; max: number };
}

const auth = { Authorization: `Bearer ${token}` };

/** Every SSE message id (seq) of a job's stream, until the server ends it. */
async function readStream(url: string, signal: AbortSignal): Promise<number[]> {
  const response = await fetch(url, { headers: { ...auth, Accept: "text/event-stream" }, signal });
  if (!response.ok || !response.body) throw new Error(`events: HTTP ${response.status}`);
  const ids: number[] = [];
  let buffer = "";
  const decoder = new TextDecoder();
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      const message = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const id = /^id: ?(\d+)$/m.exec(message);
      if (id?.[1]) ids.push(Number(id[1]));
      end = buffer.indexOf("\n\n");
    }
  }
  return ids;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** Least-squares slope of y over x. */
function slope(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return Number.NaN;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const num = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const den = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return num / den;
}

/**
 * The status reads, in a thread of their own: 50 per second on a fixed schedule (not waiting for
 * answers), each timed from its send to its whole body.
 */
const READER = `
const { parentPort, workerData } = require("node:worker_threads");
const { url, auth, rate } = workerData;
let job;
const reads = [], slowest = {}; let errors = 0; const started = Date.now();
const timer = setInterval(() => {
  if (!job) return;
  const start = performance.now();
  fetch(url + "/jobs/" + job, { headers: auth })
    .then(async (r) => {
      await r.arrayBuffer();
      if (!r.ok) return errors++;
      const ms = performance.now() - start;
      reads.push(ms);
      const second = Math.floor((Date.now() - started) / 1000);
      slowest[second] = Math.max(slowest[second] ?? 0, ms);
    })
    .catch(() => errors++);
}, 1000 / rate);
parentPort.on("message", (m) => {
  if (m.job) job = m.job;
  if (m.stop) { clearInterval(timer); setTimeout(() => parentPort.postMessage({ reads, slowest, errors }), 1000); }
});
`;

const stats = {
  followerErrors: 0,
  dropped: 0,
  eventsDelivered: 0,
  builds: 0,
  buildsFailed: 0,
};

async function main(): Promise<void> {
  writeCatalog("warm-up");
  const { child, url } = await startServer();
  const db = new Database(path.join(workspace, ".queue.db"), { readonly: true });
  const storedSeqs = db.prepare("SELECT seq FROM events WHERE job_id = ? ORDER BY seq");
  const startedAt = Date.now();
  const stopAt = startedAt + seconds * 1000;
  const probeTimer = setInterval(() => child.kill("SIGUSR2"), 10_000);
  const reader = new Worker(READER, { eval: true, workerData: { url, auth, rate } });

  const options = {
    targets: ["bench-a", "bench-b", "bench-c"],
    push,
    engine: "docker",
    platforms: ["linux/amd64"],
    ...(baseImage ? { baseImages: { "debian:bookworm-slim": baseImage } } : {}),
  };
  while (Date.now() < stopAt) {
    writeCatalog(randomBytes(6).toString("hex"));
    const submitted = await fetch(`${url}/jobs`, {
      method: "POST",
      headers: { ...auth, "Content-Type": "application/json" },
      body: JSON.stringify({ kind: "build", workspace: ".", options }),
    });
    if (submitted.status !== 202) throw new Error(`submit: HTTP ${submitted.status}`);
    const job = (await submitted.json()) as { id: string };
    reader.postMessage({ job: job.id });
    const streams = `${url}/jobs/${job.id}/events`;
    const controller = new AbortController();
    const runs = await Promise.allSettled(
      Array.from({ length: followers }, () => readStream(streams, controller.signal)),
    );
    // What every follower should have had: the job's events as the queue's file holds them.
    const expected = (storedSeqs.all(job.id) as { seq: number }[]).map((row) => row.seq);
    for (const run of runs) {
      if (run.status === "rejected") {
        stats.followerErrors++;
        continue;
      }
      stats.eventsDelivered += run.value.length;
      const inOrder = run.value.every((id, i) => id === expected[i]);
      stats.dropped +=
        Math.max(0, expected.length - run.value.length) + (inOrder ? 0 : run.value.length);
    }
    const final = (await (await fetch(`${url}/jobs/${job.id}`, { headers: auth })).json()) as {
      status: string;
    };
    stats.builds++;
    if (final.status !== "succeeded") stats.buildsFailed++;
    const probes = readServerLog().probes;
    const probe = probes.at(-1);
    process.stderr.write(
      `build ${stats.builds}: ${final.status}, ${expected.length} events to ${followers} followers; ` +
        `rss ${probe?.rssMb ?? "?"} MB after GC\n`,
    );
  }
  const read = await new Promise<{
    reads: number[];
    slowest: Record<string, number>;
    errors: number;
  }>((resolve) => {
    reader.once("message", resolve);
    reader.postMessage({ stop: true });
  });
  await reader.terminate();
  clearInterval(probeTimer);
  child.kill("SIGUSR2");
  await new Promise((r) => setTimeout(r, 1000));
  const { probes, serverReads } = readServerLog();
  const samples = probes.map((probe, i) => ({ second: (i + 1) * 10, ...probe }));
  db.close();
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
  rmSync(workspace, { recursive: true, force: true });

  const sorted = [...read.reads].sort((a, b) => a - b);
  const server = [...serverReads].sort((a, b) => a - b);
  const settled = samples.filter((s) => s.second > 60);
  const perMinute = (key: "rssMb" | "heapMb") =>
    +(slope(settled.map((s) => [s.second / 60, s[key]])) || 0).toFixed(2);
  const delays = probes.map((p) => p.loopDelayMs);
  const summary = {
    seconds,
    followers,
    statusReadsPerSecond: rate,
    server: values.from,
    builds: stats.builds,
    buildsFailed: stats.buildsFailed,
    statusReads: sorted.length,
    statusReadMs: {
      p50: +percentile(sorted, 50).toFixed(1),
      p99: +percentile(sorted, 99).toFixed(1),
      max: +(sorted.at(-1) ?? Number.NaN).toFixed(1),
    },
    serverSideStatusReadMs: {
      p50: percentile(server, 50),
      p99: percentile(server, 99),
      max: server.at(-1),
    },
    serverEventLoopDelayMs: {
      p99Worst10s: Math.max(...delays.map((d) => d.p99)),
      max: Math.max(...delays.map((d) => d.max)),
    },
    errors: { statusReads: read.errors, followers: stats.followerErrors },
    eventsDelivered: stats.eventsDelivered,
    droppedEvents: stats.dropped,
    slowestSeconds: Object.entries(read.slowest)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([second, ms]) => ({ second: Number(second), ms: +ms.toFixed(1) })),
    // After a forced GC, every 10 s; the slopes leave out the first minute (warm-up).
    serverMemory: {
      rssMbPerMinute: perMinute("rssMb"),
      heapMbPerMinute: perMinute("heapMb"),
      samples: samples.map((s) => `${s.second}s ${s.rssMb}/${s.heapMb}`).join(", "),
    },
  };
  console.log(JSON.stringify(summary, null, 2));
}

await main();
