import { spawn } from "node:child_process";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { HiltError } from "../../src/errors.js";
import { openJobStore } from "../../src/serve/store/open.js";
import type { JobFilter, JobRequest, JobStore, StoreOptions } from "../../src/serve/store/types.js";

/** Names a fresh, empty queue (a file, or a PostgreSQL schema) for one test. */
export type NewQueue = () => Promise<string>;

const CHILD = path.resolve(import.meta.dirname, "job-store-child.ts");

const request = (workspace = "svc", kind: JobRequest["kind"] = "build"): JobRequest => ({
  kind,
  workspace,
  options: { push: false, tags: ["a", "b"] },
});

/**
 * The JobStore contract, run against SQLite in the unit tier and against a real PostgreSQL
 * server in the end-to-end tier.
 */
export function describeJobStoreContract(name: string, newQueue: NewQueue): void {
  describe(`${name} job store contract`, () => {
    const opened: JobStore[] = [];
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()));
    });
    /** Opens further instances on one new queue, as several servers sharing it would. */
    async function queue() {
      const location = await newQueue();
      return async (options?: StoreOptions) => {
        const store = await openJobStore(location, options);
        opened.push(store);
        return store;
      };
    }

    it("keeps a submitted job queued, as asked, across a reopen", async () => {
      const open = await queue();
      const store = await open();
      const { job, created } = await store.submit(request(), { owner: "tok1" });
      expect(created).toBe(true);
      expect(job).toMatchObject({ kind: "build", status: "queued", owner: "tok1" });
      expect(job.request).toEqual(request());
      expect(job.cancelRequested).toBe(false);
      expect(Date.parse(job.createdAt)).not.toBeNaN();
      expect(job.startedAt ?? job.finishedAt ?? job.worker ?? job.idempotencyKey).toBeUndefined();
      await store.close();
      const again = await open();
      expect(await again.get(job.id)).toEqual(job);
      expect(await again.get("no-such-job")).toBeUndefined();
    });

    it("returns the first job for a retried submit with the same owner and key", async () => {
      const store = await (await queue())();
      const first = await store.submit(request(), { owner: "tok1", idempotencyKey: "k1" });
      const retry = await store.submit(request("other"), { owner: "tok1", idempotencyKey: "k1" });
      expect(first.created).toBe(true);
      expect(retry).toEqual({ job: first.job, created: false });
      expect(first.job.idempotencyKey).toBe("k1");
      const otherOwner = await store.submit(request(), { owner: "tok2", idempotencyKey: "k1" });
      expect(otherOwner.created).toBe(true);
      expect(otherOwner.job.id).not.toBe(first.job.id);
      const a = await store.submit(request(), { owner: "tok1" });
      const b = await store.submit(request(), { owner: "tok1" });
      expect(a.job.id).not.toBe(b.job.id);
    });

    it("creates one job for concurrent submits with one key, from two instances", async () => {
      const open = await queue();
      const stores = [await open(), await open()];
      const results = await Promise.all(
        Array.from({ length: 16 }, (_, i) =>
          (stores[i % 2] as JobStore).submit(request(), { owner: "tok", idempotencyKey: "same" }),
        ),
      );
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.job.id)).size).toBe(1);
      expect((await stores[0]?.list({ limit: 50 }))?.jobs).toHaveLength(1);
    });

    it("stores hostile strings and events verbatim (keys in order)", async () => {
      const store = await (await queue())();
      const key = "k'); DROP TABLE jobs; --é";
      const owner = 'o"wner\\';
      const odd: JobRequest = {
        kind: "detect",
        workspace: "ü/日本/../x",
        options: { z: 1, a: [null, "\u2028", { "": true }], "%s": "${x}" },
      };
      const { job } = await store.submit(odd, { owner, idempotencyKey: key });
      expect(await store.get(job.id)).toMatchObject({ request: odd, owner, idempotencyKey: key });
      expect((await store.submit(odd, { owner, idempotencyKey: key })).created).toBe(false);
      const event = { z: "last key first", event: "warning", message: "x".repeat(100_000) };
      await store.appendEvent(job.id, event);
      const [stored] = await store.events(job.id, 0);
      expect(JSON.stringify(stored?.event)).toBe(JSON.stringify(event));
      expect((await store.list({ limit: 5, owner })).jobs).toHaveLength(1);
      expect((await store.list({ limit: 5, owner: "' OR 1=1 --" })).jobs).toEqual([]);
      for (const bad of ["", "nul\u0000", "line\nbreak", "k".repeat(201)]) {
        await expect(store.submit(odd, { owner, idempotencyKey: bad })).rejects.toMatchObject({
          code: "INVALID_ARGUMENT",
        });
      }
      await expect(store.submit(odd, { owner: "o\u0000" })).rejects.toMatchObject({
        code: "INVALID_ARGUMENT",
      });
      for (const id of ["", "\u0000", "x' OR '1'='1", job.id.toUpperCase(), `${job.id} `]) {
        expect(await store.get(id)).toBeUndefined();
        expect(await store.cancel(id)).toBeUndefined();
        expect(await store.events(id, 0)).toEqual([]);
        await store.finish(id, { status: "failed" });
        await expect(store.appendEvent(id, { event: "x" })).rejects.toMatchObject({
          code: "INVALID_ARGUMENT",
        });
      }
      expect(await store.get(job.id)).toMatchObject({ status: "queued" });
      const filters = [{ owner: "o\u0000" }, { status: "done" }, { kind: "push\u0000" }];
      for (const filter of filters as Partial<JobFilter>[]) {
        await expect(store.list({ limit: 5, ...filter })).rejects.toMatchObject({
          code: "INVALID_ARGUMENT",
        });
      }
    });

    it("claims the oldest queued job, each once, and says who runs it", async () => {
      const store = await (await queue())();
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await store.submit(request(), { owner: "t" })).job.id);
      const first = await store.claim("w1");
      expect(first).toMatchObject({ id: ids[0], status: "running", worker: "w1" });
      expect(Date.parse(first?.startedAt ?? "")).not.toBeNaN();
      expect((await store.claim("w2"))?.id).toBe(ids[1]);
      expect((await store.claim("w1"))?.id).toBe(ids[2]);
      expect(await store.claim("w1")).toBeUndefined();
      expect((await store.get(ids[1] as string))?.status).toBe("running");
    });

    it("gives each of many queued jobs to exactly one of two instances claiming at once", async () => {
      const open = await queue();
      const [a, b] = [await open(), await open()];
      const submitted = new Set<string>();
      for (let i = 0; i < 40; i++)
        submitted.add((await a.submit(request(), { owner: "t" })).job.id);
      const claimed: string[] = [];
      const drain = async (store: JobStore, worker: string) => {
        for (let job = await store.claim(worker); job; job = await store.claim(worker)) {
          claimed.push(job.id);
        }
      };
      await Promise.all([drain(a, "a1"), drain(a, "a2"), drain(b, "b1"), drain(b, "b2")]);
      expect(claimed).toHaveLength(40);
      expect(new Set(claimed)).toEqual(submitted);
    });

    it("numbers a job's events 1, 2, 3… and replays those after a seq", async () => {
      const open = await queue();
      const [a, b] = [await open(), await open()];
      const job = (await a.submit(request(), { owner: "t" })).job;
      const other = (await a.submit(request(), { owner: "t" })).job;
      expect(await a.appendEvent(job.id, { event: "queued", image: "x", n: 1 })).toBe(1);
      expect(await a.appendEvent(other.id, { event: "other" })).toBe(1);
      const seqs = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? a : b).appendEvent(job.id, { event: "line", n: i + 2 }),
        ),
      );
      expect([...seqs].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
      const all = await b.events(job.id, 0);
      expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
      expect(all[0]).toEqual({
        jobId: job.id,
        seq: 1,
        event: { event: "queued", image: "x", n: 1 },
      });
      expect((await a.events(job.id, 18)).map((e) => e.seq)).toEqual([19, 20, 21]);
      expect((await a.events(job.id, 5, 2)).map((e) => e.seq)).toEqual([6, 7]);
      expect(await a.events(job.id, 21)).toEqual([]);
      expect(await a.events(job.id, 1e12)).toEqual([]); // a Last-Event-ID is the client's
      expect(await a.events(job.id, Number.NaN)).toEqual([]);
      expect((await a.events(job.id, -5)).map((e) => e.seq)).toHaveLength(21);
      expect((await a.events(job.id, 19.7)).map((e) => e.seq)).toEqual([20, 21]);
      expect(await a.events(other.id, 0)).toHaveLength(1);
      await expect(a.appendEvent("no-such-job", { event: "x" })).rejects.toBeInstanceOf(HiltError);
    });

    it("lists newest first with filters, and its cursor pages stay stable under inserts", async () => {
      const store = await (await queue())();
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) {
        const kind = i % 2 ? "plan" : "build";
        ids.push((await store.submit(request(`s${i}`, kind), { owner: `o${i % 3}` })).job.id);
      }
      await store.claim("w");
      const newestFirst = [...ids].reverse();
      expect((await store.list({ limit: 100 })).jobs.map((j) => j.id)).toEqual(newestFirst);
      expect((await store.list({ limit: 100 })).next).toBeUndefined();
      const plans = await store.list({ limit: 100, kind: "plan" });
      expect(plans.jobs.map((j) => j.id)).toEqual([ids[5], ids[3], ids[1]]);
      const owner0 = await store.list({ limit: 100, owner: "o0" });
      expect(owner0.jobs.map((j) => j.id)).toEqual([ids[6], ids[3], ids[0]]);
      const running = await store.list({ limit: 100, status: "running" });
      expect(running.jobs.map((j) => j.id)).toEqual([ids[0]]);
      const both = await store.list({ limit: 100, kind: "build", status: "queued" });
      expect(both.jobs.map((j) => j.id)).toEqual([ids[6], ids[4], ids[2]]);

      const seen: string[] = [];
      let page = await store.list({ limit: 3 });
      seen.push(...page.jobs.map((j) => j.id));
      await store.submit(request("late"), { owner: "o0" }); // lands on page one, not page two
      while (page.next) {
        expect(page.jobs).toHaveLength(3);
        page = await store.list({ limit: 3, cursor: page.next });
        seen.push(...page.jobs.map((j) => j.id));
      }
      expect(seen).toEqual(newestFirst);
      const cursorOwner = await store.list({ limit: 1, owner: "o0" });
      const second = await store.list({ limit: 1, owner: "o0", cursor: cursorOwner.next });
      expect(second.jobs.map((j) => j.id)).toEqual([ids[6]]); // page one is the late job
      for (const cursor of ["nonsense", "", Buffer.from("p0").toString("base64url"), "cDE7"]) {
        await expect(store.list({ limit: 3, cursor })).rejects.toMatchObject({
          code: "INVALID_ARGUMENT",
        });
      }
    });

    it("cancels a queued job at once and asks a running one to stop", async () => {
      const store = await (await queue())();
      const running = (await store.submit(request(), { owner: "t" })).job;
      const queued = (await store.submit(request(), { owner: "t" })).job;
      await store.claim("w");
      const cancelled = await store.cancel(queued.id);
      expect(cancelled).toMatchObject({ id: queued.id, status: "cancelled" });
      expect(Date.parse(cancelled?.finishedAt ?? "")).not.toBeNaN();
      expect(await store.claim("w")).toBeUndefined();
      const asked = await store.cancel(running.id);
      expect(asked).toMatchObject({ status: "running", cancelRequested: true });
      expect(asked?.finishedAt).toBeUndefined();
      expect(await store.get(running.id)).toMatchObject({ cancelRequested: true });
      await store.finish(running.id, { status: "cancelled", exitCode: 130 });
      expect(await store.get(running.id)).toMatchObject({ status: "cancelled", exitCode: 130 });
      expect(await store.cancel("no-such-job")).toBeUndefined();
      const again = await store.cancel(queued.id);
      expect(again).toEqual(cancelled);
    });

    it("finishes a job once: a final status is never overwritten", async () => {
      const store = await (await queue())();
      const job = (await store.submit(request(), { owner: "t" })).job;
      const queued = (await store.submit(request(), { owner: "t" })).job;
      await store.claim("w");
      const result = { schemaVersion: 1, ok: true, images: [{ ref: "r/a:1", size: 12 }] };
      await store.finish(job.id, { status: "succeeded", result, exitCode: 0, worker: "other" });
      expect((await store.get(job.id))?.status).toBe("running");
      await store.finish(job.id, { status: "succeeded", result, exitCode: 0, worker: "w" });
      const done = await store.get(job.id);
      expect(done).toMatchObject({ status: "succeeded", result, exitCode: 0, worker: "w" });
      expect(Date.parse(done?.finishedAt ?? "")).not.toBeNaN();
      await store.finish(job.id, { status: "failed", exitCode: 1 });
      expect(await store.get(job.id)).toEqual(done);

      await store.cancel(queued.id);
      await store.finish(queued.id, { status: "succeeded", exitCode: 0, result: { ok: true } });
      const stillCancelled = await store.get(queued.id);
      expect(stillCancelled?.status).toBe("cancelled");
      expect(stillCancelled?.result).toBeUndefined();
    });

    /** Five finished jobs (oldest first, each with an event), one running, one queued. */
    async function retentionFixture(store: JobStore) {
      const finished: string[] = [];
      for (let i = 0; i < 5; i++) {
        const { job } = await store.submit(request(`f${i}`), {
          owner: "t",
          idempotencyKey: `key${i}`,
        });
        await store.claim("w");
        await store.appendEvent(job.id, { event: "log", message: `f${i}` });
        await store.finish(job.id, { status: i === 3 ? "failed" : "succeeded", exitCode: 0 });
        finished.push(job.id);
      }
      const running = (await store.submit(request("running"), { owner: "t" })).job;
      await store.claim("w");
      await store.appendEvent(running.id, { event: "log", message: "still running" });
      const queued = (await store.submit(request("queued"), { owner: "t" })).job;
      const exists = async (ids: string[]) =>
        Promise.all(ids.map(async (id) => (await store.get(id)) !== undefined));
      return { finished, running: running.id, queued: queued.id, exists };
    }

    it("prunes finished jobs and their events by age, never a queued or running one", async () => {
      const store = await (await queue())();
      const { finished, running, queued, exists } = await retentionFixture(store);
      const hourAgo = new Date(Date.now() - 3_600_000);
      expect(await store.prune({ finishedBefore: hourAgo })).toBe(0);
      expect(await exists(finished)).toEqual([true, true, true, true, true]);
      expect(await store.prune({})).toBe(0);

      const soon = new Date(Date.now() + 60_000);
      expect(await store.prune({ finishedBefore: soon, limit: 2 })).toBe(2);
      expect(await exists(finished)).toEqual([false, false, true, true, true]);
      expect(await store.prune({ finishedBefore: soon })).toBe(3);
      expect(await exists([...finished, running, queued])).toEqual([
        ...[false, false, false, false, false],
        true,
        true,
      ]);
      expect(await store.events(finished[0] as string, 0)).toEqual([]);
      expect((await store.events(running, 0)).map((e) => e.event.message)).toEqual([
        "still running",
      ]);
      expect((await store.list({ limit: 10 })).jobs.map((j) => j.id)).toEqual([queued, running]);
      // A pruned job's key names no job any more: a submit with it makes a new one.
      const again = await store.submit(request("f0"), { owner: "t", idempotencyKey: "key0" });
      expect(again.created).toBe(true);
      expect(again.job.id).not.toBe(finished[0]);
    });

    it("prunes all but the newest N finished jobs (queued and running ones not counted)", async () => {
      const store = await (await queue())();
      const { finished, running, queued, exists } = await retentionFixture(store);
      expect(await store.prune({ keepNewest: 5 })).toBe(0);
      expect(await store.prune({ keepNewest: 2 })).toBe(3);
      expect(await exists([...finished, running, queued])).toEqual([
        ...[false, false, false, true, true],
        true,
        true,
      ]);
      expect((await store.events(finished[4] as string, 0)).length).toBe(1);
      // Either limit prunes: the age spares them, the count does not.
      const hourAgo = new Date(Date.now() - 3_600_000);
      expect(await store.prune({ finishedBefore: hourAgo, keepNewest: 0 })).toBe(2);
      expect(await exists([...finished, running, queued])).toEqual([
        ...[false, false, false, false, false],
        true,
        true,
      ]);
    });

    it("on start-up interrupts running jobs of dead workers and its own, and nothing else", async () => {
      const open = await queue();
      const dead = await open({ leaseMs: 1 });
      const live = await open({ leaseMs: 600_000 });
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await live.submit(request(), { owner: "t" })).job.id);
      const [deadJob, liveJob, ownJob, queuedJob, doneJob] = ids as [
        string,
        string,
        string,
        string,
        string,
      ];
      expect((await dead.claim("dead"))?.id).toBe(deadJob);
      expect((await live.claim("live"))?.id).toBe(liveJob);
      expect((await live.claim("me"))?.id).toBe(ownJob);
      await live.finish(doneJob, { status: "succeeded", exitCode: 0 });
      await dead.appendEvent(deadJob, { event: "started", image: "a" });
      const before = await Promise.all([liveJob, queuedJob, doneJob].map((id) => live.get(id)));
      await sleep(20); // the dead worker's 1 ms lease runs out

      const me = await open({ leaseMs: 600_000 });
      expect(await me.recover("me", "interrupt")).toBe(2);
      for (const id of [deadJob, ownJob]) {
        const job = await me.get(id);
        expect(job?.status).toBe("interrupted");
        expect(Date.parse(job?.finishedAt ?? "")).not.toBeNaN();
      }
      const deadEvents = await me.events(deadJob, 0);
      expect(deadEvents.map((e) => e.event.event)).toEqual(["started", "job-interrupted"]);
      expect(deadEvents[1]?.event).toMatchObject({ worker: "dead" });
      expect((await me.events(ownJob, 0)).map((e) => e.event.event)).toEqual(["job-interrupted"]);
      expect(await Promise.all([liveJob, queuedJob, doneJob].map((id) => me.get(id)))).toEqual(
        before,
      );
      expect(await me.recover("me", "interrupt")).toBe(0);
    });

    it("re-queues per policy (a cancel asked for ends cancelled) and can spare its own", async () => {
      const open = await queue();
      const dead = await open({ leaseMs: 1 });
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await dead.submit(request(), { owner: "t" })).job.id);
      const [again, stop, mine] = ids as [string, string, string];
      await dead.claim("dead");
      await dead.claim("dead");
      await dead.cancel(stop);
      const me = await open({ leaseMs: 600_000 });
      expect((await me.claim("me"))?.id).toBe(mine);
      await sleep(20);
      expect(await me.recover("me", "requeue", { own: false })).toBe(2);
      const requeued = await me.get(again);
      expect(requeued?.status).toBe("queued");
      expect(requeued?.worker ?? requeued?.startedAt ?? requeued?.finishedAt).toBeUndefined();
      expect((await me.get(stop))?.status).toBe("cancelled");
      expect((await me.get(mine))?.status).toBe("running");
      expect((await me.events(again, 0)).map((e) => e.event.event)).toEqual(["job-requeued"]);
      expect((await me.events(stop, 0)).map((e) => e.event.event)).toEqual(["job-cancelled"]);
      expect((await me.claim("me"))?.id).toBe(again);
    });

    it("recovers each orphaned job once when two instances sweep at the same time", async () => {
      const open = await queue();
      const dead = await open({ leaseMs: 1 });
      const ids = new Set<string>();
      for (let i = 0; i < 12; i++) {
        ids.add((await dead.submit(request(), { owner: "t" })).job.id);
        await dead.claim(`dead${i % 3}`);
      }
      await sleep(20);
      const [a, b] = [await open(), await open()];
      const counts = await Promise.all([
        a.recover("a", "interrupt", { own: false }),
        b.recover("b", "interrupt", { own: false }),
        a.recover("a", "interrupt", { own: false }),
      ]);
      expect(counts.reduce((x, y) => x + y)).toBe(12);
      for (const id of ids) {
        expect((await b.get(id))?.status).toBe("interrupted");
        expect((await b.events(id, 0)).map((e) => e.event.event)).toEqual(["job-interrupted"]);
      }
    });

    it("loses nothing when an instance stops without finishing, and recovers on reopen", async () => {
      const open = await queue();
      const first = await open();
      const running = (await first.submit(request(), { owner: "t", idempotencyKey: "k" })).job;
      const waiting = (await first.submit(request(), { owner: "t" })).job;
      await first.claim("server-1");
      await first.appendEvent(running.id, { event: "run-started", images: 1 });
      await first.appendEvent(running.id, { event: "started", image: "a" });
      await first.close(); // a crash: the job never finished

      const restarted = await open();
      expect(await restarted.recover("server-1", "interrupt")).toBe(1);
      expect(await restarted.get(running.id)).toMatchObject({ status: "interrupted" });
      expect((await restarted.events(running.id, 0)).map((e) => e.seq)).toEqual([1, 2, 3]);
      expect(await restarted.get(waiting.id)).toEqual(waiting);
      const retry = await restarted.submit(request(), { owner: "t", idempotencyKey: "k" });
      expect(retry).toMatchObject({ created: false, job: { id: running.id } });
      expect((await restarted.claim("server-1"))?.id).toBe(waiting.id);
    });
  });
}

