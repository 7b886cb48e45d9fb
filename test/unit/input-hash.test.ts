import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { plan } from "../../src/app/plan.js";
import { dryRunCommands } from "../../src/cli/dry-run.js";
import { nodeBuildxArgv } from "../../src/engine/docker/argv.js";
import { DockerBackend } from "../../src/engine/docker/backend.js";
import type { BuildGraph } from "../../src/plan/plan-schema.js";
import { planOf } from "../helpers/catalog.js";
import { tempRepo } from "../helpers/cli.js";

const RUN = { runId: "00000000-0000-4000-8000-000000000000", offline: true, env: {} };
const hashOf = (graph: BuildGraph, name: string) =>
  graph.nodes.find((n) => n.name === name)?.inputHash;

const CATALOG = `schemaVersion: 1
images:
  app:
    from: debian:bookworm-slim
    dockerfile: docker/app.Dockerfile
    context: src
`;

describe("the input hash sees every input", () => {
  it("hashes a Dockerfile outside its context by its text", async () => {
    const root = tempRepo({
      "catalog.yaml": CATALOG,
      "docker/app.Dockerfile": "FROM debian:bookworm-slim\n",
      "src/a.txt": "a",
    });
    const before = hashOf((await plan({ root, ...RUN })).graph, "app");
    writeFileSync(path.join(root, "docker/app.Dockerfile"), "FROM debian:bookworm-slim\nRUN x\n");
    expect(hashOf((await plan({ root, ...RUN })).graph, "app")).not.toBe(before);
  });

  it("hashes a Dockerfile the context's .dockerignore lists", async () => {
    const root = tempRepo({
      "catalog.yaml": CATALOG.replace("docker/app.Dockerfile", "src/Dockerfile"),
      "src/Dockerfile": "FROM debian:bookworm-slim\n",
      "src/.dockerignore": "Dockerfile\n",
    });
    const before = hashOf((await plan({ root, ...RUN })).graph, "app");
    writeFileSync(path.join(root, "src/Dockerfile"), "FROM debian:bookworm-slim\nRUN y\n");
    expect(hashOf((await plan({ root, ...RUN })).graph, "app")).not.toBe(before);
  });

  it("hashes a base's digest: a moved digest is a new hash, and the build starts FROM it", () => {
    const text = "schemaVersion: 1\nimages:\n  a: {from: 'debian:bookworm-slim'}\n";
    const one = planOf(text, {
      baseDigests: { "debian:bookworm-slim": `sha256:${"1".repeat(64)}` },
    });
    const two = planOf(text, {
      baseDigests: { "debian:bookworm-slim": `sha256:${"2".repeat(64)}` },
    });
    expect(one.nodes[0]?.inputHash).not.toBe(two.nodes[0]?.inputHash);
    const argv = dryRunCommands(one)[0]?.join(" ");
    expect(argv).toContain(`PARENT_IMAGE=debian:bookworm-slim@sha256:${"1".repeat(64)}`);
  });

  it("says a base is unpinned when offline, and plans anyway", async () => {
    const root = tempRepo({
      "catalog.yaml": CATALOG,
      "docker/app.Dockerfile": "FROM x:1\n",
      "src/a.txt": "a",
    });
    const result = await plan({ root, ...RUN });
    expect(result.graph.nodes[0]?.bases).toEqual([
      { ref: "debian:bookworm-slim", digest: null },
      { ref: "x:1", digest: null },
    ]);
    expect(result.warnings.join("\n")).toMatch(/debian:bookworm-slim is not pinned.*--offline/);
  });

  it("degrades quickly to unpinned when Docker Hub cannot be reached", async () => {
    const root = tempRepo({
      "catalog.yaml": CATALOG,
      "docker/app.Dockerfile": "FROM x:1\n",
      "src/a.txt": "a",
    });
    const result = await plan({ root, runId: RUN.runId, env: {} });
    const base = result.graph.nodes[0]?.bases?.[0];
    // Here (no internet) the lookup fails; where it succeeds the digest is a real one.
    if (base?.digest === null) expect(result.warnings.join("\n")).toMatch(/did not answer/);
    else expect(base?.digest).toMatch(/^sha256:/);
  });
});

