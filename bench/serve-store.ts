// Throughput of hilt serve's job queue: submit, claim, appendEvent and get, one at a time (job
// state changes fsynced when they resolve: SQLite synchronous=FULL, PostgreSQL synchronous_commit;
// SQLite events at NORMAL, synced with the next state change),
// on SQLite and, when a server is given, PostgreSQL, with PostgreSQL's figures as ratios to
// SQLite's. Runs: node --import tsx bench/serve-store.ts [--ops N] [--postgres URL]
// (default URL: HILT_E2E_POSTGRES_URL; test/env/up.sh starts one). Uses a temporary file and a
// throwaway schema, removed afterwards.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { openJobStore } from "../src/serve/store/open.js";
import type { JobStore } from "../src/serve/store/types.js";

interface Figures {
  [op: string]: { perSecond: number; p50Ms: number; p99Ms: number };
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? Number.NaN;

async function measure(ops: number, step: (i: number) => Promise<unknown>) {
  const times: number[] = [];
  const start = performance.now();
  for (let i = 0; i < ops; i++) {
    const t = performance.now();
    await step(i);
    times.push(performance.now() - t);
  }
  const total = performance.now() - start;
  times.sort((a, b) => a - b);
  return {
    perSecond: (ops / total) * 1000,
    p50Ms: quantile(times, 0.5),
    p99Ms: quantile(times, 0.99),
  };
}

async function bench(store: JobStore, ops: number): Promise<Figures> {
  const request = { kind: "build", workspace: "svc", options: { push: true } } as const;
  const ids: string[] = [];
  const submit = await measure(ops, async (i) => {
    const { job } = await store.submit(request, { owner: "bench", idempotencyKey: `k${i}` });
    ids.push(job.id);
  });
  const claim = await measure(ops, () => store.claim("bench"));
  const event = { event: "finished", image: "svc", status: "built", durationMs: 1234 };
  const appendEvent = await measure(ops, (i) => store.appendEvent(ids[i % 8] as string, event));
  const statusRead = await measure(ops, (i) => store.get(ids[i] as string));
  await store.close();
  return { submit, claim, appendEvent, get: statusRead };
}

const { values } = parseArgs({
  options: { ops: { type: "string", default: "300" }, postgres: { type: "string" } },
});
const ops = Number(values.ops);
if (!Number.isInteger(ops) || ops < 8) throw new Error("--ops must be an integer of at least 8");

const dir = mkdtempSync(path.join(tmpdir(), "hilt-bench-store-"));
const results: Record<string, Figures> = {};
try {
  results.sqlite = await bench(await openJobStore(`sqlite:${path.join(dir, "jobs.db")}`), ops);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const url = values.postgres ?? process.env.HILT_E2E_POSTGRES_URL;
if (url) {
  const schema = `hilt_bench_${randomBytes(4).toString("hex")}`;
  const target = new URL(url);
  target.searchParams.set("schema", schema);
  try {
    results.postgres = await bench(await openJobStore(target.toString()), ops);
  } finally {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  }
} else {
  console.error("PostgreSQL not measured: pass --postgres URL or set HILT_E2E_POSTGRES_URL");
}

const round = (n: number) => Math.round(n * 100) / 100;
console.log(`ops per operation: ${ops}, one at a time`);
for (const op of Object.keys(results.sqlite ?? {})) {
  const rows = Object.entries(results).map(([store, figures]) => {
    const f = figures[op] as Figures[string];
    return `${store} ${Math.round(f.perSecond)}/s (p50 ${round(f.p50Ms)} ms, p99 ${round(f.p99Ms)} ms)`;
  });
  const sqlite = results.sqlite?.[op]?.perSecond;
  const postgres = results.postgres?.[op]?.perSecond;
  const ratio =
    sqlite && postgres ? `; PostgreSQL/SQLite throughput ${round(postgres / sqlite)}` : "";
  console.log(`${op.padEnd(12)} ${rows.join(", ")}${ratio}`);
}
