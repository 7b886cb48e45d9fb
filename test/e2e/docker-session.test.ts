import { afterAll, describe, expect, it } from "vitest";
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

const bakes = (run: Run) => (run.stderr.match(/^\[exec\] docker buildx bake /gm) ?? []).length;
const builds = (run: Run) => (run.stderr.match(/^\[exec\] docker buildx build /gm) ?? []).length;
const statuses = (run: Run) =>
  Object.fromEntries(
    run.json.images.map((i: { name: string; status: string }) => [i.name, i.status]),
  );
const at = (run: Run, kind: string, image: string) =>
  Date.parse(run.events.find((e) => e.event === kind && e.image === image)?.time ?? "NaN");

describe.skipIf(!env)("docker engine: the graph in one BuildKit session", () => {
  const e = env as E2EEnv;
  const run = (catalog: string, into: string) =>
    hiltRun(
      [
        ...buildArgs(e, into),
        "--engine",
        "docker",
        "--sha",
        "5eed00000000000000000000000000000000ccaa",
      ],
      tempRepo({ "catalog.yaml": catalog }, afterAll),
      { HILT_DEBUG: "1" },
    );

  it("builds the 8 images in one docker buildx bake; digests, order and events as per image", async () => {
    const into = `${e.registry}/${uniqueName("session")}`;
    const cold = run(conformanceCatalog({ nonce: uniqueName("s") }), into);
    expect(cold.status, cold.stderr.slice(-3000)).toBe(0);
    expect(bakes(cold)).toBe(1);
    expect(builds(cold)).toBe(0);
    const result = resultSchema.parse(cold.json);
    expect(result.images.map((i) => i.status)).toEqual(Array(8).fill("built"));
    for (const image of result.images)
      for (const ref of image.refs) expect(await registryDigest(ref), ref).toBe(image.digest);
    // Started/finished per image, from the session's progress: a child after its parent.
    for (const image of result.images) {
      expect(at(cold, "started", image.name), image.name).toBeGreaterThan(0);
      expect(at(cold, "finished", image.name), image.name).toBeGreaterThan(0);
    }
    expect(at(cold, "started", "mid")).toBeGreaterThanOrEqual(at(cold, "finished", "base"));
    expect(at(cold, "started", "leaf-2-child")).toBeGreaterThanOrEqual(
      at(cold, "finished", "leaf-2"),
    );
  });

  it("a failing image in the session: the rest built one by one, siblings built, descendants skipped", () => {
    const into = `${e.registry}/${uniqueName("session-fail")}`;
    const failed = run(conformanceCatalog({ nonce: uniqueName("f"), failing: "leaf-2" }), into);
    expect(failed.status, failed.stderr.slice(-3000)).toBe(1);
    expect(bakes(failed)).toBe(1);
    expect(failed.stderr).toMatch(/one-session build failed .*; building its images one by one/);
    expect(builds(failed)).toBeGreaterThan(0);
    const result = resultSchema.parse(failed.json);
    expect(result.ok).toBe(false);
    expect(statuses(failed)).toEqual({
      base: "built",
      side: "built",
      mid: "built",
      "leaf-1": "built",
      "leaf-2": "failed",
      "leaf-3": "built",
      "leaf-4": "built",
      "leaf-2-child": "skipped",
    });
    expect(result.images.find((i) => i.name === "leaf-2")?.error?.message).toMatch(/exit code: 3/);
    // Aliases never move to a broken run.
    expect(result.images.some((i) => i.refs.some((r) => r.endsWith(":latest")))).toBe(false);
    expect(failed.events.filter((x) => x.event === "finished").length).toBe(8);
  });
});
