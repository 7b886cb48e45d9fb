import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/serve/app.js";
import { JobSignals } from "../../src/serve/events-bus.js";
import { MemoryStore } from "../../src/serve/memory-store.js";
import { openApiDocument } from "../../src/serve/openapi.js";
import { tokenBuckets } from "../../src/serve/rate-limit.js";
import { JobSources } from "../../src/serve/sources/job-sources.js";
import { matchToken, parseTokens } from "../../src/serve/tokens.js";
import { tempRepo } from "../helpers/cli.js";
import { tgzOf } from "../helpers/tar-builder.js";

const BUILD = "build-token-0123456789";
// biome-ignore lint/suspicious/noExplicitAny: API documents, checked field by field
type JsonResponse = Omit<Response, "json"> & { json(): Promise<any> };
const READ = "read-token-0123456789";

function setup(
  options: {
    tokens?: boolean;
    burst?: number;
    maxBody?: number;
    keepAliveMs?: number;
    sources?: boolean;
  } = {},
) {
  const root = tempRepo({ "repo/catalog.yaml": "schemaVersion: 1\nimages: {}\n" });
  const sources = options.sources
    ? new JobSources({
        dir: tempRepo({}),
        timeoutMs: 5000,
        maxBytes: 100_000,
        maxEntries: 50,
        insecureHosts: [],
      })
    : undefined;
  const store = new MemoryStore();
  const logs: Record<string, unknown>[] = [];
  const queued: string[] = [];
  const cancelled: string[] = [];
  const app = createApp({
    store,
    signals: new JobSignals(),
    root,
    version: "test",
    tokens: options.tokens === false ? [] : parseTokens(`${BUILD},${READ}:read`, "test"),
    corsOrigins: ["https://app.example.com"],
    rateLimit: { burst: options.burst ?? 1000, perSecond: 1 },
    maxBodyBytes: options.maxBody ?? 4096,
    log: (entry) => logs.push(entry),
    queued: () => queued.push("wake"),
    cancelled: (id) => cancelled.push(id),
    ...(options.keepAliveMs ? { keepAliveMs: options.keepAliveMs } : {}),
    ...(sources ? { sources } : {}),
  });
  const call = (
    method: string,
    url: string,
    init: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ) =>
    app.request(url, {
      method,
      headers: {
        ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}),
        ...(init.body !== undefined ? { "Content-Type": "application/json" } : {}),
        ...init.headers,
      },
      ...(init.body !== undefined
        ? { body: typeof init.body === "string" ? init.body : JSON.stringify(init.body) }
        : {}),
    }) as unknown as Promise<JsonResponse>;
  return { app, store, root, logs, queued, cancelled, call, sources };
}

describe("hilt serve: authentication and scopes", () => {
  it("answers /health and /ready without a token", async () => {
    const { call } = setup();
    expect((await call("GET", "/health")).status).toBe(200);
    expect(await (await call("GET", "/ready")).json()).toEqual({ ok: true });
  });

  it("refuses a missing or wrong token (401) and a read token building (403)", async () => {
    const { call } = setup();
    const none = await call("GET", "/jobs");
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect((await none.json()).error.code).toBe("UNAUTHORIZED");
    const wrong = await call("GET", "/jobs", { token: `${BUILD}x` });
    expect(wrong.status).toBe(401);
    const body = { kind: "plan", workspace: "repo" };
    const readOnly = await call("POST", "/jobs", { token: READ, body });
    expect(readOnly.status).toBe(403);
    expect((await readOnly.json()).error.code).toBe("FORBIDDEN");
    expect((await call("GET", "/jobs", { token: READ })).status).toBe(200);
    expect((await call("POST", "/jobs", { token: BUILD, body })).status).toBe(202);
  });

  it("logs requests without tokens or query strings", async () => {
    const { call, logs } = setup();
    await call("GET", "/jobs?cursor=secret-in-query", { token: BUILD });
    const text = JSON.stringify(logs);
    expect(logs.some((l) => l.msg === "request" && l.path === "/jobs")).toBe(true);
    expect(text).not.toContain(BUILD);
    expect(text).not.toContain("secret-in-query");
  });

  it("without tokens every local caller may read and build", async () => {
    const { call } = setup({ tokens: false });
    expect((await call("POST", "/jobs", { body: { kind: "detect" } })).status).toBe(202);
  });

  it("token files: scopes, short tokens refused, matching by hash", () => {
    const tokens = parseTokens(`# ops\n${BUILD}\n${READ}:read\n`, "file");
    expect(matchToken(tokens, BUILD)?.scopes.has("build")).toBe(true);
    expect(matchToken(tokens, READ)?.scopes.has("build")).toBe(false);
    expect(matchToken(tokens, "nope")).toBeUndefined();
    expect(JSON.stringify(tokens.map((t) => t.id))).not.toContain(BUILD);
    expect(() => parseTokens("short", "file")).toThrow(/shorter than 16/);
    expect(() => parseTokens(`${BUILD}:admin`, "file")).toThrow(/unknown scope/);
  });
});

