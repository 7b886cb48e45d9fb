import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { exec, killAllChildren, runningChildren } from "../../src/host/exec.js";

/** A `sleep` whose argument no other process on the machine has, so pgrep finds only ours. */
function marker(): string {
  return `300.${randomBytes(3).readUIntBE(0, 3)}`;
}

function pids(pattern: string): string[] {
  return spawnSync("pgrep", ["-f", `^${pattern}`], { encoding: "utf8" })
    .stdout.trim()
    .split("\n")
    .filter(Boolean);
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
  expect(check()).toBe(true);
}

describe("the process seam", () => {
  it("captures output and exit code without throwing", async () => {
    const result = await exec({ command: "sh", args: ["-c", "echo out; echo err >&2; exit 3"] });
    expect(result).toMatchObject({ exitCode: 3, stdout: "out\n", stderr: "err\n" });
    expect(result.aborted).toBeUndefined();
    const missing = await exec({ command: "/nonexistent/tool", args: [] });
    expect(missing.spawnError?.code).toBe("ENOENT");
  });

  it("keeps registry and npm tokens away from child processes", async () => {
    const names = [
      "HILT_REGISTRY_PASSWORD",
      "GITHUB_TOKEN",
      "GHCR_TOKEN",
      "NPM_TOKEN",
      "NODE_AUTH_TOKEN",
    ];
    for (const name of names) process.env[name] = `${name.toLowerCase()}-secret-value`;
    try {
      const result = await exec({ command: "env", args: [] });
      for (const name of names) expect(result.stdout).not.toContain(`${name.toLowerCase()}-secret`);
      expect(result.stdout).toContain("PATH=");
    } finally {
      for (const name of names) delete process.env[name];
    }
  });

  it("an abort ends the child and everything it started (its process group)", async () => {
    const sleep = marker();
    const controller = new AbortController();
    const running = exec({
      command: "sh",
      args: ["-c", `sleep ${sleep} & sleep ${sleep} & wait`],
      signal: controller.signal,
    });
    await until(() => pids(`sleep ${sleep}`).length === 2);
    controller.abort();
    const result = await running;
    expect(result.aborted).toBe(true);
    await until(() => pids(`sleep ${sleep}`).length === 0);
    expect(runningChildren()).toBe(0);
  });

  it("a group that ignores SIGTERM gets SIGKILL after the grace period", async () => {
    const sleep = marker();
    const controller = new AbortController();
    const running = exec({
      command: "sh",
      args: ["-c", `trap '' TERM; sleep ${sleep} & wait; wait`],
      signal: controller.signal,
      killGraceMs: 300,
    });
    await until(() => pids(`sleep ${sleep}`).length === 1);
    controller.abort();
    const result = await running;
    expect(result.aborted).toBe(true);
    expect(result.signal).toBe("SIGKILL");
    await until(() => pids(`sleep ${sleep}`).length === 0);
  });

  it("does not start a command whose signal is already aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await exec({
      command: "touch",
      args: ["/nonexistent-dir/x"],
      signal: controller.signal,
    });
    expect(result).toEqual({ exitCode: null, signal: null, stdout: "", stderr: "", aborted: true });
  });

  it("killAllChildren ends every running group at once (a second Ctrl-C)", async () => {
    const sleep = marker();
    const running = exec({ command: "sh", args: ["-c", `sleep ${sleep} & wait`] });
    await until(() => pids(`sleep ${sleep}`).length === 1);
    expect(runningChildren()).toBe(1);
    killAllChildren();
    const result = await running;
    expect(result.signal).toBe("SIGKILL");
    await until(() => pids(`sleep ${sleep}`).length === 0);
  });
});
