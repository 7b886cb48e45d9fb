import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resultSchema } from "../../src/report/result-schema.js";
import { bareRepo, type GitHttpServer, startGitHttpServer } from "../helpers/git-http-server.js";
import { tgzOf } from "../helpers/tar-builder.js";
import { type E2EEnv, e2eEnv, hiltRunAsync, registryDigest, uniqueName } from "./env.js";
import { followEvents, type ServeProcess, startServe } from "./serve-server.js";

/**
 * `hilt serve` building from the two sources that are not workspace folders (issue 15): a git
 * repository served over smart HTTP by a local `git http-backend`, and an uploaded .tar.gz.
 * Each build is followed over SSE to its end and its images are compared with the registry; the
 * git build's images carry the commit the job record names, and the archive build gives the
 * digests the CLI gives for the same files.
 */

const env = e2eEnv();
const TOKEN = "e2e-sources-token-0123456789";
const auth = { Authorization: `Bearer ${TOKEN}` };

const catalog = (nonce: string) => `schemaVersion: 1
images:
  base:
    from: debian:bookworm-slim
    steps:
      - env: { NONCE: "${nonce}" }
      - run: echo "$NONCE" > /nonce
  child:
    from: base
    steps:
      - run: cat /nonce > /child
`;

function buildOptions(e: E2EEnv, push: string) {
  return {
    push,
    engine: "docker",
    platforms: ["linux/amd64"],
    baseImages: { "debian:bookworm-slim": e.baseImage },
  };
}

// biome-ignore lint/suspicious/noExplicitAny: API documents, checked field by field
const json = async (response: Response): Promise<any> => response.json();

const ACCEPT = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
].join(", ");

/** The image config's labels, read from the (plain, local) registry. */
async function labels(ref: string): Promise<Record<string, string>> {
  const slash = ref.indexOf("/");
  const at = ref.lastIndexOf(":");
  const base = `http://${ref.slice(0, slash)}/v2/${ref.slice(slash + 1, at)}`;
  const get = async (url: string) =>
    // biome-ignore lint/suspicious/noExplicitAny: registry documents, read field by field
    (await (await fetch(url, { headers: { Accept: ACCEPT } })).json()) as any;
  let manifest = await get(`${base}/manifests/${ref.slice(at + 1)}`);
  if (manifest.manifests) {
    const image = manifest.manifests.find(
      (m: { platform?: { architecture?: string } }) => m.platform?.architecture === "amd64",
    );
    manifest = await get(`${base}/manifests/${image.digest}`);
  }
  const config = await get(`${base}/blobs/${manifest.config.digest}`);
  return config.config?.Labels ?? {};
}

