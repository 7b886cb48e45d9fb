import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { resultSchema } from "../../src/report/result-schema.js";
import { NODE_ARGS, tempRepo } from "../helpers/cli.js";
import { buildArgs, type E2EEnv, e2eEnv, hiltInterrupted, uniqueName } from "./env.js";

const env = e2eEnv();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!env)("Ctrl-C", () => {
  const e = env as E2EEnv;

  it("stops scheduling, ends the builds it started, and prints the partial JSON", async () => {
    const marker = 37 + Math.floor(Math.random() * 50);
    const repo = tempRepo({
      "catalog.yaml": `schemaVersion: 1
images:
  base: { from: debian:bookworm-slim, steps: [{ run: echo ${uniqueName("n")} > /n }] }
  slow-1: { from: base, steps: [{ run: sleep ${marker}.5 }] }
  slow-2: { from: base, steps: [{ run: sleep ${marker}.5 }] }
  after: { from: slow-1 }
`,
    });
    const namespace = uniqueName("sigint");
    const run = await hiltInterrupted(
      [...buildArgs(e, `${e.registry}/${namespace}`), "--concurrency", "2"],
      repo,
      /"event":"started","image":"slow-/,
    );
    expect(run.status).toBe(130);
    const result = resultSchema.parse(run.json);
    expect(result.ok).toBe(false);
    expect(result.error?.code).toBe("INTERRUPTED");
    const status = Object.fromEntries(result.images.map((i) => [i.name, i.status]));
    expect(status.base).toBe("built");
    expect(status.after).toBe("skipped");
    expect(["failed", "skipped"]).toContain(status["slow-1"]);
    expect(alive(run.pid)).toBe(false);
    await new Promise((r) => setTimeout(r, 3000));
    const leftovers = spawnSync("pgrep", ["-f", `sleep ${marker}.5`], {
      encoding: "utf8",
    }).stdout.trim();
    expect(leftovers, "build processes left behind").toBe("");
    const buildx = spawnSync("pgrep", ["-f", "docker-buildx buildx build"], {
      encoding: "utf8",
    }).stdout.trim();
    expect(buildx).toBe("");
  });
});

describe.skipIf(!env)("--timeout", () => {
  const e = env as E2EEnv;

  it("ends the whole run after the limit, with the partial JSON", async () => {
    const repo = tempRepo({
      "catalog.yaml": `schemaVersion: 1\nimages:\n  slow: { from: debian:bookworm-slim, steps: [{ run: sleep 61.5 }] }\n`,
    });
    const started = Date.now();
    const run = await hiltInterrupted(
      [...buildArgs(e, `${e.registry}/${uniqueName("timeout")}`), "--timeout", "3"],
      repo,
      /^$/,
    );
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(run.status).toBe(130);
    const result = resultSchema.parse(run.json);
    expect(result.error?.code).toBe("INTERRUPTED");
    expect(result.images[0]?.status).toBe("failed");
  });
});

describe.skipIf(!env)("Ctrl-C twice", () => {
  const e = env as E2EEnv;

  it("hurries the cleanup without skipping it: buildx ended, temporary folders removed", async () => {
    const marker = `${400 + Math.floor(Math.random() * 500)}.75`;
    const repo = tempRepo({
      "catalog.yaml": `schemaVersion: 1\nimages:\n  slow: { from: debian:bookworm-slim, steps: [{ run: sleep ${marker} }] }\n`,
    });
    const tmp = path.join(repo, ".tmp");
    mkdirSync(tmp);
    const child = spawn(
      process.execPath,
      [...NODE_ARGS, ...buildArgs(e, `${e.authRegistry}/${uniqueName("sigint2")}`)],
      {
        cwd: repo,
        env: {
          PATH: process.env.PATH ?? "",
          HOME: process.env.HOME ?? "/root",
          TMPDIR: tmp,
          HILT_REGISTRY_USERNAME: e.authUser,
          HILT_REGISTRY_PASSWORD: e.authPassword,
        },
      },
    );
    let stdout = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    const running = () =>
      spawnSync("pgrep", ["-f", `sleep ${marker}`], { encoding: "utf8" }).stdout.trim();
    for (let i = 0; i < 1200 && running() === ""; i++) await new Promise((r) => setTimeout(r, 250));
    expect(running()).not.toBe("");
    child.kill("SIGINT");
    await new Promise((r) => setTimeout(r, 300));
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    const result = resultSchema.parse(JSON.parse(stdout));
    expect(result.error?.code).toBe("INTERRUPTED");
    const buildx = spawnSync("pgrep", ["-f", `buildx build .*${tmp}`], { encoding: "utf8" });
    expect(buildx.stdout.trim()).toBe("");
    expect(readdirSync(tmp).filter((n) => !n.startsWith("tsx-"))).toEqual([]);
    for (let i = 0; i < 120 && running() !== ""; i++) await new Promise((r) => setTimeout(r, 250));
    expect(running()).toBe("");
  });
});