describe("hilt serve: jobs API", () => {
  it("submits, gets, lists, cancels; an Idempotency-Key returns the first job", async () => {
    const { call, queued, cancelled } = setup();
    const body = { kind: "build-all", workspace: "repo", options: { push: "none" } };
    const headers = { "Idempotency-Key": "k-1" };
    const first = await call("POST", "/jobs", { token: BUILD, body, headers });
    expect(first.status).toBe(202);
    const job = await first.json();
    expect(first.headers.get("location")).toBe(`/jobs/${job.id}`);
    expect(job).toMatchObject({ kind: "build-all", status: "queued", owner: expect.any(String) });
    const again = await call("POST", "/jobs", { token: BUILD, body, headers });
    expect(again.status).toBe(200);
    expect((await again.json()).id).toBe(job.id);
    const other = await call("POST", "/jobs", {
      token: BUILD,
      body: { ...body, options: { push: "ttl.sh" } },
      headers,
    });
    expect(other.status).toBe(409);
    expect(queued).toHaveLength(1);
    expect((await (await call("GET", `/jobs/${job.id}`, { token: READ })).json()).id).toBe(job.id);
    const page = await (await call("GET", "/jobs?kind=build-all&limit=1", { token: READ })).json();
    expect(page.jobs.map((j: { id: string }) => j.id)).toEqual([job.id]);
    const cancel = await call("POST", `/jobs/${job.id}/cancel`, { token: BUILD });
    expect(cancel.status).toBe(202);
    expect((await cancel.json()).status).toBe("cancelled");
    expect(cancelled).toEqual([job.id]);
    expect((await call("GET", "/jobs/nope", { token: READ })).status).toBe(404);
  });

  it("pages through jobs with the cursor", async () => {
    const { call } = setup();
    for (let i = 0; i < 5; i++)
      await call("POST", "/jobs", { token: BUILD, body: { kind: "detect", workspace: "repo" } });
    const seen: string[] = [];
    let cursor = "";
    for (let i = 0; i < 5; i++) {
      const page = await (await call("GET", `/jobs?limit=2${cursor}`, { token: READ })).json();
      seen.push(...page.jobs.map((j: { id: string }) => j.id));
      if (!page.next) break;
      cursor = `&cursor=${page.next}`;
    }
    expect(new Set(seen).size).toBe(5);
  });

  it.each([
    ["a parent folder", { kind: "plan", workspace: "../.." }, "PATH_OUTSIDE_ROOT"],
    ["an absolute path", { kind: "detect", workspace: "/etc" }, "PATH_OUTSIDE_ROOT"],
    [
      "a catalog outside",
      { kind: "plan", workspace: "repo", options: { catalog: "../../etc/passwd" } },
      "PATH_OUTSIDE_ROOT",
    ],
    [
      "a target outside",
      { kind: "build", workspace: "repo", options: { targets: ["../../../tmp"] } },
      "PATH_OUTSIDE_ROOT",
    ],
    ["a NUL byte", { kind: "detect", workspace: "repo\u0000x" }, "UNSAFE_NAME"],
    ["an unknown kind", { kind: "exec", workspace: "." }, "INVALID_REQUEST"],
    ["an unknown option", { kind: "plan", options: { buildSecrets: true } }, "INVALID_REQUEST"],
    ["build without targets", { kind: "build", options: {} }, "INVALID_REQUEST"],
    ["not JSON", "{kind:", "INVALID_REQUEST"],
  ])("refuses %s with 400 and a code", async (_, body, code) => {
    const { call, store } = setup();
    const response = await call("POST", "/jobs", { token: BUILD, body });
    expect(response.status).toBe(400);
    const json = await response.json();
    expect(json.error.code).toBe(code);
    expect(JSON.stringify(json)).not.toMatch(/at .*\.ts:\d+/);
    expect((await store.list({ limit: 10 })).jobs).toEqual([]);
  });

  it("refuses a workspace that is a symbolic link out of the root", async () => {
    const { call, root } = setup();
    mkdirSync(path.join(root, "repo", "inner"));
    symlinkSync("/etc", path.join(root, "repo", "inner", "escape"));
    const response = await call("POST", "/jobs", {
      token: BUILD,
      body: { kind: "detect", workspace: "repo/inner/escape" },
    });
    expect(response.status).toBe(400);
    expect((await response.json()).error.code).toBe("PATH_OUTSIDE_ROOT");
  });

  it("refuses a bad Idempotency-Key", async () => {
    const { call } = setup();
    const response = await call("POST", "/jobs", {
      token: BUILD,
      body: { kind: "detect" },
      headers: { "Idempotency-Key": "x".repeat(201) },
    });
    expect(response.status).toBe(400);
  });

  it("streams a finished job's events as SSE from Last-Event-ID, then ends", async () => {
    const { call, store } = setup();
    const { job } = await store.submit(
      { kind: "detect", workspace: ".", options: {} },
      { owner: "local" },
    );
    await store.claim("w");
    for (const n of [1, 2, 3]) await store.appendEvent(job.id, { event: "log", message: `m${n}` });
    await store.finish(job.id, { status: "succeeded", exitCode: 0, result: { ok: true } });
    const response = await call("GET", `/jobs/${job.id}/events`, {
      token: READ,
      headers: { "Last-Event-ID": "1" },
    });
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const text = await response.text();
    expect(text).not.toContain('"m1"');
    expect(text).toContain('data: {"event":"log","message":"m2"}\nid: 2');
    expect(text).toContain("id: 3");
    expect(text).toMatch(/event: end\ndata: \{"id":"[^"]+","status":"succeeded"\}/);
  });
});

describe("hilt serve: SSE of a job still waiting", () => {
  it("sends keep-alive comments while nothing happens, and stops when the client goes", async () => {
    const { call, store } = setup({ keepAliveMs: 30 });
    const { job } = await store.submit(
      { kind: "detect", workspace: ".", options: {} },
      { owner: "local" },
    );
    const response = await call("GET", `/jobs/${job.id}/events`, { token: READ });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let text = "";
    while (!text.includes(": keep-alive\n\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    await reader.cancel();
    expect(text).toContain(": keep-alive\n\n");
    expect(text).not.toContain("event: end");
  });
});

describe("hilt serve: limits and CORS", () => {
  it("answers 429 with Retry-After once a token's bucket is empty", async () => {
    const { call } = setup({ burst: 3 });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await call("GET", "/jobs", { token: READ })).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const limited = await call("GET", "/jobs", { token: READ });
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect((await limited.json()).error.code).toBe("RATE_LIMITED");
    // Another token has its own bucket.
    expect((await call("GET", "/jobs", { token: BUILD })).status).toBe(200);
  });

  it("refills buckets over time", () => {
    let now = 0;
    const buckets = tokenBuckets({ burst: 1, perSecond: 2 }, () => now);
    expect(buckets.take("a")).toBe(0);
    expect(buckets.take("a")).toBe(1);
    now = 600;
    expect(buckets.take("a")).toBe(0);
  });

  it("answers 413 to a body over the limit", async () => {
    const { call } = setup({ maxBody: 1024 });
    const response = await call("POST", "/jobs", {
      token: BUILD,
      body: { kind: "detect", workspace: "x".repeat(2000) },
    });
    expect(response.status).toBe(413);
    expect((await response.json()).error.code).toBe("REQUEST_TOO_LARGE");
  });

  it("allows a listed origin's preflight and gives a refused one no allow header", async () => {
    const { call } = setup();
    const preflight = (origin: string) =>
      call("OPTIONS", "/jobs", {
        headers: {
          Origin: origin,
          "Access-Control-Request-Method": "POST",
          "Access-Control-Request-Headers": "authorization,content-type",
        },
      });
    const allowed = await preflight("https://app.example.com");
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(allowed.headers.get("access-control-allow-headers")).toMatch(/Authorization/);
    const refused = await preflight("https://evil.example.com");
    expect(refused.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("hilt serve: OpenAPI", () => {
  it("documents every route with components from the zod schemas, no $schema inside", () => {
    const doc = openApiDocument("1.0.0") as {
      openapi: string;
      paths: Record<string, unknown>;
      components: { schemas: Record<string, Record<string, unknown>> };
    };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        "/health",
        "/ready",
        "/jobs",
        "/jobs/{id}",
        "/jobs/{id}/cancel",
        "/jobs/{id}/events",
        "/jobs/archive",
        "/mcp",
        "/resolve-image",
        "/openapi.json",
      ].sort(),
    );
    const text = JSON.stringify(doc);
    expect(text).not.toContain("$schema");
    for (const [, target] of text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g))
      expect(doc.components.schemas[target as string]).toBeDefined();
    expect(JSON.stringify(doc.components.schemas.JobRequest)).toContain("build-all");
  });

  it("is served to a read token", async () => {
    const { call } = setup();
    const response = await call("GET", "/openapi.json", { token: READ });
    expect((await response.json()).openapi).toBe("3.1.0");
  });
});

describe("hilt serve: git and archive sources", () => {
  const CATALOG = "schemaVersion: 1\nimages: {}\n";
  const upload = (
    app: ReturnType<typeof setup>["app"],
    body: Buffer,
    query = "kind=plan",
    headers: Record<string, string> = {},
  ) =>
    app.request(`/jobs/archive?${query}`, {
      method: "POST",
      body: new Uint8Array(body),
      headers: {
        Authorization: `Bearer ${BUILD}`,
        "Content-Type": "application/gzip",
        ...headers,
      },
    }) as unknown as Promise<JsonResponse>;
  const uploads = (dir: string) => readdirSync(dir).filter((n) => n.startsWith("upload-"));

  it("refuses git URLs the policy refuses, before any network, and stores nothing", async () => {
    const { call, store } = setup({ sources: true });
    for (const [git, code] of [
      ["file:///etc", "GIT_URL_REFUSED"],
      ["ext::sh -c id", "GIT_URL_REFUSED"],
      ["https://user:hunter2@example.com/r.git", "GIT_URL_REFUSED"],
      ["http://example.com/r.git", "GIT_URL_REFUSED"],
    ]) {
      const response = await call("POST", "/jobs", {
        token: BUILD,
        body: { kind: "plan", source: { git } },
      });
      expect(response.status).toBe(400);
      const text = await response.text();
      expect(JSON.parse(text).error.code).toBe(code);
      expect(text).not.toContain("hunter2");
    }
    const bad = await call("POST", "/jobs", {
      token: BUILD,
      body: { kind: "plan", source: { git: "https://example.com/r.git", ref: "--upload-pack=x" } },
    });
    expect((await bad.json()).error.code).toBe("GIT_REF_INVALID");
    const outside = await call("POST", "/jobs", {
      token: BUILD,
      body: { kind: "plan", workspace: "../..", source: { git: "https://example.com/r.git" } },
    });
    expect((await outside.json()).error.code).toBe("PATH_OUTSIDE_ROOT");
    expect((await store.list({ limit: 10 })).jobs).toEqual([]);
  });

  it("pins a full commit id without any network; a retried key is the same job", async () => {
    const { call } = setup({ sources: true });
    const sha = "0123456789abcdef0123456789abcdef01234567";
    const body = { kind: "plan", source: { git: "https://example.com/r.git", ref: sha } };
    const headers = { "Idempotency-Key": "git-1" };
    const first = await call("POST", "/jobs", { token: BUILD, body, headers });
    expect(first.status).toBe(202);
    const job = await first.json();
    expect(job.request.source).toEqual({ git: "https://example.com/r.git", ref: sha, commit: sha });
    const again = await call("POST", "/jobs", { token: BUILD, body, headers });
    expect(again.status).toBe(200);
    expect((await again.json()).id).toBe(job.id);
    const other = { ...body, source: { ...body.source, ref: sha.replace("0", "f") } };
    expect((await call("POST", "/jobs", { token: BUILD, body: other, headers })).status).toBe(409);
    // A folder job is stored as before: no source at all.
    const folder = await call("POST", "/jobs", {
      token: BUILD,
      body: { kind: "plan", workspace: "repo" },
    });
    expect(Object.keys((await folder.json()).request).sort()).toEqual([
      "kind",
      "options",
      "workspace",
    ]);
  });

  it("refuses a source on a server without sources", async () => {
    const { call } = setup();
    const response = await call("POST", "/jobs", {
      token: BUILD,
      body: { kind: "plan", source: { git: "https://example.com/r.git" } },
    });
    expect(response.status).toBe(400);
    expect((await response.json()).error.code).toBe("INVALID_REQUEST");
  });

  it("unpacks an upload before the 202 and removes it when the queued job is cancelled", async () => {
    const { app, call, sources, queued } = setup({ sources: true, maxBody: 100_000 });
    const body = tgzOf([
      { name: "app/", type: "5" },
      { name: "app/catalog.yaml", body: CATALOG },
    ]);
    const response = await upload(app, body, "kind=plan&workspace=app");
    expect(response.status).toBe(202);
    const job = await response.json();
    expect(job.request.workspace).toBe("app");
    expect(job.request.source.archive).toMatchObject({ format: "tar+gzip", bytes: body.length });
    expect(job.request.source.archive.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(queued).toEqual(["wake"]);
    const dir = sources?.dir ?? "";
    const [folder] = uploads(dir);
    expect(readFileSync(path.join(dir, folder ?? "", "app", "catalog.yaml"), "utf8")).toBe(CATALOG);
    expect((await call("POST", `/jobs/${job.id}/cancel`, { token: BUILD })).status).toBe(202);
    expect(uploads(dir)).toEqual([]);
  });

  it("a retried upload with the same key is the first job; other bytes under it are 409", async () => {
    const { app, sources } = setup({ sources: true, maxBody: 100_000 });
    const body = tgzOf([{ name: "catalog.yaml", body: CATALOG }]);
    const key = { "Idempotency-Key": "upload-1" };
    const first = await (await upload(app, body, "kind=plan", key)).json();
    const again = await upload(app, body, "kind=plan", key);
    expect(again.status).toBe(200);
    expect((await again.json()).id).toBe(first.id);
    const other = await upload(app, tgzOf([{ name: "x", body: "y" }]), "kind=plan", key);
    expect(other.status).toBe(409);
    expect(uploads(sources?.dir ?? "")).toHaveLength(1);
  });

  it("refuses hostile or broken uploads with a code and keeps nothing", async () => {
    const { app, sources } = setup({ sources: true, maxBody: 100_000 });
    const cases: [Buffer, string, number][] = [
      [tgzOf([{ name: "l", type: "2", linkname: "/etc" }]), "ARCHIVE_ENTRY_REFUSED", 400],
      [tgzOf([{ name: "../x", body: "y" }]), "ARCHIVE_ENTRY_REFUSED", 400],
      [Buffer.from("not an archive"), "ARCHIVE_INVALID", 400],
      [tgzOf([{ name: "big", body: "x".repeat(200_000) }]), "SOURCE_TOO_LARGE", 413],
    ];
    for (const [body, code, status] of cases) {
      const response = await upload(app, body);
      expect(response.status).toBe(status);
      expect((await response.json()).error.code).toBe(code);
    }
    expect(uploads(sources?.dir ?? "")).toEqual([]);
  });

  it("checks the query: kind required, options JSON, paths inside the archive", async () => {
    const { app } = setup({ sources: true, maxBody: 100_000 });
    const body = tgzOf([{ name: "catalog.yaml", body: CATALOG }]);
    for (const query of [
      "",
      "kind=deploy",
      "kind=plan&options=%7Bnot",
      "kind=plan&workspace=../x",
    ]) {
      const response = await upload(app, body, query);
      expect(response.status).toBe(400);
      expect((await response.json()).error.code).toMatch(/^(INVALID_REQUEST|PATH_OUTSIDE_ROOT)$/);
    }
  });

  it("answers other methods on /jobs/archive and /mcp with 405 and Allow: POST", async () => {
    const { call } = setup({ sources: true });
    for (const [method, url] of [
      ["GET", "/jobs/archive"],
      ["PUT", "/jobs/archive"],
      ["GET", "/mcp"],
      ["DELETE", "/mcp"],
    ] as const) {
      const response = await call(method, url, { token: BUILD });
      expect(response.status).toBe(405);
      expect(response.headers.get("allow")).toBe("POST");
    }
  });

  it("sweeps the folders no queued or running job needs", async () => {
    const { app, store, sources } = setup({ sources: true, maxBody: 100_000 });
    const body = tgzOf([{ name: "catalog.yaml", body: CATALOG }]);
    const kept = await (await upload(app, body)).json();
    const done = await (await upload(app, body, "kind=detect")).json();
    await store.finish(done.id, { status: "failed" });
    const dir = sources?.dir ?? "";
    mkdirSync(path.join(dir, "git-gone"));
    // A fresh upload may belong to a submit still under way: kept within the grace period.
    expect(await sources?.sweep(store)).toBe(1);
    expect(existsSync(path.join(dir, "git-gone"))).toBe(false);
    expect(uploads(dir)).toHaveLength(2);
    expect(await sources?.sweep(store, 0)).toBe(1);
    expect(uploads(dir)).toEqual([`upload-${kept.request.source.archive.upload}`]);
  });
});
