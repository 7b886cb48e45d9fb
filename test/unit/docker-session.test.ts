import { describe, expect, it } from "vitest";
import { cacheUse } from "../../src/engine/docker/progress.js";
import {
  parentContextName,
  parseSessionMetadata,
  pushedManifests,
  type SessionImage,
  SessionProgress,
  sessionBakeFile,
  sessionTargetNames,
  targetLog,
} from "../../src/engine/docker/session.js";
import { sessionMembers } from "../../src/engine/scheduler.js";
import { planOf } from "../helpers/catalog.js";

const catalog = `schemaVersion: 1
images:
  base:
    from: debian:12
    steps:
      - run: echo "\${HOME}" > /home-was
  mid: { from: base }
  a.b: { from: mid }
  other: { from: "debian:12" }
`;

function images(): SessionImage[] {
  const graph = planOf(catalog);
  const node = (name: string) => {
    const found = graph.nodes.find((n) => n.name === name);
    if (!found) throw new Error(name);
    return found;
  };
  return [
    {
      node: node("base"),
      dockerfile: "/w/base/Dockerfile",
      context: "/w/base/empty-context",
      baseRef: "debian:12",
      tags: node("base").refs.immutable,
      secrets: { npmrc: "/s/npmrc", ca: undefined },
      cache: ["--cache-from", "type=registry,ref=r/base:latest", "--cache-to", "type=inline"],
    },
    {
      node: node("mid"),
      dockerfile: "/w/mid/Dockerfile",
      context: "/w/mid/empty-context",
      baseRef: "unused",
      parentInSession: "base",
      tags: node("mid").refs.immutable,
      secrets: {},
      cache: [],
    },
    {
      node: node("a.b"),
      dockerfile: "/w/a.b/Dockerfile",
      context: "/w/a.b/empty-context",
      baseRef: "127.0.0.1:5000/hilt/mid@sha256:cached",
      tags: node("a.b").refs.immutable,
      secrets: {},
      cache: [],
    },
  ];
}

const options = { push: true, noCache: false, sourceDateEpoch: "1700000000", ociMediaTypes: false };

describe("the session's bake file", () => {
  it("links a child to its parent in the session through a target: named context", () => {
    const file = sessionBakeFile(images(), options);
    expect(file.group.default.targets).toEqual(["base", "mid", "a_b"]);
    const mid = file.target.mid;
    expect(mid?.contexts).toEqual({ [parentContextName("base")]: "target:base" });
    expect(mid?.args.PARENT_IMAGE).toBe("hilt-parent-base");
    // A parent outside the session (cached) is its exact digest, with no named context.
    expect(file.target.a_b?.args.PARENT_IMAGE).toBe("127.0.0.1:5000/hilt/mid@sha256:cached");
    expect(file.target.a_b?.contexts).toBeUndefined();
    expect(file.target.base?.args.PARENT_IMAGE).toBe("debian:12");
  });

  it("pushes only the immutable tags, with secrets as files, caches, no provenance", () => {
    const [base] = images();
    const target = sessionBakeFile(images(), options).target.base;
    expect(target?.tags).toEqual(base?.node.refs.immutable);
    expect(target?.tags.some((t) => t.endsWith(":latest"))).toBe(false);
    expect(target?.secret).toEqual(["id=npmrc,src=/s/npmrc"]);
    expect(target?.["cache-from"]).toEqual(["type=registry,ref=r/base:latest"]);
    expect(target?.["cache-to"]).toEqual(["type=inline"]);
    expect(target?.output).toEqual(["type=image,push=true,rewrite-timestamp=true"]);
    expect(target?.attest).toEqual(["type=provenance,disabled=true"]);
    expect(target?.args.SOURCE_DATE_EPOCH).toBe("1700000000");
    expect(target?.["no-cache"]).toBeUndefined();
    const local = sessionBakeFile(images(), {
      ...options,
      push: false,
      noCache: true,
      ociMediaTypes: true,
    }).target.base;
    expect(local?.output).toEqual([
      "type=image,push=false,rewrite-timestamp=true,oci-mediatypes=true",
    ]);
    expect(local?.["no-cache"]).toBe(true);
  });

  it("keeps ${ and %{ literal: bake reads its file as templates", () => {
    const [base, ...rest] = images();
    if (!base) throw new Error("no base");
    const odd = {
      ...base,
      node: { ...base.node, labels: { note: "cost ${PRICE} %{if}" } },
    };
    const target = sessionBakeFile([odd, ...rest], options).target.base;
    expect(target?.labels.note).toBe("cost $${PRICE} %%{if}");
  });

  it("gives each image a target name bake accepts, distinct even when names clash", () => {
    const names = sessionTargetNames(["a.b", "a_b", "c"]);
    expect(names.get("a.b")).toBe("a_b");
    expect(names.get("a_b")).toBe("a_b-1");
    expect(names.get("c")).toBe("c");
  });
});

