import { describe, expect, it } from "vitest";
import { DockerBackend } from "../../src/engine/docker/backend.js";
import type { ExecRequest } from "../../src/host/exec.js";

/** A docker whose image store holds `store` (ref → size) and that records every inspect. */
function fakeDocker(store: Record<string, number>) {
  const calls: string[][] = [];
  const run = async (request: ExecRequest) => {
    const refs = request.args.slice(4);
    calls.push(refs);
    const missing = refs.filter((r) => !(r in store));
    return {
      exitCode: missing.length > 0 ? 1 : 0,
      signal: null,
      stdout: refs
        .filter((r) => r in store)
        .map((r) => `${store[r]}\n`)
        .join(""),
      stderr: missing.map((r) => `Error: No such image: ${r}\n`).join(""),
    };
  };
  return { calls, run };
}

describe("docker backend image sizes", () => {
  it("asks once for all the refs of a turn, and each ref once a run", async () => {
    const docker = fakeDocker({ "r/a:1": 100, "r/b:1": 250, "r/c:1": 7 });
    const backend = new DockerBackend({ run: docker.run });
    const sizes = await Promise.all([
      backend.imageSize("r/a:1"),
      backend.imageSize("r/b:1"),
      backend.imageSize("r/c:1"),
      backend.imageSize("r/a:1"),
    ]);
    expect(sizes).toEqual([100, 250, 7, 100]);
    expect(docker.calls).toEqual([["r/a:1", "r/b:1", "r/c:1"]]);
    expect(await backend.imageSize("r/b:1")).toBe(250);
    expect(docker.calls).toHaveLength(1);
  });

  it("a missing image in the batch: each ref on its own, sizes still matched to their refs", async () => {
    const docker = fakeDocker({ "r/a:1": 100, "r/c:1": 7 });
    const backend = new DockerBackend({ run: docker.run });
    const sizes = await Promise.all(
      ["r/a:1", "r/gone:1", "r/c:1"].map((r) => backend.imageSize(r)),
    );
    expect(sizes).toEqual([100, undefined, 7]);
    expect(docker.calls).toEqual([
      ["r/a:1", "r/gone:1", "r/c:1"],
      ["r/a:1"],
      ["r/gone:1"],
      ["r/c:1"],
    ]);
  });

  it("starts no docker process on a builder that keeps results out of the image store", async () => {
    const docker = fakeDocker({ "r/a:1": 100 });
    const backend = new DockerBackend({ run: docker.run });
    Object.assign(backend, { chosen: { name: "hilt-buildkit", driver: "remote", reason: "test" } });
    expect(await backend.imageSize("r/a:1")).toBeUndefined();
    expect(docker.calls).toEqual([]);
  });
});
