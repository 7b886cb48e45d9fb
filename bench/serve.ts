// Load check of `hilt serve`: while real builds run one after another, 200 SSE followers follow
// each build's events and status reads (GET /jobs/:id) arrive at 50 per second. Prints the
// status reads' latency (p50, p99, max) as this client saw it and as the server's access log
// timed it (handler time, without queueing), errors, dropped events (events a follower missed
// or got out of order, against a fresh read of the job's whole stream after it ended), and the
// server's RSS at the start, the end and its peak (sampled every 5 s).
// Runs: node --import tsx bench/serve.ts [--seconds 300] [--followers 200] [--rate 50]
// Needs Docker (the builds are real); with the e2e environment (source /tmp/e2e-env.sh) it
// pushes to HILT_E2E_REGISTRY and maps debian:bookworm-slim to HILT_E2E_BASE_IMAGE.
// The server runs from the sources (tsx), with a rate limit high enough for this one token.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "300" },
    followers: { type: "string", default: "200" },
    rate: { type: "string", default: "50" },
  },
});
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

function startServer(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      import.meta.resolve("tsx"),
      path.join(root, "test/helpers/cli-entry.ts"),
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
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let pending = "";
  let head = "";
  return new Promise((resolve, reject) => {
    child.stderr?.on("data", (chunk) => {
      if (head.length < 20_000) head += chunk;
      const lines = (pending + chunk).split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        const listening = /"msg":"listening","url":"(http:\/\/[^"]+)"/.exec(line);
        if (listening?.[1]) resolve({ child, url: listening[1] });
        // The server's own time for a status read (its access log): no queueing, no client.
        if (line.includes('"msg":"request"') && line.includes('"method":"GET"')) {
          const entry = JSON.parse(line) as { path: string; ms: number };
          if (/^\/jobs\/[^/]+$/.test(entry.path)) stats.serverReads.push(entry.ms);
        }
      }
    });
    child.once("exit", (code) => reject(new Error(`hilt serve exited (${code}):\n${head}`)));
  });
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) / 1024;
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

const stats = {
  reads: [] as number[],
  /** Slowest status read per second of the run, to see when latency spikes happen. */
  slowest: new Map<number, number>(),
  serverReads: [] as number[],
  readErrors: 0,
  followerErrors: 0,
  dropped: 0,
  eventsDelivered: 0,
  builds: 0,
  buildsFailed: 0,
};

async function main(): Promise<void> {
  writeCatalog("warm-up");
  const { child, url } = await startServer();
  const pid = child.pid ?? 0;
  const startedAt = Date.now();
  const stopAt = startedAt + seconds * 1000;
  const rss = { start: rssMb(pid), end: 0, peak: 0 };
  rss.peak = rss.start;
  const rssTimer = setInterval(() => {
    rss.peak = Math.max(rss.peak, rssMb(pid));
  }, 5000);
  let currentJob: string | undefined;

  // 50 status reads per second, on a fixed schedule (not waiting for answers).
  const readTimer = setInterval(() => {
    if (!currentJob) return;
    const start = performance.now();
    fetch(`${url}/jobs/${currentJob}`, { headers: auth })
      .then(async (r) => {
        await r.arrayBuffer();
        if (!r.ok) stats.readErrors++;
        else {
          const ms = performance.now() - start;
          stats.reads.push(ms);
          const second = Math.floor((Date.now() - startedAt) / 1000);
          stats.slowest.set(second, Math.max(stats.slowest.get(second) ?? 0, ms));
        }
      })
      .catch(() => stats.readErrors++);
  }, 1000 / rate);

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
    currentJob = job.id;
    const streams = `${url}/jobs/${job.id}/events`;
    const controller = new AbortController();
    const runs = await Promise.allSettled(
      Array.from({ length: followers }, () => readStream(streams, controller.signal)),
    );
    // The whole stream, read once more after the job ended: what every follower should have had.
    const expected = await readStream(streams, controller.signal);
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
    process.stderr.write(
      `build ${stats.builds}: ${final.status}, ${expected.length} events to ${followers} followers\n`,
    );
  }
  clearInterval(readTimer);
  clearInterval(rssTimer);
  await new Promise((r) => setTimeout(r, 1000));
  rss.end = rssMb(pid);
  child.kill("SIGTERM");
  rmSync(workspace, { recursive: true, force: true });

  const sorted = [...stats.reads].sort((a, b) => a - b);
  const summary = {
    seconds,
    followers,
    statusReadsPerSecond: rate,
    builds: stats.builds,
    buildsFailed: stats.buildsFailed,
    statusReads: sorted.length,
    statusReadMs: {
      p50: +percentile(sorted, 50).toFixed(1),
      p99: +percentile(sorted, 99).toFixed(1),
      max: +(sorted.at(-1) ?? Number.NaN).toFixed(1),
    },
    serverSideStatusReadMs: (() => {
      const server = [...stats.serverReads].sort((a, b) => a - b);
      return { p50: percentile(server, 50), p99: percentile(server, 99), max: server.at(-1) };
    })(),
    errors: { statusReads: stats.readErrors, followers: stats.followerErrors },
    eventsDelivered: stats.eventsDelivered,
    droppedEvents: stats.dropped,
    slowestSeconds: [...stats.slowest]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([second, ms]) => ({ second, ms: +ms.toFixed(1) })),
    serverRssMb: {
      start: +rss.start.toFixed(1),
      end: +rss.end.toFixed(1),
      peak: +rss.peak.toFixed(1),
    },
  };
  console.log(JSON.stringify(summary, null, 2));
}

await main();
