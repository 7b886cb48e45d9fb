import { describe, expect, it } from "vitest";
import type { Backend, BuildRequest } from "../../src/engine/backend.js";
import type { BuildEvent } from "../../src/engine/events.js";
import { runBuild } from "../../src/engine/run.js";
import { sizeBudgets } from "../../src/model/catalog-rules.js";
import { parsePushTarget } from "../../src/plan/targets.js";
import type { RegistryClient } from "../../src/registry/client.js";
import {
  indexEntries,
  manifestLayers,
  measureImage,
  platformSize,
  registrySizes,
} from "../../src/registry/sizes.js";
import { checkBudget } from "../../src/report/budget.js";
import { formatBytes } from "../../src/report/bytes.js";
import { markdownSummary } from "../../src/report/github.js";
import { resultSchema } from "../../src/report/result-schema.js";
import { formatSummary, sizeText } from "../../src/report/summary.js";
import { catalogFrom, planOf, RUN_ID } from "../helpers/catalog.js";

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";

const manifest = (config: number, layers: [string, number][]) =>
  JSON.stringify({
    mediaType: OCI_MANIFEST,
    config: { digest: "sha256:cfg", size: config },
    layers: layers.map(([digest, size]) => ({ digest, size, mediaType: "x" })),
  });

/** A registry holding manifests by `repository@digest`, as getManifest answers them. */
class ManifestStore {
  readonly manifests = new Map<string, string>();
  readonly tags = new Map<string, string>();
  put(repository: string, digest: string, body: string) {
    this.manifests.set(`${repository}@${digest}`, body);
  }
  async getManifest(repository: string, reference: string) {
    const body = this.manifests.get(`${repository}@${reference}`);
    if (body === undefined) return undefined;
    const mediaType = JSON.parse(body).mediaType as string;
    return { digest: reference, mediaType, body: Buffer.from(body) };
  }
  async headManifest(repository: string, tag: string) {
    return this.tags.get(`${repository}:${tag}`);
  }
  async tagManifest(repository: string, digest: string, tag: string) {
    this.tags.set(`${repository}:${tag}`, digest);
  }
}

