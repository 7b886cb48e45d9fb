import { spawnSync } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resultSchema } from "../../src/report/result-schema.js";
import { tempRepo } from "../helpers/cli.js";
import { type E2EEnv, e2eEnv, hiltRunAsync, REPO_ROOT, registryDigest, uniqueName } from "./env.js";

/**
 * Hilt's own image (catalog image "hilt", image/hilt.Dockerfile), built by Hilt from this
 * repository, then its entrypoint's four modes: interactive, daemon, cli and shell, and a build
 * through the mounted Docker socket.
 */

const env = e2eEnv();
// One repository for every run: an unchanged tree is found by its content tag, not rebuilt.
const NAMESPACE = "hilt-e2e-image";

const CATALOG = `schemaVersion: 1
images:
  tiny:
    from: debian:bookworm-slim
    steps:
      - run: echo tiny > /tiny
`;

function run(args: string[], timeout = 120_000) {
  const r = spawnSync("docker", args, { encoding: "utf8", timeout });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function until<T>(probe: () => Promise<T | undefined>, ms: number): Promise<T | undefined> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 500));
  }
  return undefined;
}

describe.skipIf(!env)("Hilt's own image", () => {
  const e = env as E2EEnv;
  const prefix = process.env.HILT_E2E_BASE_PREFIX ?? `${e.registry}/library`;
  let ref = "";
  const containers: string[] = [];

  beforeAll(async () => {
    const built = await hiltRunAsync(
      [
        "build",
        "hilt",
        "--json",
        "--push",
        `${e.registry}/${NAMESPACE}`,
        "--base-image",
        `node:20-bookworm-slim=${prefix}/node:20-bookworm-slim`,
        "--platform",
        "linux/amd64",
        "--engine",
        "docker",
      ],
      REPO_ROOT,
    );
    const result = resultSchema.parse(built.json);
    if (!result.ok) throw new Error(`the hilt image did not build:\n${built.stdout}`);
    const image = result.images.find((i) => i.name === "hilt");
    expect(image?.status).toMatch(/^(built|cached)$/);
    ref = image?.refs[0] ?? "";
    expect(await registryDigest(ref)).toBe(image?.digest);
    expect(run(["pull", "-q", ref]).status).toBe(0);
  });

  afterAll(() => {
    for (const id of containers) run(["rm", "-f", id]);
  });

  it("cli: one command, its JSON on stdout", () => {
    const workspace = tempRepo({ "catalog.yaml": CATALOG });
    const r = run([
      "run",
      "--rm",
      "-v",
      `${workspace}:/workspace`,
      ref,
      "cli",
      "plan",
      "--json",
      "--offline",
    ]);
    expect(r.status).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.kind).toBe("hilt.plan");
    expect(plan.nodes.map((n: { name: string }) => n.name)).toEqual(["tiny"]);
    // --json is added where a command has it.
    const added = run(["run", "--rm", "-v", `${workspace}:/workspace`, ref, "cli", "validate"]);
    expect(added.status).toBe(0);
    expect(() => JSON.parse(added.stdout)).not.toThrow();
    // A failure is JSON too, with the CLI's exit code.
    const missing = run(["run", "--rm", ref, "cli", "plan", "--offline"]);
    expect(missing.status).toBe(3);
    expect(JSON.parse(missing.stdout).error.code).toMatch(/^[A-Z_]+$/);
  });

  it("shell: a shell with the CLI and docker buildx, no service", () => {
    const r = run(["run", "--rm", ref, "shell", "-c", "hilt --version && docker buildx version"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+/m);
    expect(r.stdout).toMatch(/buildx/);
  });

  it("interactive: hilt serve answers /health before the shell's first prompt", () => {
    const outFile = path.join(tmpdir(), `${uniqueName("hilt-interactive")}.log`);
    const fd = openSync(outFile, "w");
    // One file for stdout and stderr: the order is the one docker relayed them in.
    const r = spawnSync("docker", ["run", "--rm", "-i", ref, "interactive"], {
      // One printf: stdout and stderr (the prompt) reach docker as separate streams, so two writes may interleave.
      input: "printf '%s <- health\\n' \"$(curl -fsS http://127.0.0.1:8080/health)\"\nexit 0\n",
      stdio: ["pipe", fd, fd],
      timeout: 120_000,
    });
    closeSync(fd);
    const out = readFileSync(outFile, "utf8");
    expect(r.status).toBe(0);
    const ready = out.indexOf("hilt serve is ready on http://127.0.0.1:8080");
    const prompt = out.search(/root@[^:]+:\/workspace# /);
    const health = out.indexOf('"ok":true');
    expect(ready).toBeGreaterThanOrEqual(0);
    expect(health).toBeGreaterThan(ready);
    expect(prompt).toBeGreaterThan(ready);
    expect(out).toMatch(/"ok":true[^\n]*} <- health/);
  });

  it("daemon: refuses to start without a token", () => {
    const r = run(["run", "--rm", ref, "daemon"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/HILT_SERVE_TOKENS/);
    // The server itself refuses too, when started past the entrypoint.
    const direct = run(["run", "--rm", "--entrypoint", "hilt", ref, "serve", "--host", "0.0.0.0"]);
    expect(direct.status).not.toBe(0);
    expect(direct.stdout + direct.stderr).toMatch(/SERVE_TOKENS_REQUIRED/);
  });

  it("daemon: serves on 0.0.0.0 with a token; the API wants it", async () => {
    const token = `${uniqueName("tok")}-0123456789abcdef`;
    const started = run([
      "run",
      "-d",
      "-p",
      "127.0.0.1::8080",
      "-e",
      `HILT_SERVE_TOKENS=${token}`,
      ref,
      "daemon",
    ]);
    expect(started.status).toBe(0);
    const id = started.stdout.trim();
    containers.push(id);
    const port = run(["port", id, "8080/tcp"]).stdout.trim().split(":").pop();
    const base = `http://127.0.0.1:${port}`;
    const health = await until(async () => {
      const response = await fetch(`${base}/health`);
      return response.ok ? ((await response.json()) as { ok: boolean }) : undefined;
    }, 60_000);
    expect(health?.ok).toBe(true);
    expect((await fetch(`${base}/jobs`)).status).toBe(401);
    const listed = await fetch(`${base}/jobs`, { headers: { Authorization: `Bearer ${token}` } });
    expect(listed.status).toBe(200);
    expect(await listed.json()).toEqual({ jobs: [] });
    const logs = run(["logs", id]);
    expect(logs.stdout + logs.stderr).toMatch(/"url":"http:\/\/0\.0\.0\.0:8080"/);
    expect(logs.stdout + logs.stderr).not.toContain(token);
  });

  it("builds on the remote BuildKit BUILDKIT_HOST names (registered as buildx builder hilt-remote)", () => {
    const workspace = tempRepo({ "catalog.yaml": CATALOG.replace("echo tiny", "echo remote") });
    const socket = "/run/hilt-buildkit/buildkitd.sock"; // test/env/up.sh's BuildKit daemon
    const r = run(
      [
        "run",
        "--rm",
        "--network",
        "host",
        "-v",
        "/var/run/docker.sock:/var/run/docker.sock",
        "-v",
        `${path.dirname(socket)}:${path.dirname(socket)}`,
        "-e",
        `BUILDKIT_HOST=unix://${socket}`,
        "-v",
        `${workspace}:/workspace`,
        ref,
        "cli",
        "build",
        "tiny",
        "--push",
        `${e.registry}/${uniqueName("remote-buildkit")}`,
        "--base-image",
        `debian:bookworm-slim=${e.baseImage}`,
        "--platform",
        "linux/amd64",
        "--engine",
        "docker",
      ],
      600_000,
    );
    const result = resultSchema.parse(JSON.parse(r.stdout));
    expect(result.ok).toBe(true);
    expect(result.builder).toBe("hilt-remote");
    expect(r.stderr).toMatch(/builder: hilt-remote \(remote driver/);
    expect(result.images[0]?.status).toBe("built");
  });

  it("builds through the mounted Docker socket", () => {
    const workspace = tempRepo({ "catalog.yaml": CATALOG });
    const push = `${e.registry}/${uniqueName("from-image")}`;
    const r = run(
      [
        "run",
        "--rm",
        "--network",
        "host",
        "-v",
        "/var/run/docker.sock:/var/run/docker.sock",
        "-v",
        `${workspace}:/workspace`,
        ref,
        "cli",
        "build",
        "tiny",
        "--push",
        push,
        "--base-image",
        `debian:bookworm-slim=${e.baseImage}`,
        "--platform",
        "linux/amd64",
        "--engine",
        "docker",
      ],
      600_000,
    );
    const result = resultSchema.parse(JSON.parse(r.stdout));
    expect(result.ok).toBe(true);
    expect(r.status).toBe(0);
    const tiny = result.images[0];
    expect(tiny?.status).toBe("built");
    return registryDigest(tiny?.refs[0] ?? "").then((digest) => expect(digest).toBe(tiny?.digest));
  });
});
