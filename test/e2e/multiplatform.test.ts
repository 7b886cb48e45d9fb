import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resultSchema } from "../../src/report/result-schema.js";
import { tempRepo } from "../helpers/cli.js";
import {
  docker,
  type E2EEnv,
  e2eEnv,
  hiltRun,
  type Run,
  registryDigest,
  uniqueName,
} from "./env.js";

// amd64 + arm64 on the BuildKit builder test/env/up.sh runs (HILT_E2E_BUILDER), from the
// amd64+arm64 debian index it pushed (HILT_E2E_MULTIARCH_BASE_IMAGE). arm64 steps run under
// QEMU on a 2-core machine: every step is an echo or a uname.
const env = e2eEnv();
const builder = process.env.HILT_E2E_BUILDER;
const multiarch = process.env.HILT_E2E_MULTIARCH_BASE_IMAGE;
if (env && (!builder || !multiarch))
  console.warn(
    "HILT_E2E_BUILDER or HILT_E2E_MULTIARCH_BASE_IMAGE unset: multi-platform e2e not run",
  );

const SHA = "a4c0000000000000000000000000000000000012";
const BOTH = ["linux/amd64", "linux/arm64"];
const INDEX_TYPES =
  "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json";

function catalog(nonce: string): string {
  return `schemaVersion: 1
images:
  base:
    from: debian:bookworm-slim
    steps:
      - env: { NONCE: "${nonce}" }
      - run: uname -m > /arch && echo "$NONCE" > /nonce
  mid:
    from: base
    steps:
      - run: echo mid > /mid
  leaf:
    from: mid
    steps:
      - run: cat /arch /mid > /leaf
    cmd: [cat, /arch]
`;
}

interface Image {
  name: string;
  status: string;
  digest: string;
  refs: string[];
  platforms: string[];
}

const images = (run: Run): Image[] => run.json.images;
const digests = (run: Run) => Object.fromEntries(images(run).map((i) => [i.name, i.digest]));
const repositoryOf = (image: Image) => (image.refs[0] ?? "").replace(/:[^:/]+$/, "");

/** The platforms of the index a registry holds under repository@digest. */
async function registryPlatforms(repository: string, digest: string): Promise<string[]> {
  const slash = repository.indexOf("/");
  const url = `http://${repository.slice(0, slash)}/v2/${repository.slice(slash + 1)}/manifests/${digest}`;
  const response = await fetch(url, { headers: { Accept: INDEX_TYPES } });
  expect(response.status, url).toBe(200);
  const index = (await response.json()) as {
    manifests: { platform: { os: string; architecture: string } }[];
  };
  return index.manifests
    .map((m) => `${m.platform.os}/${m.platform.architecture}`)
    .filter((p) => p !== "unknown/unknown")
    .sort();
}

