import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resultSchema } from "../../src/report/result-schema.js";
import { type E2EEnv, e2eEnv, hiltRunAsync, registryDigest, uniqueName } from "./env.js";
import { followEvents, freePort, type ServeProcess, startServe } from "./serve-server.js";

const env = e2eEnv();
const TOKEN = "e2e-build-token-0123456789";
const auth = { Authorization: `Bearer ${TOKEN}` };

function pgrep(pattern: string): number[] {
  const out = spawnSync("pgrep", ["-f", pattern], { encoding: "utf8" }).stdout.trim();
  return out ? out.split("\n").map(Number) : [];
}

async function waitFor(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
}

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
const slowCatalog = (marker: string) =>
  `schemaVersion: 1\nimages:\n  slow: { from: debian:bookworm-slim, steps: [{ run: sleep ${marker} }] }\n`;

function buildOptions(e: E2EEnv, push: string) {
  return {
    push,
    engine: "docker",
    platforms: ["linux/amd64"],
    baseImages: { "debian:bookworm-slim": e.baseImage },
  };
}

async function api(server: ServeProcess, method: string, url: string, body?: unknown) {
  const response = await fetch(`${server.url}${url}`, {
    method,
    headers: { ...auth, ...(body ? { "Content-Type": "application/json" } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  // biome-ignore lint/suspicious/noExplicitAny: API documents, checked field by field
  return { status: response.status, json: (await response.json()) as any };
}

/** Ends the process groups of CLI children a killed server left behind (they hold `pattern`). */
function endOrphans(pattern: string): void {
  for (const pid of pgrep(pattern)) {
    try {
      process.kill(-pid, "SIGTERM");
    } catch {
      // Not a group leader, or gone already.
    }
  }
}

describe.skipIf(!env)("hilt serve: real builds over HTTP", () => {
  const e = env as E2EEnv;
  let root = "";
  let server: ServeProcess;

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), "hilt-serve-e2e-"));
    writeFiles(root, { "cat/catalog.yaml": catalog(uniqueName("n")) });
    server = await startServe(
      ["--workspace", root, "--queue", `sqlite:${path.join(root, ".queue", "jobs.db")}`],
      { ...(process.env as Record<string, string>), HILT_SERVE_TOKENS: TOKEN },
    );
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it("builds a catalog: SSE to the end, digests equal the registry's and the CLI's, resumable, idempotent", async () => {
    const push = `${e.registry}/${uniqueName("serve")}`;
    const body = { kind: "build-all", workspace: "cat", options: buildOptions(e, push) };
    const submit = async () =>
      fetch(`${server.url}/jobs`, {
        method: "POST",
        headers: { ...auth, "Content-Type": "application/json", "Idempotency-Key": push },
        body: JSON.stringify(body),
      });
    const first = await submit();
    expect(first.status).toBe(202);
    const job = (await first.json()) as { id: string };
    const again = await submit();
    expect(again.status).toBe(200);
    expect(((await again.json()) as { id: string }).id).toBe(job.id);

    const stream = await followEvents(`${server.url}/jobs/${job.id}/events`, auth);
    const end = stream.at(-1);
    expect(end?.event).toBe("end");
    expect(JSON.parse(end?.data ?? "{}").status).toBe("succeeded");
    const events = stream.filter((s) => s.event === undefined).map((s) => JSON.parse(s.data));
    expect(stream.filter((s) => s.event === undefined).map((s) => Number(s.id))).toEqual(
      events.map((_, i) => i + 1),
    );
    // Notices the CLI writes to stderr (the builder it chose) arrive as log events.
    expect(events.find((x) => x.event !== "log")).toMatchObject({
      event: "run-started",
      images: 2,
    });
    expect(
      events
        .filter((x) => x.event === "finished")
        .map((x) => x.image)
        .sort(),
    ).toEqual(["base", "child"]);
    expect(events.at(-1)).toMatchObject({ event: "run-finished", ok: true });

    const done = await api(server, "GET", `/jobs/${job.id}`);
    expect(done.json).toMatchObject({ status: "succeeded", exitCode: 0 });
    const result = resultSchema.parse(done.json.result);
    for (const image of result.images) {
      expect(image.status).toBe("built");
      expect(await registryDigest(image.refs[0] ?? "")).toBe(image.digest);
    }
    // The same command from the CLI prints the same images (now cached, same digests). Run
    // without blocking: a blocked event loop would hand fetch a keep-alive socket the server closed.
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
      path.join(root, "cat"),
      process.env as Record<string, string>,
    );
    expect(cli.status).toBe(0);
    const digests = (r: typeof result) =>
      Object.fromEntries(r.images.map((i) => [i.name, [i.digest, i.refs]]));
    expect(digests(resultSchema.parse(cli.json))).toEqual(digests(result));

    // The same build as an MCP tool call over HTTP: a job of the queue, with progress.
    const client = new Client({ name: "hilt-e2e", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
        requestInit: { headers: auth },
      }),
    );
    const progress: number[] = [];
    const viaMcp = await client
      .callTool(
        { name: "build_all", arguments: { root: "cat", ...buildOptions(e, push) } },
        undefined,
        { onprogress: (p) => progress.push(p.progress), timeout: 300_000 },
      )
      .finally(() => client.close());
    expect(viaMcp.isError, JSON.stringify(viaMcp.content)).toBeFalsy();
    expect(digests(resultSchema.parse(viaMcp.structuredContent))).toEqual(digests(result));
    expect(progress).toEqual([1, 2]);
    const mcpJob = await api(server, "GET", `/jobs/${String(viaMcp._meta?.["hilt/jobId"])}`);
    expect(mcpJob.json).toMatchObject({ kind: "build-all", status: "succeeded", exitCode: 0 });

    // Resuming after event 2 replays from event 3 on, then ends.
    const resumed = await followEvents(`${server.url}/jobs/${job.id}/events`, {
      ...auth,
      "Last-Event-ID": "2",
    });
    expect(resumed[0]?.id).toBe("3");
    expect(resumed.filter((s) => s.event === undefined)).toHaveLength(events.length - 2);

    const listed = await api(server, "GET", "/jobs?status=succeeded&kind=build-all");
    expect(listed.json.jobs.map((j: { id: string }) => j.id)).toContain(job.id);
    expect(server.stderr()).not.toContain(TOKEN);
  });

  it("cancels a running build: the child ends, the job is cancelled with its partial result", async () => {
    const marker = `${300 + Math.floor(Math.random() * 500)}.75`;
    writeFiles(root, { "slow/catalog.yaml": slowCatalog(marker) });
    const push = `${e.registry}/${uniqueName("serve-cancel")}`;
    const { status, json: job } = await api(server, "POST", "/jobs", {
      kind: "build-all",
      workspace: "slow",
      options: buildOptions(e, push),
    });
    expect(status).toBe(202);
    await followEvents(`${server.url}/jobs/${job.id}/events`, auth, (s) =>
      s.data.includes('"event":"started"'),
    );
    await waitFor(() => pgrep(`sleep ${marker}`).length > 0, "the build step to run");
    const cancel = await api(server, "POST", `/jobs/${job.id}/cancel`);
    expect(cancel.status).toBe(202);
    const stream = await followEvents(`${server.url}/jobs/${job.id}/events`, auth);
    expect(JSON.parse(stream.at(-1)?.data ?? "{}").status).toBe("cancelled");
    const done = await api(server, "GET", `/jobs/${job.id}`);
    expect(done.json.status).toBe("cancelled");
    expect(done.json.exitCode).toBe(130);
    expect(resultSchema.parse(done.json.result).ok).toBe(false);
    await waitFor(() => pgrep(`sleep ${marker}`).length === 0, "the build step to end");
    expect(pgrep(push)).toEqual([]);
  });
});