describe("bake's results", () => {
  it("maps --metadata-file entries back to images; a target bake did not report is absent", () => {
    const targets = sessionTargetNames(["base", "a.b", "gone"]);
    const text = JSON.stringify({
      base: { "containerimage.digest": "sha256:m1", "containerimage.config.digest": "sha256:c1" },
      a_b: { "containerimage.digest": "sha256:m2" },
      "buildx.build.warnings": [],
    });
    const digests = parseSessionMetadata(text, targets);
    expect(digests.get("base")).toEqual({ manifestDigest: "sha256:m1", configDigest: "sha256:c1" });
    expect(digests.get("a.b")).toEqual({ manifestDigest: "sha256:m2" });
    expect(digests.has("gone")).toBe(false);
  });

  it("times each target from the progress: finished when its push (docker driver) is done", () => {
    const exported: [string, number][] = [];
    const progress = new SessionProgress({
      pushStep: true,
      onExported: (t, at) => exported.push([t, at]),
    });
    // Chunks split mid-line, as a pipe delivers them.
    progress.feed("#8 [base stage-0 2/2] RUN sleep 1\n#8 DO", 100);
    progress.feed("NE 1.5s\n\n#9 [base] exporting to image\n#9 DONE 0.1s\n", 200);
    expect(exported).toEqual([]);
    progress.feed("#10 [base] pushing 127.0.0.1:5000/t/base:x with docker\n", 250);
    progress.feed("#11 [mid 1/2] RUN true\n#10 DONE 0.2s\n#11 CACHED\n", 300);
    expect(exported).toEqual([["base", 300]]);
    expect(progress.finishedAt("base")).toBe(300);
    // Not exported yet: the last step seen done.
    expect(progress.finishedAt("mid")).toBe(300);
    expect(progress.finishedAt("other")).toBeUndefined();
  });

  it("on BuildKit's own builders the export step is the last (it pushes)", () => {
    const exported: string[] = [];
    const progress = new SessionProgress({ pushStep: false, onExported: (t) => exported.push(t) });
    progress.feed("#4 [leaf-1] exporting to image\n#4 pushing layers 0.1s done\n#4 DONE 0.4s\n", 1);
    expect(exported).toEqual(["leaf-1"]);
  });
});