describe("service plans", () => {
  const service = {
    "package.json": '{"name":"app","scripts":{"start":"node index.js"}}',
    "index.js": "",
  };

  it("names two services with the same folder name apart", async () => {
    const root = tempRepo(
      Object.fromEntries(
        Object.entries(service).flatMap(([f, c]) => [
          [`a/app/${f}`, c],
          [`b/app/${f}`, c],
        ]),
      ),
    );
    const { graph } = await plan({ root, targets: ["./a/app", "./b/app"], ...RUN });
    expect(graph.nodes.map((n) => n.name).sort()).toEqual(["a-app", "b-app"]);
  });

  it("resolves folder targets against root and prints only paths that exist", async () => {
    const root = tempRepo(
      Object.fromEntries(Object.entries(service).map(([f, c]) => [`svc/${f}`, c])),
    );
    const { graph } = await plan({ root, targets: ["./svc"], ...RUN });
    const node = graph.nodes[0];
    expect(node?.build.type).toBe("dockerfile");
    if (node?.build.type !== "dockerfile") return;
    expect(node.build.generated?.dockerfile).toMatch(/^FROM|\nFROM/);
    expect(node.build.dockerfile).toBeUndefined();
    expect(existsSync(path.resolve(root, node.build.context))).toBe(true);
  });

  it("hashes a re-included file of a service context", async () => {
    const root = tempRepo({
      "svc/Dockerfile": "FROM debian:bookworm-slim\nCOPY . /app\n",
      "svc/.dockerignore": "dist\n!dist/keep.txt\n",
      "svc/dist/keep.txt": "1",
      "svc/package.json": service["package.json"],
    });
    const before = (await plan({ root, targets: ["./svc"], ...RUN })).graph.nodes[0]?.inputHash;
    writeFileSync(path.join(root, "svc/dist/keep.txt"), "2");
    const after = (await plan({ root, targets: ["./svc"], ...RUN })).graph.nodes[0]?.inputHash;
    expect(after).not.toBe(before);
  });
});

describe("one buildx argv", () => {
  it("dry run and real build give the same argv, placeholders aside", () => {
    const graph = planOf(
      "schemaVersion: 1\nimages:\n  a: {from: 'debian:bookworm-slim', steps: [{run: 'true'}]}\n",
    );
    const node = graph.nodes[0];
    if (!node) throw new Error("no node");
    const dry = dryRunCommands(graph, { noCache: true })[0]?.slice(1);
    const real = nodeBuildxArgv(node, {
      dockerfile: "<rendered Dockerfile of a>",
      context: "<empty context>",
      metadataFile: "<metadata.json>",
      baseRef: "debian:bookworm-slim",
      tags: node.refs.immutable,
      push: true,
      noCache: true,
      secrets: { npmrc: "<npmrc>", pipconf: "<pipconf>", goenv: "<goenv>", ca: "<ca>" },
      sourceDateEpoch: "<SOURCE_DATE_EPOCH>",
    });
    expect(dry).toEqual(real);
    const text = dry?.join(" ") ?? "";
    expect(text).toContain("SOURCE_DATE_EPOCH=");
    expect(text).toContain("--secret id=ca,src=<ca>");
    expect(text).toContain("--no-cache");
  });

  it("the docker backend runs exactly the dry run's argv, its temp paths aside", async () => {
    const graph = planOf(
      "schemaVersion: 1\nimages:\n  a: {from: 'debian:bookworm-slim', steps: [{run: 'true'}]}\n",
      { baseDigests: { "debian:bookworm-slim": `sha256:${"3".repeat(64)}` } },
    );
    const node = graph.nodes[0];
    if (!node) throw new Error("no node");
    let ran: string[] = [];
    const backend = new DockerBackend({
      run: async (request) => {
        ran = [...request.args];
        return { exitCode: 1, signal: null, stdout: "", stderr: "ERROR: stop here" };
      },
    });
    await expect(
      backend.build({
        node,
        root: tempRepo({}),
        baseRef: `debian:bookworm-slim@sha256:${"3".repeat(64)}`,
        tags: node.refs.immutable,
        push: true,
        noCache: true,
        secrets: { npmrc: "/s/npmrc", pipconf: "/s/pip.conf", goenv: "/s/goenv", ca: "/s/ca.pem" },
        sourceDateEpoch: 1767225600,
        signal: new AbortController().signal,
        log: () => {},
      }),
    ).rejects.toMatchObject({ code: "BUILD_FAILED" });
    await backend.close();
    const placeholders: Record<string, string> = {
      "/s/npmrc": "<npmrc>",
      "/s/pip.conf": "<pipconf>",
      "/s/goenv": "<goenv>",
      "/s/ca.pem": "<ca>",
    };
    const normalised = ran.map((arg) => {
      let out = arg;
      for (const [file, placeholder] of Object.entries(placeholders))
        out = out.replace(file, placeholder);
      if (out.endsWith("/a/Dockerfile")) return "<rendered Dockerfile of a>";
      if (out.endsWith("/a/metadata.json")) return "<metadata.json>";
      if (out.endsWith("/a/empty-context")) return "<empty context>";
      return out;
    });
    const dry = dryRunCommands(graph, { noCache: true, sourceDateEpoch: 1767225600 })[0];
    expect(normalised).toEqual(dry?.slice(1));
  });
});
