import { writeFileSync } from "node:fs";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resultSchema } from "../../src/report/result-schema.js";
import { tempRepo } from "../helpers/cli.js";
import { conformanceCatalog } from "./catalog-fixture.js";
import {
  buildArgs,
  type E2EEnv,
  e2eEnv,
  hiltInterrupted,
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

const ACCEPT =
  "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json";

type Auth = { user: string; password: string } | undefined;

async function registryGet(url: string, auth: Auth, accept = ACCEPT): Promise<Response> {
  const headers: Record<string, string> = { Accept: accept };
  if (auth)
    headers.Authorization = `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString("base64")}`;
  return fetch(url, { headers });
}

/** Every layer of a pushed image (each platform of an index), uncompressed, as text. */
async function layerTexts(ref: string, auth?: Auth): Promise<string[]> {
  const slash = ref.indexOf("/");
  const at = ref.lastIndexOf("@");
  const colon = ref.lastIndexOf(":");
  const cut = at > 0 ? at : colon;
  const base = `http://${ref.slice(0, slash)}/v2/${ref.slice(slash + 1, cut)}`;
  const manifest = async (reference: string) =>
    (await (await registryGet(`${base}/manifests/${reference}`, auth)).json()) as {
      manifests?: { digest: string }[];
      layers?: { digest: string }[];
      config?: { digest: string };
    };
  const top = await manifest(ref.slice(cut + 1));
  const manifests = top.manifests
    ? await Promise.all(top.manifests.map((m) => manifest(m.digest)))
    : [top];
  const texts: string[] = [];
  for (const m of manifests) {
    for (const blob of [...(m.layers ?? []), ...(m.config ? [m.config] : [])]) {
      const bytes = Buffer.from(
        await (await registryGet(`${base}/blobs/${blob.digest}`, auth, "*/*")).arrayBuffer(),
      );
      const plain = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
      texts.push(plain.toString("latin1"));
    }
  }
  return texts;
}

const SLOW_CATALOG = (nonce: string) => `schemaVersion: 1
images:
  slow:
    from: debian:bookworm-slim
    steps:
      - run: echo ${nonce} > /n && sleep 60
`;

/** A catalog image built from its catalog parent through a Dockerfile that needs the npmrc. */
const DOCKERFILE_CATALOG = (nonce: string) => `schemaVersion: 1
images:
  base:
    from: debian:bookworm-slim
    steps:
      - run: echo ${nonce} > /nonce
  svc:
    from: base
    dockerfile: svc/Dockerfile
`;
const SVC_DOCKERFILE = `ARG PARENT_IMAGE
FROM \${PARENT_IMAGE}
RUN --mount=type=secret,id=npmrc,target=/root/.npmrc \\
    grep -q '^registry=http://npm.hilt.test/' /root/.npmrc \\
    && test "$(grep -c '_authToken=' /root/.npmrc)" = 1 \\
    && cat /nonce > /svc-ok
`;

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
    /** The engine's client environment (dagger: the session's variables) and this case's. */
    const runEnv = (extra: Record<string, string> = {}) => ({
      ...(engine === "dagger" ? (process.env as Record<string, string>) : {}),
      ...extra,
    });
    const run = (dir: string, extra: string[] = [], into = push, env = {}) =>
      hiltRun(
        [...buildArgs(e, into), ...engineArgs, "--sha", SHA, "--branch", "main", ...extra],
        dir,
        runEnv(env),
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
    it("builds a Dockerfile child of a catalog image through the engine, with the npmrc secret mounted and in no layer", async () => {
      const token = `npm-tok-${nonce}`;
      const dir = tempRepo({
        "catalog.yaml": DOCKERFILE_CATALOG(nonce),
        "svc/Dockerfile": SVC_DOCKERFILE,
      });
      const into = `${push}-dockerfile`;
      const built = run(dir, ["--npm-registry", "http://npm.hilt.test/"], into, {
        NPM_TOKEN: token,
      });
      expect(built.status, `${built.stdout.slice(0, 3000)}\n${built.stderr}`).toBe(0);
      expect(statuses(built)).toEqual({ base: "built", svc: "built" });
      await expectRegistryAgrees(built);
      expect(built.stdout + built.stderr).not.toContain(token);
      for (const image of built.json.images as { refs: string[] }[]) {
        const layers = await layerTexts(image.refs[0] as string);
        expect(layers.length).toBeGreaterThan(0);
        for (const text of layers) expect(text).not.toContain(token);
      }
      // The child really started from this run's parent: the parent's file is in its layers.
      const svc = built.json.images.find((i: { name: string }) => i.name === "svc");
      expect((await layerTexts(svc.refs[0])).some((t) => t.includes("svc-ok"))).toBe(true);
    });

    it("pushes to a registry that needs a login; neither password nor token reaches output or a layer", async () => {
      if (!e.authRegistry) throw new Error("HILT_E2E_AUTH_REGISTRY is not set");
      const token = `npm-tok-auth-${nonce}`;
      const dir = tempRepo({
        "catalog.yaml": DOCKERFILE_CATALOG(`${nonce}-auth`),
        "svc/Dockerfile": SVC_DOCKERFILE,
      });
      const into = `${e.authRegistry}/${uniqueName(`conf-${engine}-auth`)}`;
      const pushed = run(dir, ["--npm-registry", "http://npm.hilt.test/"], into, {
        HILT_REGISTRY_USERNAME: e.authUser,
        HILT_REGISTRY_PASSWORD: e.authPassword,
        NPM_TOKEN: token,
      });
      expect(pushed.status, pushed.stderr).toBe(0);
      const auth = { user: e.authUser, password: e.authPassword };
      for (const image of pushed.json.images as { refs: string[]; digest: string }[]) {
        for (const ref of image.refs)
          expect(await registryDigest(ref, auth), ref).toBe(image.digest);
        for (const text of await layerTexts(image.refs[0] as string, auth)) {
          expect(text).not.toContain(e.authPassword);
          expect(text).not.toContain(token);
        }
      }
      expect(pushed.stdout + pushed.stderr).not.toContain(e.authPassword);
      expect(pushed.stdout + pushed.stderr).not.toContain(token);
    });

    it("--timeout stops a long step: exit 130, the partial JSON, the image not built and never pushed", async () => {
      const dir = tempRepo({ "catalog.yaml": SLOW_CATALOG(`${nonce}-timeout`) });
      const into = `${push}-timeout`;
      const stopped = run(dir, ["--timeout", "15"], into);
      expect(stopped.status, stopped.stderr).toBe(130);
      const result = resultSchema.parse(stopped.json);
      expect(result.error?.code).toBe("INTERRUPTED");
      expect(result.images[0]?.status).not.toBe("built");
      // Long after the step would have ended: still nothing in the registry.
      await new Promise((r) => setTimeout(r, 5000));
      for (const ref of result.images[0]?.refs ?? [])
        expect(await registryDigest(ref)).toBe(undefined);
    });

    it("Ctrl-C (SIGINT to the process group): exit 130, the partial JSON, nothing pushed after", async () => {
      const dir = tempRepo({ "catalog.yaml": SLOW_CATALOG(`${nonce}-sigint`) });
      const into = `${push}-sigint`;
      const stopped = await hiltInterrupted(
        [...buildArgs(e, into), ...engineArgs, "--sha", SHA, "--branch", "main"],
        dir,
        /"event":"started","image":"slow"/,
        { env: runEnv(), processGroup: true, delayMs: 3000 },
      );
      expect(stopped.signal, stopped.stderr).toBe(null);
      expect(stopped.status, stopped.stderr).toBe(130);
      const result = resultSchema.parse(stopped.json);
      expect(result.error?.code).toBe("INTERRUPTED");
      expect(result.images[0]?.status).not.toBe("built");
      await new Promise((r) => setTimeout(r, 5000));
      for (const ref of result.images[0]?.refs ?? [])
        expect(await registryDigest(ref)).toBe(undefined);
    });

    it("platform honesty: a single-platform base asked for amd64 and arm64 is never reported built for both", async () => {
      const dir = tempRepo({
        "catalog.yaml": `schemaVersion: 1\nimages:\n  one:\n    from: debian:bookworm-slim\n    steps:\n      - run: echo ${nonce} > /p\n`,
      });
      const into = `${push}-platforms`;
      const asked = run(dir, ["--platform", "linux/amd64,linux/arm64"], into);
      // docker's default builder refuses before building (exit 2, PLATFORM_UNSUPPORTED); an
      // engine that builds has to fail the image (PLATFORM_MISSING): either way, never "built".
      expect([1, 2], asked.stderr).toContain(asked.status);
      const result = resultSchema.parse(asked.json);
      const one = result.images.find((i) => i.name === "one");
      if (asked.status === 2) expect(result.error?.code).toBe("PLATFORM_UNSUPPORTED");
      else {
        expect(one?.status).toBe("failed");
        expect(one?.error?.code).toBe("PLATFORM_MISSING");
      }
      for (const ref of one?.refs ?? []) expect(await registryDigest(ref)).toBe(undefined);
    });
  });
}