describe("one target's part of the session log", () => {
  const layer = `sha256:${"a".repeat(64)}`;
  const manifest = `sha256:${"b".repeat(64)}`;
  const log = [
    "#5 [mid internal] load build definition from Dockerfile",
    "#5 DONE 0.1s",
    "#7 [mid] importing cache manifest from r/mid:buildcache",
    "#7 DONE 0.1s",
    "#8 [mid stage-0 2/2] RUN make",
    `#8 ${layer} 1.2MB / 1.2MB 0.1s done`,
    "#8 DONE 1.0s",
    "#9 [base stage-0 2/2] RUN make",
    "#9 CACHED",
    "#10 [mid] exporting to image",
    `#10 pushing manifest for r/mid:input-1@${manifest} 0.0s done`,
    "#10 DONE 0.3s",
  ].join("\n");

  it("reads as a per-image build log: cache use per image, imports included", () => {
    const mid = targetLog(log, "mid");
    expect(mid).toContain("#8 [stage-0 2/2] RUN make");
    expect(mid).toContain("#7 importing cache manifest from r/mid:buildcache");
    expect(mid).not.toContain("#9");
    expect(cacheUse(mid)).toEqual({ steps: 1, cached: 1, importedFrom: ["r/mid:buildcache"] });
    expect(cacheUse(targetLog(log, "base"))).toEqual({ steps: 1, cached: 1, importedFrom: [] });
  });

  it("gives a parent's step, printed under its child and under itself, to the parent", () => {
    const shared = [
      "#12 [leaf linux/amd64 2/2] RUN echo base > /b",
      `#12 ${layer} 1.2MB / 1.2MB 0.1s done`,
      "#14 [leaf linux/amd64 1/2] RUN echo leaf",
      "#14 CACHED",
      "#12 [base linux/amd64 2/2] RUN echo base > /b",
      "#12 DONE 0.1s",
    ].join("\n");
    const parent = (t: string) => (t === "leaf" ? "base" : undefined);
    expect(cacheUse(targetLog(shared, "base", parent))).toMatchObject({ steps: 1, cached: 1 });
    expect(cacheUse(targetLog(shared, "leaf", parent))).toMatchObject({ steps: 1, cached: 1 });
    // Without the graph: where bake printed it first.
    expect(cacheUse(targetLog(shared, "leaf")).steps).toBe(2);
  });

  it("gives a parent's step printed only under its child to the parent whose Dockerfile holds it", () => {
    const once = [
      '#12 [leaf linux/arm64 2/2] RUN uname -m > /arch && echo "n-1" > /nonce',
      `#12 ${layer} 1.2MB / 1.2MB 0.1s done`,
      "#14 [leaf linux/arm64 2/2] RUN echo leaf",
      "#14 CACHED",
    ].join("\n");
    const parent = (t: string) => (t === "leaf" ? "base" : undefined);
    const dockerfile = (t: string) =>
      t === "base"
        ? 'FROM x\nENV NONCE="n-1"\nRUN uname -m > /arch \\\n  && echo "$NONCE" > /nonce\n'
        : "ARG PARENT_IMAGE\nFROM ${PARENT_IMAGE}\nRUN echo leaf\n";
    expect(cacheUse(targetLog(once, "base", parent, dockerfile))).toMatchObject({
      steps: 1,
      cached: 1,
    });
    expect(cacheUse(targetLog(once, "leaf", parent, dockerfile))).toMatchObject({
      steps: 1,
      cached: 1,
    });
  });

  it("finds the manifests BuildKit pushed, for the images an interrupted session finished", () => {
    expect(pushedManifests(log)).toEqual(new Map([["r/mid:input-1", manifest]]));
  });
});

describe("which images a session builds", () => {
  const parents: Record<string, string[]> = {
    base: [],
    mid: ["base"],
    leaf: ["mid"],
    child: ["leaf"],
    side: [],
  };
  const members = (cached: Map<string, string | undefined>) =>
    sessionMembers({
      nodes: Object.keys(parents),
      parentsOf: (n) => parents[n] ?? [],
      fromParent: (n) => parents[n]?.[0],
      cached,
    });

  it("leaves out cached images; a child of a cached parent starts from the parent's digest", () => {
    const result = members(
      new Map([
        ["base", "sha256:b"],
        ["mid", undefined],
        ["leaf", undefined],
        ["child", undefined],
        ["side", "sha256:s"],
      ]),
    );
    expect([...result.keys()]).toEqual(["mid", "leaf", "child"]);
    expect(result.get("mid")).toEqual({});
    expect(result.get("leaf")).toEqual({ parentInSession: "mid" });
    expect(result.get("child")).toEqual({ parentInSession: "leaf" });
  });

  it("leaves out an image whose lookup failed, and its descendants (they fail on their own)", () => {
    const result = members(
      new Map([
        ["base", undefined],
        ["leaf", undefined],
        ["child", undefined],
        ["side", undefined],
      ]),
    );
    expect([...result.keys()].sort()).toEqual(["base", "side"]);
  });
});
