import { describe, expect, it } from "vitest";
import type { Backend, BuildRequest } from "../../src/engine/backend.js";
import type { BuildEvent } from "../../src/engine/events.js";
import { runBuild } from "../../src/engine/run.js";
import { parsePushTarget } from "../../src/plan/targets.js";
import type { RegistryClient } from "../../src/registry/client.js";
import { planOf, RUN_ID } from "../helpers/catalog.js";

const OCI_INDEX = "application/vnd.oci.image.index.v1+json";

// A backend that "pushes" an index per image: the one for `short` lacks linux/arm64.
class IndexBackend implements Backend {
  readonly name = "docker" as const;
  readonly builder = "hilt-buildkit";
  readonly built: string[] = [];
  async preflight() {}
  async build(request: BuildRequest) {
    this.built.push(request.node.name);
    const digest = `sha256:${request.node.name}`;
    return { digest, ref: `${request.node.repository}@${digest}` };
  }
  async localImage() {
    return undefined;
  }
  async tagLocal() {}
  async close() {}
}

/** A registry holding what IndexBackend pushed, and the aliases runBuild moves. */
class IndexRegistry {
  readonly tags = new Map<string, string>();
  async headManifest(repository: string, tag: string) {
    return this.tags.get(`${repository}:${tag}`);
  }
  async tagManifest(repository: string, digest: string, tag: string) {
    this.tags.set(`${repository}:${tag}`, digest);
  }
  async getManifest(_repository: string, digest: string) {
    const arches = digest === "sha256:short" ? ["amd64"] : ["amd64", "arm64"];
    const manifests = [
      ...arches.map((architecture) => ({ platform: { os: "linux", architecture } })),
      // BuildKit's attestation entries are not platforms.
      { platform: { os: "unknown", architecture: "unknown" } },
    ];
    return {
      digest,
      mediaType: OCI_INDEX,
      body: Buffer.from(JSON.stringify({ mediaType: OCI_INDEX, manifests })),
    };
  }
}

const catalog = `schemaVersion: 1
images:
  base: { from: "debian:12" }
  short: { from: base }
  leaf: { from: short }
  other: { from: base }
`;

describe("runBuild reads each pushed image's platforms back from the registry", () => {
  it("reports the platforms pushed, fails an image lacking one, moves no alias to it", async () => {
    const target = parsePushTarget("registry.example.com/t", { runId: RUN_ID });
    const registry = new IndexRegistry();
    const backend = new IndexBackend();
    const events: BuildEvent[] = [];
    const result = await runBuild({
      graph: planOf(catalog, { push: target, platforms: ["linux/amd64", "linux/arm64"] }),
      root: "/repo",
      backend,
      target,
      registry: registry as unknown as RegistryClient,
      concurrency: 2,
      atomic: false,
      signal: new AbortController().signal,
      secrets: {},
      sourceDateEpoch: 0,
      onEvent: (e) => events.push(e),
    });
    const byName = Object.fromEntries(result.images.map((i) => [i.name, i]));
    expect(byName.base).toMatchObject({
      status: "built",
      platforms: ["linux/amd64", "linux/arm64"],
    });
    expect(byName.other?.status).toBe("built");
    expect(byName.short).toMatchObject({ status: "failed", digest: null, refs: [] });
    expect(byName.short?.error?.code).toBe("PLATFORM_MISSING");
    expect(byName.short?.error?.message).toContain("has no linux/arm64 (it has linux/amd64)");
    expect(byName.leaf?.status).toBe("skipped");
    expect(backend.built).not.toContain("leaf");
    expect(registry.tags.has("registry.example.com/t/short:latest")).toBe(false);
    expect(registry.tags.has("registry.example.com/t/base:latest")).toBe(true);
    expect(result.ok).toBe(false);
    // The builder is named in the result and in the first event.
    expect(result.builder).toBe("hilt-buildkit");
    expect(events[0]).toMatchObject({ event: "run-started", builder: "hilt-buildkit" });
  });
});
