import { spawnSync } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findDaggerCli } from "../../src/engine/dagger/locate.js";
import { engineAnswers } from "../../src/engine/dagger/session.js";
import { resultSchema } from "../../src/report/result-schema.js";
import { tempRepo } from "../helpers/cli.js";
import { type E2EEnv, e2eEnv, hiltRunAsync, REPO_ROOT, registryDigest, uniqueName } from "./env.js";

/**
 * Hilt's own image (catalog image "hilt", image/hilt.Dockerfile), built by Hilt from this
 * repository, then its entrypoint's four modes: interactive, daemon, cli and shell, and builds
 * from inside it: through the mounted Docker socket, on a remote BuildKit (BUILDKIT_HOST), and
 * on a Dagger engine where one answers.
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

const DOCKER_SOCKET = "--volume=/var/run/docker.sock:/var/run/docker.sock";
// test/env/up.sh's BuildKit daemon listens on a unix socket in this folder.
const BUILDKIT_DIR = "/run/hilt-buildkit";
const BUILDKIT_HOST = `unix://${BUILDKIT_DIR}/buildkitd.sock`;

// The Dagger case runs where an engine answers through a dagger CLI (as test/e2e/dagger.test.ts
// decides; CI has none); the CLI is mounted into the image.
const daggerCli =
  env && findDaggerCli(process.env) && (await engineAnswers(process.env))
    ? findDaggerCli(process.env)
    : undefined;
if (env && !daggerCli)
  console.warn("Hilt's image on a Dagger engine NOT RUN: no Dagger engine answers here");

describe.skipIf(!env)("Hilt's own image", () => {
  const e = env as E2EEnv;
  const prefix = process.env.HILT_E2E_BASE_PREFIX ?? `${e.registry}/library`;
  let ref = "";
  const containers: string[] = [];

  /**
   * `cli build tiny --push` in the image, on the host's network (the registry is 127.0.0.1),
   * with `dockerArgs` for mounts and environment; its exit status, stderr and parsed result.
   */
  function buildInImage(dockerArgs: string[], word: string, engine: "docker" | "dagger") {
    const workspace = tempRepo({ "catalog.yaml": CATALOG.replace("echo tiny", `echo ${word}`) });
    const r = run(
      [
        "run",
        "--rm",
        "--network",
        "host",
        ...dockerArgs,
        "-v",
        `${workspace}:/workspace`,
        ref,
        "cli",
        "build",
        "tiny",
        "--push",
        `${e.registry}/${uniqueName(`image-${word}`)}`,
        "--base-image",
        `debian:bookworm-slim=${e.baseImage}`,
        "--platform",
        "linux/amd64",
        "--engine",
        engine,
      ],
      600_000,
    );
    return { ...r, result: resultSchema.parse(JSON.parse(r.stdout)) };
  }

  /** Built and pushed: the registry holds the digest the result names. */
  async function expectPushed(build: ReturnType<typeof buildInImage>) {
    expect(build.result.error ?? null).toBeNull();
    expect(build.status).toBe(0);
    const image = build.result.images[0];
    expect(image?.status).toBe("built");
    expect(await registryDigest(image?.refs[0] ?? "")).toBe(image?.digest);
  }

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
    // The catalog's maxSize for the image held (a regrowth past it fails the build).
    expect(image?.size?.budget?.maxSize).toBe(180_000_000);
    expect(image?.size?.budget?.exceeded).toBe(false);
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

  it("builds on the remote BuildKit BUILDKIT_HOST names (registered as buildx builder hilt-remote)", async () => {
    const build = buildInImage(
      [
        DOCKER_SOCKET,
        "-v",
        `${BUILDKIT_DIR}:${BUILDKIT_DIR}`,
        "-e",
        `BUILDKIT_HOST=${BUILDKIT_HOST}`,
      ],
      "remote",
      "docker",
    );
    expect(build.result.builder).toBe("hilt-remote");
    expect(build.stderr).toMatch(/builder: hilt-remote \(remote driver/);
    await expectPushed(build);
  });

  // Without a Docker daemon the builder is still registered, but the docker backend's preflight
  // asks a daemon for its version first (src/engine/docker/backend.ts): refused, as JSON. When
  // the backend builds on a remote builder without a daemon, this case becomes expectPushed.
  it("remote BuildKit with no Docker daemon: refused by the docker backend's preflight", () => {
    const build = buildInImage(
      ["-v", `${BUILDKIT_DIR}:${BUILDKIT_DIR}`, "-e", `BUILDKIT_HOST=${BUILDKIT_HOST}`],
      "no-daemon",
      "docker",
    );
    expect(build.status).toBe(4);
    expect(build.result.ok).toBe(false);
    expect(build.result.error?.code).toBe("ENGINE_UNAVAILABLE");
    expect(build.result.error?.message).toMatch(/Docker daemon/);
  });

  it("builds through the mounted Docker socket", async () => {
    await expectPushed(buildInImage([DOCKER_SOCKET], "socket", "docker"));
  });

  // The image carries no dagger CLI (none is packaged where the image is built): the test's own
  // is mounted, and the engine is the one _EXPERIMENTAL_DAGGER_RUNNER_HOST names (the Docker
  // socket serves a docker-container:// address).
  it.skipIf(!daggerCli)(
    daggerCli
      ? "builds on the Dagger engine _EXPERIMENTAL_DAGGER_RUNNER_HOST names, with a mounted dagger CLI"
      : "builds on a Dagger engine NOT RUN: no Dagger engine answers here (no dagger CLI with a reachable engine)",
    async () => {
      const runner = process.env._EXPERIMENTAL_DAGGER_RUNNER_HOST;
      const build = buildInImage(
        [
          DOCKER_SOCKET,
          "-v",
          `${daggerCli}:/usr/local/bin/dagger:ro`,
          ...(runner ? ["-e", `_EXPERIMENTAL_DAGGER_RUNNER_HOST=${runner}`] : []),
        ],
        "dagger",
        "dagger",
      );
      expect(build.result.engine).toBe("dagger");
      await expectPushed(build);
    },
  );
});
