import { describe, expect, it } from "vitest";
import { HiltError } from "../../src/errors.js";
import { planSchema } from "../../src/plan/plan-schema.js";
import { parsePushTarget } from "../../src/plan/targets.js";
import { catalogFrom, planOf, RUN_ID } from "../helpers/catalog.js";

const catalog = `schemaVersion: 1
images:
  base:
    from: debian:bookworm-slim
    steps:
      - apt: [git, jq]
      - env: {A: "1", B: "2"}
  mid:
    from: base
    provides: [node]
    steps:
      - run: echo mid
  leaf-a:
    from: mid
    provides: [a]
    steps:
      - run: echo a
  leaf-b:
    from: mid
    steps:
      - run: echo b
  lone:
    from: debian:bookworm-slim
groups:
  leaves: [leaf-a, leaf-b]
`;

const hashes = (text: string, overrides = {}) =>
  Object.fromEntries(planOf(text, overrides).nodes.map((n) => [n.name, n.inputHash]));

describe("planner", () => {
  it("produces a valid, versioned plan in waves", () => {
    const plan = planOf(catalog);
    expect(planSchema.parse(plan)).toEqual(plan);
    expect(plan.waves).toEqual([["base", "lone"], ["mid"], ["leaf-a", "leaf-b"]]);
    expect(plan.criticalPath).toEqual({ nodes: ["base", "mid", "leaf-a"], length: 3 });
    expect(plan.nodes.find((n) => n.name === "leaf-a")?.provides).toEqual(["a", "node"]);
  });

  it("is deterministic", () => {
    expect(JSON.stringify(planOf(catalog))).toBe(JSON.stringify(planOf(catalog)));
  });

  it("ignores key order and comments in the hash", () => {
    const reordered = catalog
      .replace('env: {A: "1", B: "2"}', 'env: {B: "2", A: "1"}  # same values')
      .replace(
        "  mid:\n    from: base\n    provides: [node]",
        "  # the middle\n  mid:\n    provides: [node]\n    from: base",
      );
    expect(hashes(reordered)).toEqual(hashes(catalog));
  });

  it("changes an image's hash, and its descendants', when its spec changes", () => {
    const before = hashes(catalog);
    const after = hashes(catalog.replace("echo mid", "echo middle"));
    expect(after.base).toBe(before.base);
    expect(after.lone).toBe(before.lone);
    for (const name of ["mid", "leaf-a", "leaf-b"]) expect(after[name]).not.toBe(before[name]);
  });

  it("changes the hash when the platform or the context changes", () => {
    const before = hashes(catalog);
    expect(hashes(catalog, { platforms: ["linux/arm64"] }).base).not.toBe(before.base);
    const withCopy = catalog.replace(
      "      - run: echo a",
      "      - copy: {src: files, dest: /files}",
    );
    const one = hashes(withCopy, { contextDigests: { "leaf-a": "1111" } });
    const two = hashes(withCopy, { contextDigests: { "leaf-a": "2222" } });
    expect(one["leaf-a"]).not.toBe(two["leaf-a"]);
    expect(one.mid).toBe(two.mid);
  });

  it("changes the hash when a base image is mapped elsewhere", () => {
    const mapped = hashes(catalog, { baseImages: { debian: "127.0.0.1:5000/library/debian" } });
    expect(mapped.base).not.toBe(hashes(catalog).base);
    const node = planOf(catalog, { baseImages: { debian: "127.0.0.1:5000/library/debian" } })
      .nodes[0];
    expect(node?.from).toEqual({
      type: "external",
      ref: "127.0.0.1:5000/library/debian:bookworm-slim",
    });
  });

  it("selects targets with their ancestors, expanding groups", () => {
    const plan = planOf(catalog, { targets: ["leaves"] });
    expect(plan.nodes.map((n) => n.name)).toEqual(["base", "mid", "leaf-a", "leaf-b"]);
  });

  it("rejects an unknown target with a suggestion", () => {
    expect(() => planOf(catalog, { targets: ["leaf-c"] })).toThrow(HiltError);
    try {
      planOf(catalog, { targets: ["leavs"] });
    } catch (error) {
      expect((error as HiltError).hint).toMatch(/leaves/);
    }
  });

  it("gives each node its refs: immutable first, aliases after", () => {
    const node = planOf(catalog).nodes[0];
    expect(node?.refs.immutable).toEqual([
      "127.0.0.1:5000/hilt/base:sha-0123456",
      `127.0.0.1:5000/hilt/base:${node?.contentTag}`,
    ]);
    expect(node?.refs.aliases).toEqual([
      "127.0.0.1:5000/hilt/base:main",
      "127.0.0.1:5000/hilt/base:latest",
    ]);
    const ttl = planOf(catalog, { push: parsePushTarget("ttl.sh", { runId: RUN_ID }) }).nodes[0];
    expect(ttl?.refs).toEqual({ immutable: [`ttl.sh/base-${RUN_ID}:1h`], aliases: [] });
  });

  it("labels images with OCI annotations from git, never the current time", () => {
    const labels = planOf(catalog, {
      git: {
        sha: "f".repeat(40),
        branch: "main",
        remoteUrl: "git@github.com:acme/hilt.git",
        commitTime: "2026-01-02T03:04:05.000Z",
      },
    }).nodes[0]?.labels;
    expect(labels).toMatchObject({
      "org.opencontainers.image.source": "https://github.com/acme/hilt",
      "org.opencontainers.image.revision": "f".repeat(40),
      "org.opencontainers.image.created": "2026-01-02T03:04:05.000Z",
      "org.opencontainers.image.version": "main",
      "org.opencontainers.image.title": "base",
    });
  });

  it("plans the repository's own catalog", async () => {
    const { readFileSync } = await import("node:fs");
    const own = catalogFrom(readFileSync(new URL("../../catalog.yaml", import.meta.url), "utf8"));
    expect(Object.keys(own.images)).toEqual(
      expect.arrayContaining([
        "core-base",
        "core-nodepy",
        "core-polyglot",
        "agent-claude-task",
        "agent-codex-task",
        "agent-opencode-task",
        "agent-cursor-task",
        "agent-session-full",
      ]),
    );
    expect(Object.keys(own.groups)).toEqual(expect.arrayContaining(["task", "session", "all"]));
  });
});