describe.skipIf(!env || !builder || !multiarch)(
  "multi-platform builds on a BuildKit builder",
  () => {
    const e = env as E2EEnv;
    const build = (
      dir: string,
      push: string,
      extra: string[] = [],
      vars: Record<string, string> = {},
    ) =>
      hiltRun(
        [
          "build-all",
          "--json",
          "--events",
          "--push",
          push,
          "--base-image",
          `debian:bookworm-slim=${multiarch}`,
          "--platform",
          BOTH.join(","),
          "--builder",
          builder as string,
          "--sha",
          SHA,
          "--branch",
          "main",
          ...extra,
        ],
        dir,
        vars,
      );
    const push = `${e?.registry}/${uniqueName("multi")}`;
    let repo: string;
    let cold: Run;

    beforeAll(() => {
      repo = tempRepo({ "catalog.yaml": catalog(uniqueName("n")) }, afterAll);
      cold = build(repo, push);
    });

    it("pushes one index per image with both platforms; the registry's digests equal the JSON's", async () => {
      expect(cold.status, cold.stderr).toBe(0);
      const result = resultSchema.parse(cold.json);
      expect(result.builder).toBe(builder);
      expect(cold.stderr).toContain(`builder: ${builder}`);
      expect(images(cold).map((i) => [i.name, i.status])).toEqual([
        ["base", "built"],
        ["mid", "built"],
        ["leaf", "built"],
      ]);
      for (const image of images(cold)) {
        expect(image.platforms).toEqual(BOTH);
        for (const ref of image.refs) expect(await registryDigest(ref), ref).toBe(image.digest);
        expect(await registryPlatforms(repositoryOf(image), image.digest)).toEqual(BOTH);
      }
    });

    it("the arm64 leaf runs as aarch64, the amd64 one as x86_64", () => {
      const leaf = images(cold).find((i) => i.name === "leaf") as Image;
      const ref = `${repositoryOf(leaf)}@${leaf.digest}`;
      for (const [platform, arch] of [
        ["linux/arm64", "aarch64"],
        ["linux/amd64", "x86_64"],
      ] as const) {
        // One platform of the index at a time in the image store: remove it before the other.
        docker(["rmi", "--force", ref]);
        try {
          const run = docker(["run", "--rm", "--platform", platform, ref]);
          expect(run.status, run.stderr).toBe(0);
          expect(run.stdout.trim()).toBe(arch);
        } finally {
          docker(["rmi", "--force", ref]);
        }
      }
    });

    it("a --no-cache rebuild of unchanged inputs gives the same digests on both platforms", async () => {
      const rebuilt = build(repo, push, ["--no-cache"]);
      expect(rebuilt.status, rebuilt.stderr).toBe(0);
      expect(images(rebuilt).every((i) => i.status === "built")).toBe(true);
      expect(digests(rebuilt)).toEqual(digests(cold));
      for (const image of images(rebuilt))
        expect(await registryPlatforms(repositoryOf(image), image.digest)).toEqual(BOTH);
    });

    it("after the builder's cache is pruned, an untagged rebuild takes its layers from the registry cache", async () => {
      // No content tags (tags.content: false): the second run finds nothing to skip and builds
      // every image again, on a builder whose own cache is empty.
      const dir = tempRepo(
        {
          "catalog.yaml": catalog(uniqueName("n")),
          "pipelines/default.yaml": "schemaVersion: 1\ntags:\n  content: false\n",
        },
        afterAll,
      );
      const into = `${e.registry}/${uniqueName("multi-cache")}`;
      const first = build(dir, into, [], { HILT_DEBUG: "1" });
      expect(first.status, first.stderr).toBe(0);
      expect(first.stderr).toMatch(/^base: 0 of \d+ steps from cache$/m);
      for (const name of ["base", "mid", "leaf"])
        expect(await registryDigest(`${into}/${name}:buildcache`), name).toMatch(/^sha256:/);

      const pruned = docker(["buildx", "prune", "--builder", builder as string, "-af"]);
      expect(pruned.status, pruned.stderr).toBe(0);
      const second = build(dir, into, [], { HILT_DEBUG: "1" });
      expect(second.status, second.stderr).toBe(0);
      expect(images(second).every((i) => i.status === "built")).toBe(true);
      for (const name of ["base", "mid", "leaf"]) {
        const line = second.stderr
          .split("\n")
          .find((l) => l.startsWith(`${name}: `) && l.includes("steps from cache"));
        expect(line, second.stderr.slice(-3000)).toBeDefined();
        // Imported from the registry, and at least one step's layer taken from it.
        expect(line).toContain(`imported ${into}/${name}:buildcache`);
        const [, cached] = /(\d+) of \d+ steps from cache/.exec(line ?? "") ?? [];
        expect(Number(cached), line).toBeGreaterThan(0);
      }
      expect(digests(second)).toEqual(digests(first));
    });

    it("without a registry to push to, two platforms are refused before anything is built", () => {
      const dir = tempRepo({ "catalog.yaml": catalog(uniqueName("n")) }, afterAll);
      const run = build(dir, "none");
      expect(run.status).toBe(2);
      expect(run.json.error.code).toBe("PLATFORM_UNSUPPORTED");
      expect(run.json.error.hint).toContain("--push");
      expect(run.json.images).toEqual([]);
    });
  },
);
