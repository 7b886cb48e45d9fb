import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resultSchema } from "../../src/report/result-schema.js";
import { tempRepo } from "../helpers/cli.js";
import { conformanceCatalog } from "./catalog-fixture.js";
import {
  buildArgs,
  type E2EEnv,
  e2eEnv,
  hiltRun,
  type Run,
  registryDigest,
  uniqueName,
} from "./env.js";

const env = e2eEnv();
const SHA = "5eed0000000000000000000000000000000000aa";

function statuses(run: Run): Record<string, string> {
  return Object.fromEntries(
    run.json.images.map((i: { name: string; status: string }) => [i.name, i.status]),
  );
}

function times(run: Run, image: string): { started: number; finished: number } {
  const at = (kind: string) =>
    Date.parse(run.events.find((e) => e.event === kind && e.image === image)?.time ?? "NaN");
  return { started: at("started"), finished: at("finished") };
}

describe.skipIf(!env)("docker backend conformance (real builds, real registry)", () => {
  const e = env as E2EEnv;
  const nonce = uniqueName("n");
  const push = `${e?.registry}/${uniqueName("conf")}`;
  let repo: string;
  let cold: Run;
  const run = (extra: string[] = []) =>
    hiltRun([...buildArgs(e, push), "--sha", SHA, "--branch", "main", ...extra], repo);

  beforeAll(() => {
    repo = tempRepo({ "catalog.yaml": conformanceCatalog({ nonce }) }, afterAll);
    cold = run();
  });

  it("builds every image and pushes every tag; the registry's digests equal the JSON's", async () => {
    expect(cold.status, cold.stderr).toBe(0);
    const result = resultSchema.parse(cold.json);
    expect(result.engine).toBe("docker");
    expect(Object.values(statuses(cold))).toEqual(Array(8).fill("built"));
    for (const image of result.images) {
      expect(image.refs.map((r) => r.split(":").pop())).toEqual([
        "sha-5eed000",
        expect.stringMatching(/^input-/),
        "main",
        "latest",
      ]);
      for (const ref of image.refs) expect(await registryDigest(ref), ref).toBe(image.digest);
    }
  });

  it("builds parents before children and siblings at the same time", () => {
    const base = times(cold, "base");
    const mid = times(cold, "mid");
    expect(mid.started).toBeGreaterThanOrEqual(base.finished);
    const leaves = [1, 2, 3, 4].map((i) => times(cold, `leaf-${i}`));
    for (const leaf of leaves) expect(leaf.started).toBeGreaterThanOrEqual(mid.finished);
    // With concurrency 2 on this machine at least two leaves overlap in time.
    const sorted = leaves.sort((a, b) => a.started - b.started);
    expect((sorted[1]?.started ?? 0) < (sorted[0]?.finished ?? 0)).toBe(true);
    expect(times(cold, "side").started).toBeLessThan(base.finished);
  });

  it("reports everything cached on a rerun with nothing changed, in under 10% of the time", () => {
    const again = run();
    expect(again.status, again.stderr).toBe(0);
    expect(Object.values(statuses(again))).toEqual(Array(8).fill("cached"));
    expect(again.json.durationMs).toBeLessThan(cold.json.durationMs * 0.1);
    const digests = (r: Run) => r.json.images.map((i: { digest: string }) => i.digest);
    expect(digests(again)).toEqual(digests(cold));
  });

  it("--no-cache rebuilds every image, ignoring content tags and the layer cache", () => {
    const rebuilt = run(["--no-cache"]);
    expect(rebuilt.status, rebuilt.stderr).toBe(0);
    expect(Object.values(statuses(rebuilt))).toEqual(Array(8).fill("built"));
    // The docker driver ignores rewrite-timestamp, so layer mtimes (and digests) may differ
    // from the cold build's; what must hold is that every ref points at the new build.
    return Promise.all(
      rebuilt.json.images.map(async (i: { refs: string[]; digest: string }) =>
        expect(await registryDigest(i.refs[0] ?? "")).toBe(i.digest),
      ),
    );
  });

  it("rebuilds exactly a changed mid-level image and its descendants", () => {
    writeFileSync(
      path.join(repo, "catalog.yaml"),
      conformanceCatalog({ nonce, midText: "mid-changed" }),
    );
    const changed = run();
    expect(changed.status, changed.stderr).toBe(0);
    expect(statuses(changed)).toEqual({
      base: "cached",
      side: "cached",
      mid: "built",
      "leaf-1": "built",
      "leaf-2": "built",
      "leaf-3": "built",
      "leaf-4": "built",
      "leaf-2-child": "built",
    });
  });

  it("isolates a failure: siblings built, descendants skipped, exit code 1, JSON complete", () => {
    writeFileSync(
      path.join(repo, "catalog.yaml"),
      conformanceCatalog({ nonce, midText: "mid-again", failing: "leaf-2" }),
    );
    const failed = run();
    expect(failed.status).toBe(1);
    const result = resultSchema.parse(failed.json);
    expect(result.ok).toBe(false);
    expect(statuses(failed)).toMatchObject({
      "leaf-1": "built",
      "leaf-3": "built",
      "leaf-4": "built",
      "leaf-2": "failed",
      "leaf-2-child": "skipped",
    });
    const leaf2 = result.images.find((i) => i.name === "leaf-2");
    expect(leaf2?.error?.message).toMatch(/exit code: 3/);
    // Aliases never move to a broken run.
    expect(
      result.images.find((i) => i.name === "leaf-1")?.refs.some((r) => r.endsWith(":latest")),
    ).toBe(false);
  });

  it("is what a spawning program parses: schema-valid JSON on stdout", async () => {
    // @ts-expect-error: a plain JavaScript example
    const { runHilt } = await import("../../examples/spawn-client/spawn-client.mjs");
    const { exitCode, result } = await runHilt(
      [...buildArgs(e, push).filter((a) => a !== "--json")],
      { cwd: repo },
    );
    expect(exitCode).toBe(1); // the failing leaf of the previous test is still there
    expect(result.images.find((i: { name: string }) => i.name === "leaf-1").status).toBe("cached");
  });
});