describe("image sizes from manifests", () => {
  it("sums a manifest's layers and config, and counts only layers the parent lacks", () => {
    const parent = manifestLayers({ mediaType: OCI_MANIFEST, body: manifest(500, [["a", 1000]]) });
    const child = manifestLayers({
      mediaType: OCI_MANIFEST,
      body: manifest(700, [
        ["a", 1000],
        ["b", 250],
        ["c", 50],
      ]),
    });
    if (!parent || !child) throw new Error("manifests did not parse");
    expect(platformSize(child)).toEqual({ compressed: 2000 });
    expect(platformSize(child, parent)).toEqual({ compressed: 2000, added: 300 });
  });

  it("reads an index's platforms, leaving attestations out, and nothing from junk", () => {
    const index = {
      mediaType: OCI_INDEX,
      body: JSON.stringify({
        mediaType: OCI_INDEX,
        manifests: [
          { digest: "sha256:amd", platform: { os: "linux", architecture: "amd64" } },
          { digest: "sha256:arm", platform: { os: "linux", architecture: "arm64", variant: "v8" } },
          { digest: "sha256:att", platform: { os: "unknown", architecture: "unknown" } },
        ],
      }),
    };
    expect([...(indexEntries(index) ?? [])]).toEqual([
      ["linux/amd64", "sha256:amd"],
      ["linux/arm64", "sha256:arm"],
    ]);
    expect(manifestLayers(index)).toBeUndefined();
    expect(manifestLayers({ mediaType: OCI_MANIFEST, body: "not json" })).toBeUndefined();
  });

  it("measures each platform of a pushed index against the same platform of its parent", async () => {
    const store = new ManifestStore();
    const index = (entries: [string, string][]) =>
      JSON.stringify({
        mediaType: OCI_INDEX,
        manifests: entries.map(([arch, digest]) => ({
          digest,
          platform: { os: "linux", architecture: arch },
        })),
      });
    store.put(
      "r/base",
      "sha256:bi",
      index([
        ["amd64", "sha256:ba"],
        ["arm64", "sha256:bb"],
      ]),
    );
    store.put("r/base", "sha256:ba", manifest(10, [["l1", 100]]));
    store.put("r/base", "sha256:bb", manifest(10, [["m1", 90]]));
    store.put(
      "r/app",
      "sha256:ai",
      index([
        ["amd64", "sha256:aa"],
        ["arm64", "sha256:ab"],
      ]),
    );
    store.put(
      "r/app",
      "sha256:aa",
      manifest(20, [
        ["l1", 100],
        ["l2", 400],
      ]),
    );
    store.put(
      "r/app",
      "sha256:ab",
      manifest(20, [
        ["m1", 90],
        ["m2", 300],
      ]),
    );
    const sizes = await registrySizes(
      store,
      { repository: "r/app", digest: "sha256:ai", platforms: ["linux/amd64", "linux/arm64"] },
      { repository: "r/base", digest: "sha256:bi" },
    );
    expect(sizes).toEqual({
      "linux/amd64": { compressed: 520, added: 400 },
      "linux/arm64": { compressed: 410, added: 300 },
    });
    const measured = await measureImage({
      registry: store,
      image: { repository: "r/app", digest: "sha256:ai", platforms: [] },
      parent: { repository: "r/base", digest: "sha256:bi" },
      localSize: async (ref) => ({ "app:1": 2000, "base:1": 1500 })[ref],
      localRef: "app:1",
      parentLocalRef: "base:1",
    });
    expect(measured).toMatchObject({
      compressed: 520,
      added: 400,
      uncompressed: 2000,
      addedUncompressed: 500,
    });
  });

  it("leaves out what a registry or store cannot say, without failing", async () => {
    const broken = {
      getManifest: async () => {
        throw new Error("registry down");
      },
    };
    const measured = await measureImage({
      registry: broken,
      image: { repository: "r/app", digest: "sha256:x", platforms: ["linux/amd64"] },
      localSize: async () => undefined,
      localRef: "app:1",
    });
    expect(measured).toEqual({});
  });
});

describe("size budgets", () => {
  const size = { compressed: 350e6, platforms: { "linux/amd64": { compressed: 350e6 } } };

  it("fails an image over its budget, naming the file, the field, the size and the fix", () => {
    const verdict = checkBudget({
      name: "core-base",
      catalogFile: "catalog.yaml",
      size,
      budget: { maxSize: 300e6, onExceed: "fail" },
    });
    expect(verdict.error?.code).toBe("SIZE_BUDGET_EXCEEDED");
    expect(verdict.error?.message).toBe(
      "catalog.yaml: images.core-base.maxSize: core-base weighs 350 MB compressed (linux/amd64), over its budget of 300 MB",
    );
    expect(verdict.error?.hint).toContain("raise maxSize");
    expect(verdict.size.budget).toEqual({ maxSize: 300e6, exceeded: true, onExceed: "fail" });
  });

  it("only warns with overBudget: warn, and passes an image within its budget", () => {
    const warn = checkBudget({
      name: "x",
      catalogFile: "c.yaml",
      size,
      budget: { maxSize: 300e6, onExceed: "warn" },
    });
    expect(warn.error).toBeUndefined();
    expect(warn.warning).toContain("over its budget");
    const fits = checkBudget({
      name: "x",
      catalogFile: "c.yaml",
      size,
      budget: { maxSize: 400e6, onExceed: "fail" },
    });
    expect(fits).toEqual({
      size: { ...size, budget: { maxSize: 400e6, exceeded: false, onExceed: "fail" } },
    });
  });

  it("says a budget was not checked when no compressed size is known", () => {
    const verdict = checkBudget({
      name: "x",
      catalogFile: "c.yaml",
      size: { uncompressed: 9e9 },
      budget: { maxSize: 1, onExceed: "fail" },
    });
    expect(verdict.error).toBeUndefined();
    expect(verdict.warning).toContain("not checked");
    expect(verdict.size.budget?.exceeded).toBeNull();
  });

  it("reads budgets from the catalog, in bytes", () => {
    const catalog = catalogFrom(`schemaVersion: 1
images:
  a: { from: "debian:12", maxSize: 300MB }
  b: { from: a, maxSize: 1048576, overBudget: warn }
  c: { from: a }
`);
    expect([...sizeBudgets(catalog)]).toEqual([
      ["a", { maxSize: 300e6, onExceed: "fail" }],
      ["b", { maxSize: 1048576, onExceed: "warn" }],
    ]);
  });
});

