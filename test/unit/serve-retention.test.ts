import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { MemoryStore } from "../../src/serve/memory-store.js";
import { pruneJobs, startRetention } from "../../src/serve/retention.js";
import { runServer } from "../../src/serve/server.js";
import { openJobStore } from "../../src/serve/store/open.js";
import type { JobStore } from "../../src/serve/store/types.js";
import { NODE_ARGS, tempRepo } from "../helpers/cli.js";

async function finishedJobs(store: JobStore, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const { job } = await store.submit(
      { kind: "detect", workspace: ".", options: {} },
      { owner: "t" },
    );
    await store.claim("w");
    await store.appendEvent(job.id, { event: "log", message: String(i) });
    await store.finish(job.id, { status: "succeeded", exitCode: 0 });
    ids.push(job.id);
  }
  return ids;
}

describe("hilt serve's retention", () => {
  it("prunes in batches until the policy is met, and logs how many", async () => {
    const store = new MemoryStore();
    const ids = await finishedJobs(store, 450);
    const running = (
      await store.submit({ kind: "plan", workspace: ".", options: {} }, { owner: "t" })
    ).job;
    await store.claim("w");
    const logs: Record<string, unknown>[] = [];
    let calls = 0;
    const counted = Object.assign(Object.create(store) as JobStore, {
      prune: (policy: Parameters<JobStore["prune"]>[0]) => {
        calls++;
        return store.prune(policy);
      },
    });
    expect(await pruneJobs(counted, { days: 0, jobs: 10 }, (e) => logs.push(e))).toBe(440);
    expect(calls).toBe(3); // 200, 200, 40
    expect(logs).toEqual([{ level: "info", msg: "pruned jobs", count: 440, days: 0, jobs: 10 }]);
    expect((await store.list({ limit: 100 })).jobs.map((j) => j.id)).toEqual([
      running.id,
      ...ids.slice(-10).reverse(),
    ]);
    expect(await pruneJobs(counted, { days: 0, jobs: 0 }, () => {})).toBe(0);
    expect(await pruneJobs(counted, { days: 1, jobs: 0 }, () => {})).toBe(0);
  });

  it("logs a store failure instead of throwing, and tries again at the next round", async () => {
    const store = new MemoryStore();
    await finishedJobs(store, 3);
    let fail = true;
    const flaky = Object.assign(Object.create(store) as JobStore, {
      prune: async (policy: Parameters<JobStore["prune"]>[0]) => {
        if (fail) throw new Error("disk I/O error");
        return store.prune(policy);
      },
    });
    const logs: Record<string, unknown>[] = [];
    const stop = startRetention(flaky, { days: 0, jobs: 1 }, (e) => logs.push(e), 20);
    await new Promise((r) => setTimeout(r, 5));
    expect(logs[0]).toMatchObject({ level: "error", msg: "job store" });
    fail = false;
    await new Promise((r) => setTimeout(r, 60));
    await stop();
    expect((await store.list({ limit: 10 })).jobs).toHaveLength(1);
  });

  it("runs when hilt serve starts: old finished jobs of the queue are gone, others kept", async () => {
    const root = tempRepo({ "svc/.keep": "" });
    const queue = `sqlite:${path.join(root, "queue.db")}`;
    const before = await openJobStore(queue);
    const ids = await finishedJobs(before, 4);
    const queued = (
      await before.submit({ kind: "plan", workspace: ".", options: {} }, { owner: "t" })
    ).job;
    await before.close();
    let listening: () => void = () => {};
    const ready = new Promise<void>((resolve) => {
      listening = resolve;
    });
    const logs: Record<string, unknown>[] = [];
    const code = runServer(
      {
        port: 0,
        workspace: root,
        queue,
        retainJobs: 1,
        concurrency: 1,
        workerId: `retention-test-${process.pid}`,
      },
      {
        version: "test",
        cli: { command: process.execPath, args: ["-e", "process.exit(1)"] },
        log: (entry) => {
          logs.push(entry);
          if (entry.msg === "pruned jobs") listening();
        },
        stopped: ready,
      },
    );
    await code;
    expect(logs.find((e) => e.msg === "listening")).toMatchObject({
      retention: { days: 30, jobs: 1 },
    });
    const after = await openJobStore(queue);
    try {
      const left = (await after.list({ limit: 10 })).jobs.map((j) => j.id);
      // The queued job may have run (and failed) meanwhile: then it is the one finished job kept.
      expect(left).toContain(queued.id);
      for (const id of ids.slice(0, 3)) expect(left).not.toContain(id);
      expect(await after.events(ids[0] as string, 0)).toEqual([]);
    } finally {
      await after.close();
    }
  });

  it("refuses a retention flag that is not a whole number, with a hint", () => {
    const result = spawnSync(process.execPath, [...NODE_ARGS, "serve", "--retain-days", "-3"], {
      encoding: "utf8",
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/--retain-days/);
    expect(result.stderr).toMatch(/0: no age limit/);
    const help = spawnSync(process.execPath, [...NODE_ARGS, "serve", "--help"], {
      encoding: "utf8",
    });
    expect(help.stdout).toMatch(/--retain-days <n>/);
    expect(help.stdout).toMatch(/--retain-jobs <n>/);
  });
});
