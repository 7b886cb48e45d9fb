import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { JobSignals } from "../../src/serve/events-bus.js";
import { jobCommand } from "../../src/serve/job-command.js";
import { MemoryStore } from "../../src/serve/memory-store.js";
import { Runner } from "../../src/serve/runner.js";
import type { Job, JobRequest } from "../../src/serve/store/types.js";
import { tempRepo } from "../helpers/cli.js";

/**
 * A stand-in for Hilt's CLI: prints events on stderr (one split across writes, one log line),
 * then its result on stdout; `slow` waits for SIGTERM and still prints a partial result.
 */
const FAKE_CLI = `
const args = process.argv.slice(2);
const slow = process.cwd().endsWith("slow");
const event = (e) => JSON.stringify({ ...e, time: new Date().toISOString() });
process.stderr.write(event({ event: "run-started", images: 1 }).slice(0, 10));
setTimeout(() => {
  process.stderr.write(event({ event: "run-started", images: 1 }).slice(10) + "\\nwarning: plain text\\n");
  process.stderr.write(event({ event: "env", token: process.env.HILT_SERVE_TOKENS ?? null, worker: process.env.HILT_SERVE_WORKER }) + "\\n");
  if (!slow) {
    process.stdout.write(JSON.stringify({ kind: "hilt.result", ok: true, args }));
    return;
  }
  process.on("SIGTERM", () => {
    process.stdout.write(JSON.stringify({ kind: "hilt.result", ok: false, partial: true }));
    process.exit(130);
  });
  setInterval(() => {}, 1000);
}, 50);
`;

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("timed out");
}

function setup(policy: "interrupt" | "requeue" = "interrupt") {
  const root = tempRepo({ "fast/.keep": "", "slow/.keep": "", "cli.cjs": FAKE_CLI });
  const store = new MemoryStore();
  process.env.HILT_SERVE_TOKENS = "server-token-never-in-children";
  const runner = new Runner({
    store,
    worker: "unit",
    concurrency: 2,
    root,
    cli: { command: process.execPath, args: [path.join(root, "cli.cjs")] },
    signals: new JobSignals(),
    policy,
    log: () => {},
    hiddenEnv: ["HILT_SERVE_TOKENS"],
    pollMs: 20,
  });
  const submit = async (request: JobRequest) => (await store.submit(request, { owner: "t" })).job;
  const final = (id: string) =>
    until(async () =>
      ["succeeded", "failed", "cancelled", "interrupted"].includes(
        (await store.get(id))?.status ?? "",
      ),
    );
  return { root, store, runner, submit, final };
}

describe("hilt serve's runner", () => {
  it("runs a job as the CLI: events stored in order as they come, the result as printed", async () => {
    const { store, runner, submit, final } = setup();
    runner.start();
    try {
      const job = await submit({ kind: "plan", workspace: "fast", options: { push: "none" } });
      await final(job.id);
      const done = (await store.get(job.id)) as Job;
      expect(done).toMatchObject({ status: "succeeded", exitCode: 0 });
      expect(done.result).toEqual({
        kind: "hilt.result",
        ok: true,
        args: ["plan", "--json", "--push=none"],
      });
      const events = (await store.events(job.id, 0)).map((e) => e.event);
      expect(events.map((e) => e.event)).toEqual(["run-started", "log", "env"]);
      expect(events[1]).toMatchObject({ message: "warning: plain text" });
      // The server's tokens never reach a job; its worker id does (to find orphans).
      expect(events[2]).toMatchObject({ token: null, worker: "unit" });
    } finally {
      await runner.stop();
    }
  });

  it("cancels a running job: SIGTERM, partial result kept, status cancelled", async () => {
    const { store, runner, submit, final } = setup();
    runner.start();
    try {
      const job = await submit({ kind: "build-all", workspace: "slow", options: {} });
      await until(async () => (await store.events(job.id, 0)).length >= 3);
      await store.cancel(job.id);
      runner.cancel(job.id);
      await final(job.id);
      expect(await store.get(job.id)).toMatchObject({
        status: "cancelled",
        exitCode: 130,
        result: { ok: false, partial: true },
      });
    } finally {
      await runner.stop();
    }
  });

  it.each([
    ["interrupt", "interrupted"],
    ["requeue", "running"],
  ] as const)("on stop with --on-restart %s, a running job is left %s", async (policy, status) => {
    const { store, runner, submit } = setup(policy);
    runner.start();
    const job = await submit({ kind: "build-all", workspace: "slow", options: {} });
    await until(async () => (await store.events(job.id, 0)).length >= 3);
    await runner.stop();
    expect((await store.get(job.id))?.status).toBe(status);
  });

  it("fails a job whose folder became a link out of the workspace since it was queued", async () => {
    const { root, store, runner, submit, final } = setup();
    const job = await submit({ kind: "detect", workspace: "gone", options: {} });
    const { symlinkSync } = await import("node:fs");
    symlinkSync("/etc", path.join(root, "gone"));
    runner.start();
    try {
      await final(job.id);
      const done = (await store.get(job.id)) as Job;
      expect(done).toMatchObject({ status: "failed", exitCode: 2 });
      expect(JSON.stringify(done.result)).toContain("PATH_OUTSIDE_ROOT");
    } finally {
      await runner.stop();
    }
  });
});

describe("job commands", () => {
  it("pass every option as --name=value and targets after --", () => {
    const root = tempRepo({ "repo/app/.keep": "" });
    writeFileSync(path.join(root, "repo", "catalog.yaml"), "");
    const command = jobCommand(root, {
      kind: "build",
      workspace: "repo",
      options: {
        targets: ["./app", "-rf"],
        push: "--evil",
        platforms: ["linux/amd64"],
        baseImages: { debian: "mirror/debian" },
        engine: "docker",
        concurrency: 2,
        noCache: true,
        catalog: "catalog.yaml",
      },
    });
    expect(command.cwd).toBe(path.join(root, "repo"));
    expect(command.args).toEqual([
      "build",
      "--json",
      "--events",
      `--catalog=${path.join(root, "repo", "catalog.yaml")}`,
      "--push=--evil",
      "--platform=linux/amd64",
      "--base-image=debian=mirror/debian",
      "--engine=docker",
      "--concurrency=2",
      "--no-cache",
      "--",
      path.join(root, "repo", "app"),
      "-rf",
    ]);
  });
});