describe.skipIf(!env)("hilt serve: kill -9 mid-build, then a restart", () => {
  const e = env as E2EEnv;

  it("shows the running job interrupted with its events up to the kill; the others unchanged", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "hilt-serve-kill-"));
    const marker = `${300 + Math.floor(Math.random() * 500)}.25`;
    const push = `${e.registry}/${uniqueName("serve-kill")}`;
    writeFiles(root, { "slow/catalog.yaml": slowCatalog(marker), "app/index.html": "<p>hi</p>" });
    const port = await freePort();
    const args = [
      "--workspace",
      root,
      "--queue",
      `sqlite:${path.join(root, ".queue", "jobs.db")}`,
      "--concurrency",
      "1",
      "--worker-id",
      "e2e-kill",
    ];
    const serverEnv = { ...(process.env as Record<string, string>), HILT_SERVE_TOKENS: TOKEN };
    let server = await startServe(args, serverEnv, port);
    try {
      const before = await api(server, "POST", "/jobs", { kind: "detect", workspace: "app" });
      await followEvents(`${server.url}/jobs/${before.json.id}/events`, auth);
      const finished = (await api(server, "GET", `/jobs/${before.json.id}`)).json;
      expect(finished.status).toBe("succeeded");

      const slow = await api(server, "POST", "/jobs", {
        kind: "build-all",
        workspace: "slow",
        options: buildOptions(e, push),
      });
      const seen = await followEvents(`${server.url}/jobs/${slow.json.id}/events`, auth, (s) =>
        s.data.includes('"event":"started"'),
      );
      await waitFor(() => pgrep(`sleep ${marker}`).length > 0, "the build step to run");
      const queued = await api(server, "POST", "/jobs", { kind: "detect", workspace: "app" });
      expect((await api(server, "GET", `/jobs/${queued.json.id}`)).json.status).toBe("queued");

      server.child.kill("SIGKILL");
      await server.exited;
      server = await startServe(args, serverEnv, port);
      // The killed server's CLI child, still building, was found and ended by the new one.
      expect(server.stderr()).toMatch(/"orphans":[1-9]/);
      await waitFor(() => pgrep(`sleep ${marker}`).length === 0, "the orphaned build to end");

      const interrupted = (await api(server, "GET", `/jobs/${slow.json.id}`)).json;
      expect(interrupted.status).toBe("interrupted");
      const after = await followEvents(`${server.url}/jobs/${slow.json.id}/events`, auth);
      const data = after.filter((s) => s.event === undefined);
      // Every event seen before the kill is there, unchanged and in order.
      expect(data.slice(0, seen.length)).toEqual(seen);
      expect(JSON.parse(after.at(-1)?.data ?? "{}").status).toBe("interrupted");

      expect((await api(server, "GET", `/jobs/${before.json.id}`)).json).toEqual(finished);
      // The queued job was kept, and runs on the restarted server.
      await followEvents(`${server.url}/jobs/${queued.json.id}/events`, auth);
      expect((await api(server, "GET", `/jobs/${queued.json.id}`)).json.status).toBe("succeeded");
    } finally {
      await server.stop();
      endOrphans(push);
      await waitFor(() => pgrep(`sleep ${marker}`).length === 0, "the orphaned build to end");
      rmSync(root, { recursive: true, force: true });
    }
  });
});