describe("sizes in the result and the summaries", () => {
  class SizedBackend implements Backend {
    readonly name = "docker" as const;
    constructor(private readonly store: ManifestStore) {}
    async preflight() {}
    async build(request: BuildRequest) {
      const name = request.node.name;
      const layers: [string, number][] =
        name === "base"
          ? [["l1", 100e6]]
          : [
              ["l1", 100e6],
              [`l-${name}`, 250e6],
            ];
      this.store.put(request.node.repository, `sha256:${name}`, manifest(1000, layers));
      return {
        digest: `sha256:${name}`,
        ref: `${request.node.repository}@sha256:${name}`,
      };
    }
    async localImage() {
      return undefined;
    }
    async imageSize(ref: string) {
      return ref.includes("/base:") ? 300e6 : 900e6;
    }
    async tagLocal() {}
    async close() {}
  }

  const run = async (catalogText: string) => {
    const store = new ManifestStore();
    const events: BuildEvent[] = [];
    const warnings: string[] = [];
    const target = parsePushTarget("registry.example.com/t", { runId: RUN_ID });
    const result = await runBuild({
      graph: planOf(catalogText, { push: target }),
      root: "/repo",
      backend: new SizedBackend(store),
      target,
      registry: store as unknown as RegistryClient,
      concurrency: 1,
      atomic: true,
      signal: new AbortController().signal,
      secrets: {},
      sourceDateEpoch: 0,
      onEvent: (e) => events.push(e),
      log: (line) => warnings.push(line),
      budgets: sizeBudgets(catalogFrom(catalogText)),
    });
    return { result, store, events, warnings };
  };

  it("reports compressed, uncompressed and added sizes per image, in the JSON and summaries", async () => {
    const { result } = await run(`schemaVersion: 1
images:
  base: { from: "debian:12" }
  app: { from: base, maxSize: 400MB }
`);
    expect(resultSchema.parse(result)).toEqual(result);
    const app = result.images.find((i) => i.name === "app");
    expect(app?.size).toMatchObject({
      compressed: 350e6 + 1000,
      added: 250e6,
      uncompressed: 900e6,
      addedUncompressed: 600e6,
      budget: { maxSize: 400e6, exceeded: false, onExceed: "fail" },
    });
    expect(sizeText(app?.size)).toBe("350 MB (+250 MB)");
    expect(formatSummary(result)).toMatch(/app\s+built\s+\S+\s+350 MB \(\+250 MB\)/);
    expect(markdownSummary(result)).toContain("| 350 MB (+250 MB) |");
  });

  it("fails an image over budget, keeps its size, skips its children and moves no alias", async () => {
    const { result, store } = await run(`schemaVersion: 1
images:
  base: { from: "debian:12" }
  app: { from: base, maxSize: 300MB }
  leaf: { from: app }
`);
    const app = result.images.find((i) => i.name === "app");
    expect(app?.status).toBe("failed");
    expect(app?.error?.code).toBe("SIZE_BUDGET_EXCEEDED");
    expect(app?.error?.message).toContain("catalog.yaml: images.app.maxSize");
    expect(app?.size?.budget?.exceeded).toBe(true);
    expect(result.images.find((i) => i.name === "leaf")?.status).toBe("skipped");
    expect(result.ok).toBe(false);
    expect([...store.tags.keys()].filter((k) => k.endsWith(":latest"))).toEqual([]);
  });

  it("warns instead with overBudget: warn", async () => {
    const { result, warnings, events } = await run(`schemaVersion: 1
images:
  base: { from: "debian:12" }
  app: { from: base, maxSize: 300MB, overBudget: warn }
`);
    expect(result.ok).toBe(true);
    expect(result.images.find((i) => i.name === "app")?.size?.budget?.exceeded).toBe(true);
    expect(warnings.some((w) => w.includes("over its budget of 300 MB"))).toBe(true);
    expect(events.some((e) => e.event === "warning" && e.message.includes("app"))).toBe(true);
  });
});

