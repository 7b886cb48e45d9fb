import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatBytes } from "../../src/report/bytes.js";
import { type HiltResult, resultSchema } from "../../src/report/result-schema.js";
import { tempRepo } from "../helpers/cli.js";
import { docker, type E2EEnv, e2eEnv, hiltRunAsync, REPO_ROOT } from "./env.js";

/**
 * The repository's own catalog, built for real against the local registry, held to its budgets
 * (maxSize) and to issue 14's targets. Two steps need the internet, which these machines lack:
 * ttyd (core-base) and the Cursor agent archive (agent-cursor-task). The pipeline's
 * `mirrors` replace just those two steps with stand-in scripts, so those two images are NOT the
 * real ones (their label dev.hilt.mirrored-steps says so); every other step is the real one.
 * One fixed namespace: unchanged images are found by their content tags, so a warm run only
 * reads manifests.
 */

const env = e2eEnv();
const NAMESPACE = "hilt-e2e-catalog-size";
const STAND_IN = (tool: string) =>
  `printf '#!/bin/sh\\necho "${tool} stand-in: built without internet" >&2\\nexit 1\\n' > /usr/local/bin/${tool} && chmod 0755 /usr/local/bin/${tool}`;

function pipeline(e: E2EEnv, prefix: string): string {
  return `schemaVersion: 1
name: catalog-size
targets: [all]
push: { registry: ${e.registry}/${NAMESPACE} }
platforms: [linux/amd64]
tags: { sha: false, branch: false, semver: false, latest: never }
baseImages: { "debian:bookworm-slim": "${prefix}/debian:bookworm-slim" }
mirrors:
  core-base.ttyd: { run: ${JSON.stringify(STAND_IN("ttyd"))} }
  agent-cursor-task.cursor-agent: { run: ${JSON.stringify(STAND_IN("cursor-agent"))} }
`;
}

describe.skipIf(!env)(
  "catalog sizes (the repository's catalog; ttyd and Cursor are stand-ins)",
  () => {
    const e = env as E2EEnv;
    const prefix = process.env.HILT_E2E_BASE_PREFIX ?? `${e.registry}/library`;
    let result: HiltResult;
    let stderr = "";

    beforeAll(async () => {
      const dir = tempRepo({ "size.yaml": pipeline(e, prefix) }, afterAll);
      const run = await hiltRunAsync(
        [
          "build-all",
          "--pipeline",
          path.join(dir, "size.yaml"),
          "--json",
          "--concurrency",
          "2",
          "--engine",
          "docker",
        ],
        REPO_ROOT,
      );
      stderr = run.stderr;
      result = resultSchema.parse(run.json);
      // The measured sizes, for README's table (regenerated from this output).
      for (const image of result.images) {
        const s = image.size;
        console.log(
          `${image.name}\t${image.status}\tcompressed ${s?.compressed === undefined ? "?" : formatBytes(s.compressed)}\tuncompressed ${s?.uncompressed === undefined ? "?" : formatBytes(s.uncompressed)}\tadded ${s?.added === undefined ? "?" : formatBytes(s.added)}`,
        );
      }
      if (!result.ok) throw new Error(`the catalog did not build:\n${run.stdout}\n${run.stderr}`);
      // Cold, the whole catalog (a JDK, Rust, Go) takes a while; warm, it reads manifests only.
    }, 3_600_000);

    it("builds every image within its budget, and says which steps were stand-ins", () => {
      const names = result.images.map((i) => i.name);
      expect(names).toEqual(
        expect.arrayContaining(["core-base", "core-nodepy", "core-polyglot", "agent-session-full"]),
      );
      for (const image of result.images) {
        expect(image.size?.compressed, image.name).toBeGreaterThan(0);
        expect(image.size?.budget?.exceeded, image.name).toBe(false);
        // Tight, too: a budget far above the image would let it grow unseen. Cursor's real
        // archive is not in its stand-in, so its budget is a guess this test cannot judge.
        if (image.name !== "agent-cursor-task")
          expect(image.size?.budget?.maxSize, image.name).toBeLessThanOrEqual(
            1.25 * (image.size?.compressed ?? 0),
          );
      }
      expect(stderr).toContain("core-base.ttyd: replaced by the pipeline's mirrors");
      expect(stderr).toContain(
        "agent-cursor-task.cursor-agent: replaced by the pipeline's mirrors",
      );
    });

    it("meets issue 14's targets: core-base ≤ 300 MB, each task ≤ 45 % of the session image", () => {
      const size = (name: string) => result.images.find((i) => i.name === name)?.size;
      const base = size("core-base");
      // Unpacked when the image store has it (docker driver), else as pulled.
      expect(base?.uncompressed ?? base?.compressed ?? Infinity).toBeLessThanOrEqual(300e6);
      const full = size("agent-session-full");
      const tasks = result.images.filter((i) => /^agent-.*-task$/.test(i.name));
      expect(tasks.length).toBe(4);
      for (const task of tasks) {
        expect(task.size?.compressed, task.name).toBeLessThanOrEqual(
          0.45 * (full?.compressed ?? 0),
        );
        if (task.size?.uncompressed !== undefined && full?.uncompressed !== undefined)
          expect(task.size.uncompressed, task.name).toBeLessThanOrEqual(0.45 * full.uncompressed);
      }
      // Only the client: no Docker daemon in core-base.
      expect(size("core-base")?.added).toBeLessThan(size("core-nodepy")?.compressed ?? 0);
    });

    it("the lean images still work: the Docker client, Node and npm, Python, the agents", () => {
      const ref = (name: string) => result.images.find((i) => i.name === name)?.refs[0] ?? name;
      const run = (name: string, script: string) =>
        docker(["run", "--rm", "--entrypoint", "sh", ref(name), "-c", script]);
      const base = run("core-base", "docker --version && git --version && ! command -v dockerd");
      expect(base.stdout).toMatch(/^Docker version 26\./m);
      expect(base.status).toBe(0);
      const nodepy = run(
        "core-nodepy",
        "node --version && npm --version && python3 -m venv /tmp/v && /tmp/v/bin/pip --version",
      );
      expect(nodepy.stdout).toMatch(/^v22\.23\.3$/m);
      expect(nodepy.status).toBe(0);
      expect(run("agent-claude-task", "claude --version").stdout).toContain("2.1.330");
      expect(run("agent-codex-task", "codex --version").stdout).toContain("0.169.0");
      expect(run("agent-opencode-task", "opencode --version").stdout).toContain("1.18.18");
      // The npm step's prune: one opencode binary, not one per x64 flavour (176 MB each).
      const binaries = run(
        "agent-opencode-task",
        "find /usr/local/lib/node_modules -name 'opencode*' -type f -size +1M",
      );
      expect(binaries.stdout.trim()).toBe(
        "/usr/local/lib/node_modules/opencode-ai/bin/opencode.exe",
      );
      // No package files left behind by apt in any layer of the session image.
      expect(run("agent-session-full", "ls /var/cache/apt/archives").stdout.trim()).toBe(
        "lock\npartial",
      );
    });
  },
);

