import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resultSchema } from "../../src/report/result-schema.js";
import { type E2EEnv, e2eEnv, hiltRunAsync, REPO_ROOT, type Run } from "./env.js";
import {
  askImage,
  baseImageArgs,
  EXAMPLES_DIR,
  expectedDetect,
  GOLDEN_DIR,
  imageName,
  loadCorpus,
  runJob,
} from "./examples-corpus.js";

/**
 * The issue-13 corpus built for real: every buildable example's services are detected,
 * generated (or their own Dockerfile reused), built with the docker backend, pushed, run, and
 * asked on their detected port for the answer examples/corpus.json names. One build for all,
 * two images at a time, pushed under a stable repository so that a warm run finds every image
 * cached (its hash tag exists) and only runs them.
 */
const env = e2eEnv();
const corpus = loadCorpus();
const buildable = Object.entries(corpus).filter(([, e]) => e.buildable);
const served = buildable.flatMap(([example, e]) =>
  Object.entries(e.probes).map(([service, probe]) => ({
    example,
    service,
    probe,
    logLine: e.logLine?.[service],
  })),
);
const jobs = buildable.flatMap(([example, e]) =>
  Object.entries(e.job ?? {}).map(([service, job]) => ({ example, service, job })),
);

describe("the corpus manifest", () => {
  const dirs = readdirSync(EXAMPLES_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== "spawn-client")
    .map((d) => d.name);

  it("has at least 25 examples, each in corpus.json with an expected detect --json", () => {
    expect(dirs.length).toBeGreaterThanOrEqual(25);
    expect(Object.keys(corpus).sort()).toEqual(dirs.sort());
    for (const name of dirs)
      expect(existsSync(path.join(GOLDEN_DIR, `${name}.json`)), name).toBe(true);
  });

  it("says why an example is not built, and probes only services its detection has", () => {
    for (const [name, e] of Object.entries(corpus)) {
      if (!e.buildable) expect(e.why, name).toBeTruthy();
      const detected = expectedDetect(name);
      for (const [service, probe] of Object.entries(e.probes)) {
        const svc = detected.services.find((s: { name: string }) => s.name === service);
        expect(svc, `${name}: ${service}`).toBeDefined();
        expect(svc.port?.value, `${name}: ${service} port`).toBe(probe.port);
      }
    }
  });
});

describe.skipIf(!env)("the corpus: built, run, and answering on the detected port", () => {
  const e = env as E2EEnv;
  const prefix = process.env.HILT_E2E_BASE_PREFIX ?? `${e?.registry}/library`;
  let run: Run;
  let started: number;

  beforeAll(async () => {
    started = Date.now();
    run = await hiltRunAsync(
      [
        "build",
        ...buildable.map(([name]) => path.join(EXAMPLES_DIR, name)),
        "--json",
        "--push",
        `${e.registry}/corpus`,
        "--concurrency",
        "2",
        ...baseImageArgs(prefix),
      ],
      REPO_ROOT,
    );
    console.log(`corpus build: ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }, 5_400_000);

  afterAll(() => {
    if (started) console.log(`corpus tier: ${((Date.now() - started) / 1000).toFixed(0)} s`);
  });

  const result = () => {
    expect(run.json, `no result JSON; stderr tail:\n${run.stderr.slice(-3000)}`).toBeDefined();
    return resultSchema.parse(run.json);
  };

  const built = (name: string) => {
    const image = result().images.find((i) => i.name === name);
    expect(
      image,
      `${name}: not in the result (${result().images.map((i) => i.name)})`,
    ).toBeDefined();
    const error = image?.error
      ? `${image.error.code}: ${image.error.message}\n${image.error.hint ?? ""}`
      : "";
    expect(image?.status, `${name} did not build:\n${error.slice(-3000)}`).toMatch(
      /^(built|cached)$/,
    );
    return image as NonNullable<typeof image>;
  };

  it.each(served)(
    "$example/$service builds, reports its size, and answers on its detected port",
    async ({ example, service, probe, logLine }) => {
      const name = imageName(example, service);
      const image = built(name);
      expect(
        image.size?.compressed,
        `${name}: the result JSON reports no image size`,
      ).toBeGreaterThan(0);
      const port = result().ports[name];
      expect(port, `${name}: detected port`).toBe(probe.port);
      const answer = await askImage(image.refs[0] ?? "", port ?? probe.port, probe, logLine);
      expect(answer.ok, answer.detail).toBe(true);
    },
    180_000,
  );

  it.each(jobs)(
    "$example/$service builds and runs once to completion",
    ({ example, service, job }) => {
      const name = imageName(example, service);
      const image = built(name);
      expect(result().ports[name], `${name}: a job has no port`).toBeUndefined();
      const outcome = runJob(image.refs[0] ?? "", job.expect);
      expect(outcome.ok, outcome.detail).toBe(true);
    },
    120_000,
  );

  it("builds only the buildable examples' services, nothing from libraries or asset folders", () => {
    const expected = buildable.flatMap(([example]) =>
      expectedDetect(example)
        .services.filter((s: { support?: unknown }) => !s.support)
        .map((s: { name: string }) => imageName(example, s.name)),
    );
    expect(
      result()
        .images.map((i) => i.name)
        .sort(),
    ).toEqual(expected.sort());
  });
});
