import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DockerBackend } from "../../src/engine/docker/backend.js";
import type { ExecRequest } from "../../src/host/exec.js";
import { planOf } from "../helpers/catalog.js";
import { tempRepo } from "../helpers/cli.js";

// Real buildx stderr of a push the registry failed (test/fixtures/buildx).
const failedPush = readFileSync(
  path.join(import.meta.dirname, "../fixtures/buildx/push-status-500.stderr.txt"),
  "utf8",
);
const failedBuild = readFileSync(
  path.join(import.meta.dirname, "../fixtures/buildx/push-build-failed.stderr.txt"),
  "utf8",
);
const DIGEST = `sha256:${"d".repeat(64)}`;

/** A docker whose first `buildx build` fails with `first`, and whose later ones succeed. */
function flakyDocker(first: string) {
  const builds: string[][] = [];
  const run = async (request: ExecRequest) => {
    const args = [...request.args];
    builds.push(args);
    if (builds.length === 1) return { exitCode: 1, signal: null, stdout: "", stderr: first };
    const metadata = args[args.indexOf("--metadata-file") + 1] as string;
    writeFileSync(metadata, JSON.stringify({ "containerimage.digest": DIGEST }));
    return { exitCode: 0, signal: null, stdout: "", stderr: "" };
  };
  return { builds, run };
}

async function buildOnce(first: string) {
  const docker = flakyDocker(first);
  const backend = new DockerBackend({ run: docker.run });
  const node = planOf(
    "schemaVersion: 1\nimages:\n  a: {from: 'debian:12', steps: [{run: 'true'}]}\n",
  ).nodes[0];
  if (!node) throw new Error("no node");
  const log: string[] = [];
  const outcome = backend
    .build({
      node,
      root: tempRepo({}),
      baseRef: "debian:12",
      tags: node.refs.immutable,
      push: true,
      noCache: false,
      secrets: {},
      sourceDateEpoch: 0,
      signal: new AbortController().signal,
      log: (line) => log.push(line),
    })
    .finally(() => backend.close());
  return { outcome, builds: docker.builds, log };
}

describe("docker backend: a failed push is tried once more", () => {
  it("a registry failure during the push: the same build again, then its digest", async () => {
    const { outcome, builds, log } = await buildOnce(failedPush);
    await expect(outcome).resolves.toMatchObject({ digest: DIGEST });
    expect(builds).toHaveLength(2);
    expect(builds[1]).toEqual(builds[0]);
    expect(log.some((l) => l.includes("trying once more"))).toBe(true);
  });

  it("a failed build step is not retried", async () => {
    const { outcome, builds } = await buildOnce(failedBuild);
    await expect(outcome).rejects.toMatchObject({ code: "BUILD_FAILED" });
    expect(builds).toHaveLength(1);
  });
});