describe.skipIf(!env)("hilt serve: builds from a git URL and from an uploaded archive", () => {
  const e = env as E2EEnv;
  let work = "";
  let sourcesDir = "";
  let git: GitHttpServer;
  let server: ServeProcess;

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), "hilt-serve-sources-e2e-"));
    mkdirSync(path.join(work, "ws"));
    mkdirSync(path.join(work, "repos"));
    sourcesDir = path.join(work, "sources");
    git = await startGitHttpServer(path.join(work, "repos"));
    server = await startServe(
      [
        "--workspace",
        path.join(work, "ws"),
        "--queue",
        `sqlite:${path.join(work, "jobs.db")}`,
        "--sources-dir",
        sourcesDir,
        "--git-allow-insecure-host",
        "127.0.0.1",
        "--max-body",
        String(4 * 1024 * 1024),
      ],
      { ...(process.env as Record<string, string>), HILT_SERVE_TOKENS: TOKEN },
    );
  });

  afterAll(async () => {
    await server?.stop();
    await git?.close();
    if (work) {
      chmodSync(path.join(sourcesDir, "home"), 0o755);
      rmSync(work, { recursive: true, force: true });
    }
  });

  /** Follows the job to its end; returns its events and the finished job. */
  async function follow(id: string) {
    const stream = await followEvents(`${server.url}/jobs/${id}/events`, auth);
    expect(stream.at(-1)?.event).toBe("end");
    const events = stream.filter((s) => s.event === undefined).map((s) => JSON.parse(s.data));
    const job = await json(await fetch(`${server.url}/jobs/${id}`, { headers: auth }));
    return { events, job };
  }

  it("builds a branch of a git repository: the job names the commit, the images carry it", async () => {
    const nonce = uniqueName("git");
    const [, commit] = bareRepo(path.join(work, "repos"), "svc", [
      { "README.md": "first\n" },
      { "cat/catalog.yaml": catalog(nonce) },
    ]);
    const push = `${e.registry}/${uniqueName("serve-git")}`;
    const response = await fetch(`${server.url}/jobs`, {
      method: "POST",
      headers: { ...auth, "Content-Type": "application/json" },
      body: JSON.stringify({
        kind: "build-all",
        workspace: "cat",
        source: { git: `${git.url}/svc.git`, ref: "main" },
        options: buildOptions(e, push),
      }),
    });
    expect(response.status).toBe(202);
    const submitted = await json(response);
    expect(submitted.request.source).toEqual({ git: `${git.url}/svc.git`, ref: "main", commit });

    const { events, job } = await follow(submitted.id);
    expect(job).toMatchObject({ status: "succeeded", exitCode: 0 });
    expect(events.filter((x) => x.event === "source").at(-1)).toMatchObject({
      kind: "git",
      commit,
      status: "fetched",
    });
    expect(events.at(-1)).toMatchObject({ event: "run-finished", ok: true });
    const result = resultSchema.parse(job.result);
    expect(result.images.map((i) => i.name).sort()).toEqual(["base", "child"]);
    for (const image of result.images) {
      const ref = image.refs[0] ?? "";
      expect(await registryDigest(ref)).toBe(image.digest);
      expect((await labels(ref))["org.opencontainers.image.revision"]).toBe(commit);
    }
    // The clone went with the job.
    expect(readdirSync(sourcesDir).filter((n) => n !== "home")).toEqual([]);
  });

  it("builds an uploaded .tar.gz: the digests are the CLI's for the same files", async () => {
    const files = { "catalog.yaml": catalog(uniqueName("tgz")) };
    const push = `${e.registry}/${uniqueName("serve-tgz")}`;
    const options = encodeURIComponent(JSON.stringify(buildOptions(e, push)));
    const body = tgzOf(Object.entries(files).map(([name, text]) => ({ name, body: text })));
    const response = await fetch(`${server.url}/jobs/archive?kind=build-all&options=${options}`, {
      method: "POST",
      headers: { ...auth, "Content-Type": "application/gzip" },
      body: new Uint8Array(body),
    });
    expect(response.status).toBe(202);
    const submitted = await json(response);
    expect(submitted.request.source.archive).toMatchObject({ format: "tar+gzip", entries: 1 });

    const { events, job } = await follow(submitted.id);
    expect(job).toMatchObject({ status: "succeeded", exitCode: 0 });
    expect(events[0]).toMatchObject({
      event: "source",
      kind: "archive",
      sha256: submitted.request.source.archive.sha256,
    });
    const result = resultSchema.parse(job.result);
    for (const image of result.images)
      expect(await registryDigest(image.refs[0] ?? "")).toBe(image.digest);

    const folder = path.join(work, "local");
    mkdirSync(folder);
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(folder, name), text);
    const cli = await hiltRunAsync(
      [
        "build-all",
        "--json",
        "--push",
        push,
        "--engine",
        "docker",
        "--platform",
        "linux/amd64",
        "--base-image",
        `debian:bookworm-slim=${e.baseImage}`,
      ],
      folder,
      process.env as Record<string, string>,
    );
    expect(cli.status).toBe(0);
    const digests = (r: typeof result) =>
      Object.fromEntries(r.images.map((i) => [i.name, [i.digest, i.refs]]));
    expect(digests(resultSchema.parse(cli.json))).toEqual(digests(result));
  });
});
