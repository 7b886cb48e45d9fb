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

async function expectRegistryAgrees(run: Run): Promise<void> {
  for (const image of run.json.images as { refs: string[]; digest: string }[])
    for (const ref of image.refs) expect(await registryDigest(ref), ref).toBe(image.digest);
}

/**
 * One conformance suite, run once per backend. Every case reads only the shared cold build
 * (made in beforeAll) and writes only its own repository copy or registry namespace, so the
 * cases pass in any order and alone.
 */
export function describeConformance(engine: "docker" | "dagger", available: boolean): void {
  const env = e2eEnv();
  describe.skipIf(!env || !available)(`${engine} backend conformance`, () => {
    const e = env as E2EEnv;
    const nonce = uniqueName("n");
    const push = `${e?.registry}/${uniqueName(`conf-${engine}`)}`;
    let repo: string;
    let cold: Run;
    const engineArgs = ["--engine", engine];
    const run = (dir: string, extra: string[] = [], into = push) =>
      hiltRun(
        [...buildArgs(e, into), ...engineArgs, "--sha", SHA, "--branch", "main", ...extra],
        dir,
        engine === "dagger" ? (process.env as Record<string, string>) : {},
      );
    /** A repository of its own holding the conformance catalog with these changes. */
    const variant = (options: { midText?: string; failing?: string }) => {
      const dir = tempRepo({ "catalog.yaml": conformanceCatalog({ nonce }) }, afterAll);
      writeFileSync(path.join(dir, "catalog.yaml"), conformanceCatalog({ nonce, ...options }));
      return dir;
    };

    beforeAll(() => {
      repo = tempRepo({ "catalog.yaml": conformanceCatalog({ nonce }) }, afterAll);
      cold = run(repo);
    });

    it("builds every image and pushes every tag; the registry's digests equal the JSON's", async () => {
      expect(cold.status, cold.stderr).toBe(0);
      const result = resultSchema.parse(cold.json);
      expect(result.engine).toBe(engine);
      expect(Object.values(statuses(cold))).toEqual(Array(8).fill("built"));
      for (const image of result.images) {
        expect(image.refs.map((r) => r.split(":").pop())).toEqual([
          "sha-5eed000",
          expect.stringMatching(/^input-/),
          "main",
          "latest",
        ]);
      }
      await expectRegistryAgrees(cold);
    });

    it("builds parents before children and siblings at the same time", () => {
      const base = times(cold, "base");
      const mid = times(cold, "mid");
      expect(mid.started).toBeGreaterThanOrEqual(base.finished);
      const leaves = [1, 2, 3, 4].map((i) => times(cold, `leaf-${i}`));
      for (const leaf of leaves) expect(leaf.started).toBeGreaterThanOrEqual(mid.finished);
      // With concurrency 2 or more at least two leaves overlap in time.
      const sorted = leaves.sort((a, b) => a.started - b.started);
      expect((sorted[1]?.started ?? 0) < (sorted[0]?.finished ?? 0)).toBe(true);
      expect(times(cold, "side").started).toBeLessThan(base.finished);
    });

    it("reports everything cached, with the same digests, on a rerun with nothing changed", () => {
      const again = run(repo);
      expect(again.status, again.stderr).toBe(0);
      expect(Object.values(statuses(again))).toEqual(Array(8).fill("cached"));
      const digests = (r: Run) => r.json.images.map((i: { digest: string }) => i.digest);
      expect(digests(again)).toEqual(digests(cold));
    });

    it("--no-cache rebuilds every image, ignoring content tags and the layer cache", async () => {
      // Its own namespace: a rebuild may get new digests, which must not leak into other cases.
      const rebuilt = run(repo, ["--no-cache"], `${push}-nocache`);
      expect(rebuilt.status, rebuilt.stderr).toBe(0);
      expect(Object.values(statuses(rebuilt))).toEqual(Array(8).fill("built"));
      await expectRegistryAgrees(rebuilt);
    });

    it("rebuilds exactly a changed mid-level image and its descendants", () => {
      const changed = run(variant({ midText: "mid-changed" }));
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
      const failed = run(variant({ midText: "mid-again", failing: "leaf-2" }));
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

    it("is what a spawning program parses: schema-valid JSON on stdout, also on failure", async () => {
      // @ts-expect-error: a plain JavaScript example
      const { runHilt } = await import("../../examples/spawn-client/spawn-client.mjs");
      const dir = variant({ failing: "leaf-3" });
      const { exitCode, result } = await runHilt(
        [...buildArgs(e, push).filter((a) => a !== "--json"), ...engineArgs],
        { cwd: dir, env: engine === "dagger" ? process.env : undefined },
      );
      expect(exitCode).toBe(1);
      const byName = (name: string) => result.images.find((i: { name: string }) => i.name === name);
      expect(byName("leaf-3").status).toBe("failed");
      expect(byName("leaf-1").status).toMatch(/^(built|cached)$/);
    });
  });
}