/** Runs test/helpers/job-store-child.ts; resolves with its stdout lines once it has exited. */
function child(location: string, command: string, worker: string, onOut?: (out: string) => void) {
  const proc = spawn(process.execPath, ["--import", "tsx", CHILD, location, command, worker], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  let out = "";
  proc.stdout.on("data", (chunk: Buffer) => {
    out += chunk;
    onOut?.(out);
  });
  const exited = new Promise<{
    lines: string[];
    signal: NodeJS.Signals | null;
    code: number | null;
  }>((resolve, reject) => {
    proc.on("error", reject);
    proc.on("exit", (code, signal) =>
      resolve({ lines: out.split("\n").filter((line) => line && line !== "ready"), signal, code }),
    );
  });
  return { proc, exited };
}

/** The same queue from other OS processes: concurrent claims, and `kill -9` mid-job. */
export function describeQueueProcesses(name: string, newQueue: NewQueue): void {
  describe(`${name} job queue shared by processes`, () => {
    it("gives each of many queued jobs to exactly one of two processes claiming at once", async () => {
      const location = await newQueue();
      const store = await openJobStore(location);
      const submitted = new Set<string>();
      for (let i = 0; i < 60; i++) {
        submitted.add((await store.submit(request(), { owner: "t" })).job.id);
      }
      const children = ["p1", "p2"].map((worker) => {
        let ready: () => void = () => {};
        const started = new Promise<void>((resolve) => {
          ready = resolve;
        });
        return { ...child(location, "drain", worker, (out) => out && ready()), started };
      });
      await Promise.all(children.map((c) => c.started)); // both opened the queue: go
      for (const c of children) c.proc.stdin?.end("go\n");
      const runs = await Promise.all(children.map((c) => c.exited));
      const claimed = runs.flatMap((run) => run.lines);
      expect(runs.map((run) => run.code)).toEqual([0, 0]);
      expect(claimed).toHaveLength(60);
      expect(new Set(claimed)).toEqual(submitted);
      for (const [i, run] of runs.entries()) {
        const worker = `p${i + 1}`;
        for (const id of run.lines) expect((await store.get(id))?.worker).toBe(worker);
      }
      await store.close();
    });

    it("keeps jobs and events through kill -9, and recovery interrupts only its job", async () => {
      const location = await newQueue();
      const store = await openJobStore(location);
      const other = (await store.submit(request(), { owner: "t" })).job;
      await store.cancel(other.id);
      await store.close();
      const killed = child(location, "crash", "server-1", (out) => {
        if (out.split("\n").length > 2) killed.proc.kill("SIGKILL"); // both ids printed
      });
      const { lines, signal } = await killed.exited;
      expect(signal).toBe("SIGKILL");
      const [claimed, waiting] = lines as [string, string];

      const restarted = await openJobStore(location);
      try {
        expect(await restarted.get(claimed)).toMatchObject({
          status: "running",
          worker: "server-1",
        });
        const queued = await restarted.get(waiting);
        expect(queued).toMatchObject({ status: "queued" });
        expect(await restarted.recover("server-1", "interrupt")).toBe(1);
        const job = await restarted.get(claimed);
        expect(job).toMatchObject({ status: "interrupted", idempotencyKey: "crash" });
        expect((await restarted.events(claimed, 0)).map((e) => e.event.event)).toEqual([
          "run-started",
          "started",
          "job-interrupted",
        ]);
        expect((await restarted.get(other.id))?.status).toBe("cancelled");
        expect(await restarted.get(waiting)).toEqual(queued);
      } finally {
        await restarted.close();
      }
    });
  });
}