describe("formatBytes", () => {
  it("writes decimal units as registries show them", () => {
    expect(formatBytes(999)).toBe("999 B");
    expect(formatBytes(1500)).toBe("1.5 kB");
    expect(formatBytes(712e6)).toBe("712 MB");
    expect(formatBytes(4.34e9)).toBe("4.3 GB");
  });
});

describe("a failed docker build's log in the result", () => {
  it("keeps the failing step's own output and the error, not BuildKit's Dockerfile excerpt", async () => {
    const { failingStepLog } = await import("../../src/engine/docker/backend.js");
    const stderr = [
      "#5 [1/3] FROM base",
      "#5 DONE 0.1s",
      "#6 [2/3] RUN make",
      "#6 0.120 compiling",
      "#6 0.450 make: *** [all] Error 2",
      '#6 ERROR: process "/bin/sh -c make" did not complete successfully: exit code: 2',
      "------",
      " > [2/3] RUN make:",
      "Dockerfile:3",
      "--------------------",
      "   3 | >>> RUN make",
      'ERROR: failed to solve: process "/bin/sh -c make" did not complete successfully: exit code: 2',
    ].join("\n");
    const log = failingStepLog(stderr);
    expect(log.split("\n")).toEqual([
      "#6 [2/3] RUN make",
      "#6 0.120 compiling",
      "#6 0.450 make: *** [all] Error 2",
      '#6 ERROR: process "/bin/sh -c make" did not complete successfully: exit code: 2',
      'ERROR: failed to solve: process "/bin/sh -c make" did not complete successfully: exit code: 2',
    ]);
    expect(failingStepLog("no steps here\nERROR: boom")).toBe("no steps here\nERROR: boom");
  });
});

describe("last known sizes for the plan", () => {
  it("reads the content tag first, else the first moving tag, and leaves out the unknown", async () => {
    const { lastKnownSizes } = await import("../../src/registry/sizes.js");
    const store = new ManifestStore();
    store.put("r/a", "sha256:a1", manifest(10, [["x", 1000]]));
    store.tags.set("r/a:input-1", "sha256:a1");
    store.put("r/b", "sha256:b0", manifest(10, [["y", 500]]));
    store.tags.set("r/b:latest", "sha256:b0");
    const node = (name: string) => ({
      name,
      repository: `r/${name}`,
      contentTag: "input-1",
      platforms: ["linux/amd64"],
      aliasTags: ["latest"],
    });
    const sizes = await lastKnownSizes(store, [node("a"), node("b"), node("c")]);
    expect([...sizes]).toEqual([
      ["a", { compressed: 1010, ref: "r/a:input-1" }],
      ["b", { compressed: 510, ref: "r/b:latest" }],
    ]);
    const { describePlan } = await import("../../src/report/plan-text.js");
    const graph = planOf("schemaVersion: 1\nimages:\n  a: { from: debian:12 }\n");
    const [first] = graph.nodes;
    if (first) first.lastKnownSize = { compressed: 1010e3, ref: "r/a:input-1" };
    expect(describePlan(graph)).toContain("last 1.0 MB");
  });
});
