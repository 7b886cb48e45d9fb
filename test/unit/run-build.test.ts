import { describe, expect, it } from "vitest";
import type {
  Backend,
  BuildRequest,
  SessionBuildRequest,
  SessionOutput,
} from "../../src/engine/backend.js";
import type { BuildEvent } from "../../src/engine/events.js";
import { runBuild } from "../../src/engine/run.js";
import { HiltError } from "../../src/errors.js";
import { parsePushTarget } from "../../src/plan/targets.js";
import type { RegistryClient } from "../../src/registry/client.js";
import { planOf, RUN_ID } from "../helpers/catalog.js";

// A backend that records what it was asked and answers at once: the scheduler's logic is what
// is tested here; real builds are the end-to-end tier's job.
class RecordingBackend implements Backend {
  readonly name = "docker" as const;
  readonly built: BuildRequest[] = [];
  readonly tagged: [string, string][] = [];
  constructor(
    private readonly failing: string[] = [],
    private readonly local = new Map<string, string>(),
  ) {}
  async preflight() {}
  async build(request: BuildRequest) {
    this.built.push(request);
    await new Promise((r) => setTimeout(r, 5));
    if (this.failing.includes(request.node.name))
      throw new HiltError("BUILD_FAILED", `${request.node.name} broke`, {
        details: { log: "#7 RUN make\nmake: *** [all] Error 2" },
      });
    return {
      digest: `sha256:${request.node.name}`,
      ref: `${request.node.repository}@sha256:${request.node.name}`,
    };
  }
  async localImage(ref: string) {
    return this.local.get(ref);
  }
  async tagLocal(source: string, target: string) {
    this.tagged.push([source, target]);
  }
  async close() {}
}

/** A backend that can build many images in one session, which fails when one of them does. */
class SessionBackend extends RecordingBackend {
  readonly sessions: SessionBuildRequest[][] = [];
  constructor(private readonly sessionFailing: string[] = []) {
    super(sessionFailing);
  }
  async buildSession(
    requests: readonly SessionBuildRequest[],
    onExported?: (name: string, at: number) => void,
  ): Promise<Map<string, SessionOutput>> {
    this.sessions.push([...requests]);
    const outputs = new Map<string, SessionOutput>();
    let at = Date.now();
    for (const r of requests) {
      if (this.sessionFailing.includes(r.node.name))
        throw new HiltError("BUILD_FAILED", `docker buildx bake failed: ${r.node.name}`);
      at += 10;
      onExported?.(r.node.name, at);
      const digest = `sha256:s-${r.node.name}`;
      outputs.set(r.node.name, { digest, ref: `${r.node.repository}@${digest}`, finishedAt: at });
    }
    return outputs;
  }
}

class FakeRegistry {
  readonly tags = new Map<string, string>();
  async headManifest(repository: string, tag: string) {
    return this.tags.get(`${repository}:${tag}`);
  }
  async tagManifest(repository: string, digest: string, tag: string) {
    this.tags.set(`${repository}:${tag}`, digest);
  }
  /** What a push left: a single-platform manifest (these plans build one platform). */
  async getManifest(_repository: string, digest: string) {
    const mediaType = "application/vnd.oci.image.manifest.v1+json";
    return { digest, mediaType, body: Buffer.from(JSON.stringify({ mediaType })) };
  }
}

const catalog = `schemaVersion: 1
images:
  base: { from: "debian:12" }
  mid: { from: base }
  a: { from: mid }
  b: { from: mid }
  other: { from: "debian:12" }
`;

const run = async (options: {
  backend: Backend;
  registry?: FakeRegistry;
  atomic?: boolean;
  push?: string;
  signal?: AbortSignal;
}) => {
  const events: BuildEvent[] = [];
  const target = parsePushTarget(options.push ?? "registry.example.com/t", { runId: RUN_ID });
  const result = await runBuild({
    graph: planOf(catalog, { push: target }),
    root: "/repo",
    backend: options.backend,
    target,
    ...(options.registry ? { registry: options.registry as unknown as RegistryClient } : {}),
    concurrency: 2,
    atomic: options.atomic ?? true,
    signal: options.signal ?? new AbortController().signal,
    secrets: {},
    sourceDateEpoch: 0,
    onEvent: (e) => events.push(e),
  });
  return { result, events };
};