describe.skipIf(!env)("size budgets and failed builds, end to end", () => {
  const e = env as E2EEnv;
  const prefix = process.env.HILT_E2E_BASE_PREFIX ?? `${e.registry}/library`;

  it("fails an image over its budget by name, warns for overBudget: warn, and reports a failed step", async () => {
    const repo = tempRepo({
      "catalog.yaml": `schemaVersion: 1
images:
  heavy:
    from: debian:bookworm-slim
    maxSize: 1MB
    steps:
      - run: head -c 3000000 /dev/urandom > /blob
  heavy-child:
    from: heavy
    steps:
      - run: echo child > /child
  tolerated:
    from: debian:bookworm-slim
    maxSize: 1MB
    overBudget: warn
    steps:
      - run: head -c 2000000 /dev/urandom > /blob
  broken:
    from: debian:bookworm-slim
    steps:
      - run: echo "the-failing-step-says-this"; sleep 1; exit 3
`,
    });
    const run = await hiltRunAsync(
      [
        "build-all",
        "--json",
        "--push",
        `${e.registry}/hilt-e2e-budget`,
        "--platform",
        "linux/amd64",
        "--base-image",
        `debian:bookworm-slim=${prefix}/debian:bookworm-slim`,
        "--engine",
        "docker",
        "--concurrency",
        "2",
      ],
      repo,
    );
    expect(run.status).toBe(1);
    const result = resultSchema.parse(run.json);
    const image = (name: string) => result.images.find((i) => i.name === name);

    expect(image("heavy")?.status).toBe("failed");
    expect(image("heavy")?.error?.code).toBe("SIZE_BUDGET_EXCEEDED");
    expect(image("heavy")?.error?.message).toMatch(
      /^catalog\.yaml: images\.heavy\.maxSize: heavy weighs [\d.]+ MB compressed \(linux\/amd64\), over its budget of 1\.0 MB$/,
    );
    expect(image("heavy")?.error?.hint).toContain("raise maxSize");
    expect(image("heavy")?.size?.compressed).toBeGreaterThan(3e6);
    expect(image("heavy")?.size?.added).toBeGreaterThan(3e6);
    expect(image("heavy-child")?.status).toBe("skipped");

    expect(image("tolerated")?.status).toMatch(/^(built|cached)$/);
    expect(image("tolerated")?.size?.budget).toEqual({
      maxSize: 1e6,
      exceeded: true,
      onExceed: "warn",
    });
    expect(run.stderr).toContain("images.tolerated.maxSize: tolerated weighs");

    // A failed build reports how long it ran and its failing step's own output.
    expect(image("broken")?.status).toBe("failed");
    expect(image("broken")?.durationMs).toBeGreaterThan(1000);
    expect(image("broken")?.error?.log).toContain("the-failing-step-says-this");
    expect(image("broken")?.error?.log).toContain("exit code: 3");
  });
});