describe("runBuild", () => {
  it("builds each child from its parent's exact result", async () => {
    const backend = new RecordingBackend();
    await run({ backend, registry: new FakeRegistry() });
    const mid = backend.built.find((r) => r.node.name === "mid");
    expect(mid?.baseRef).toBe("registry.example.com/t/base@sha256:base");
    expect(backend.built.find((r) => r.node.name === "base")?.baseRef).toBe("debian:12");
  });

  it("skips only the descendants of a failure", async () => {
    const { result } = await run({
      backend: new RecordingBackend(["mid"]),
      registry: new FakeRegistry(),
    });
    const status = Object.fromEntries(result.images.map((i) => [i.name, i.status]));
    expect(status).toEqual({
      base: "built",
      other: "built",
      mid: "failed",
      a: "skipped",
      b: "skipped",
    });
    expect(result.images.find((i) => i.name === "a")?.error).toEqual({
      code: "PARENT_FAILED",
      message: "parent mid did not build",
    });
    expect(result.ok).toBe(false);
    // A failed image reports how long it ran, and the end of its build log.
    const mid = result.images.find((i) => i.name === "mid");
    expect(mid?.durationMs).toBeGreaterThan(0);
    expect(mid?.error?.log).toContain("Error 2");
  });

  it("moves aliases only after the whole run succeeded", async () => {
    const registry = new FakeRegistry();
    await run({ backend: new RecordingBackend(["b"]), registry });
    expect([...registry.tags.keys()].filter((k) => k.endsWith(":latest"))).toEqual([]);
    const ok = new FakeRegistry();
    const { events } = await run({ backend: new RecordingBackend(), registry: ok });
    expect([...ok.tags.keys()].filter((k) => k.endsWith(":latest")).length).toBe(5);
    const lastFinished = Math.max(...events.map((e, i) => (e.event === "finished" ? i : -1)));
    const firstAlias = events.findIndex((e) => e.event === "aliases-moved");
    expect(firstAlias).toBeGreaterThan(lastFinished);
  });

  it("--no-atomic moves each image's aliases as it completes", async () => {
    const registry = new FakeRegistry();
    await run({ backend: new RecordingBackend(["b"]), registry, atomic: false });
    expect(registry.tags.has("registry.example.com/t/a:latest")).toBe(true);
    expect(registry.tags.has("registry.example.com/t/b:latest")).toBe(false);
  });

  it("reports an image cached when its content tag exists, and tags it for this commit", async () => {
    const plan = planOf(catalog, {
      push: parsePushTarget("registry.example.com/t", { runId: RUN_ID }),
    });
    const base = plan.nodes.find((n) => n.name === "base");
    const registry = new FakeRegistry();
    registry.tags.set(`${base?.repository}:${base?.contentTag}`, "sha256:old");
    const backend = new RecordingBackend();
    const { result } = await run({ backend, registry });
    expect(result.images.find((i) => i.name === "base")).toMatchObject({
      status: "cached",
      digest: "sha256:old",
    });
    expect(registry.tags.get("registry.example.com/t/base:sha-0123456")).toBe("sha256:old");
    expect(backend.built.find((r) => r.node.name === "mid")?.baseRef).toBe(
      "registry.example.com/t/base@sha256:old",
    );
  });

  it("uses the local image store without a push target", async () => {
    // The exact content-tag ref the run looks up: a wrong key here would let the lookup go.
    const graph = planOf(catalog, { push: parsePushTarget("none", { runId: RUN_ID }) });
    const other = graph.nodes.find((n) => n.name === "other");
    const local = new Map([[`${other?.repository}:${other?.contentTag}`, "sha256:local-other"]]);
    const backend = new RecordingBackend([], local);
    const { result } = await run({ backend, push: "none" });
    const status = Object.fromEntries(result.images.map((i) => [i.name, i.status]));
    expect(status).toEqual({
      base: "built",
      mid: "built",
      a: "built",
      b: "built",
      other: "cached",
    });
    expect(result.images.find((i) => i.name === "other")?.digest).toBe("sha256:local-other");
    expect(backend.built.map((r) => r.node.name)).not.toContain("other");
    expect(backend.tagged.some(([, target]) => target === "hilt.local/base:latest")).toBe(true);
  });

  it("stops scheduling when aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    const { result } = await run({
      backend: new RecordingBackend(),
      registry: new FakeRegistry(),
      signal: controller.signal,
    });
    expect(result.images.every((i) => i.status === "skipped")).toBe(true);
    expect(result.error?.code).toBe("INTERRUPTED");
  });

  it("builds what is left in one session: children from the parent in it, a cached parent by digest", async () => {
    const plan = planOf(catalog, {
      push: parsePushTarget("registry.example.com/t", { runId: RUN_ID }),
    });
    const base = plan.nodes.find((n) => n.name === "base");
    const registry = new FakeRegistry();
    registry.tags.set(`${base?.repository}:${base?.contentTag}`, "sha256:old");
    const backend = new SessionBackend();
    const { result, events } = await run({ backend, registry });
    expect(backend.sessions.length).toBe(1);
    const session = backend.sessions[0] ?? [];
    expect(session.map((r) => r.node.name).sort()).toEqual(["a", "b", "mid", "other"]);
    const mid = session.find((r) => r.node.name === "mid");
    expect(mid?.baseRef).toBe("registry.example.com/t/base@sha256:old");
    expect(mid?.parentInSession).toBeUndefined();
    expect(session.find((r) => r.node.name === "a")?.parentInSession).toBe("mid");
    expect(backend.built).toEqual([]);
    const status = Object.fromEntries(result.images.map((i) => [i.name, [i.status, i.digest]]));
    expect(status).toEqual({
      base: ["cached", "sha256:old"],
      mid: ["built", "sha256:s-mid"],
      a: ["built", "sha256:s-a"],
      b: ["built", "sha256:s-b"],
      other: ["built", "sha256:s-other"],
    });
    // Each image starts when its parent's result exists in the session, not before.
    const at = (kind: string, image: string) =>
      Date.parse(
        events.find((e) => e.event === kind && "image" in e && e.image === image)?.time ?? "",
      );
    expect(at("started", "a")).toBeGreaterThanOrEqual(at("finished", "mid"));
    expect(events.filter((e) => e.event === "started").length).toBe(5);
    expect(result.ok).toBe(true);
  });

  it("falls back to one build per image when the session fails: siblings built, descendants skipped", async () => {
    const backend = new SessionBackend(["a"]);
    const { result, events } = await run({ backend, registry: new FakeRegistry() });
    expect(backend.sessions.length).toBe(1);
    const status = Object.fromEntries(result.images.map((i) => [i.name, i.status]));
    expect(status).toEqual({
      base: "built",
      other: "built",
      mid: "built",
      a: "failed",
      b: "built",
    });
    // The per-image builds chain from the parents' own results.
    expect(backend.built.find((r) => r.node.name === "mid")?.baseRef).toBe(
      "registry.example.com/t/base@sha256:base",
    );
    expect(result.images.find((i) => i.name === "a")?.error?.message).toContain("a broke");
    expect(result.ok).toBe(false);
    expect(events.filter((e) => e.event === "started").length).toBe(5);
  });

  it("does not open a session with concurrency 1, nor for a single image to build", async () => {
    const backend = new SessionBackend();
    const events: BuildEvent[] = [];
    const target = parsePushTarget("registry.example.com/t", { runId: RUN_ID });
    await runBuild({
      graph: planOf(catalog, { push: target }),
      root: "/repo",
      backend,
      target,
      registry: new FakeRegistry() as unknown as RegistryClient,
      concurrency: 1,
      atomic: true,
      signal: new AbortController().signal,
      secrets: {},
      sourceDateEpoch: 0,
      onEvent: (e) => events.push(e),
    });
    expect(backend.sessions).toEqual([]);
    expect(backend.built.length).toBe(5);
  });
});
