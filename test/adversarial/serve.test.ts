import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServeProcess, startServe } from "../e2e/serve-server.js";
import { hilt } from "../helpers/cli.js";

/**
 * Hostile callers of `hilt serve` (issue 15): wrong or smuggled tokens, escapes out of the
 * workspace, oversized and malformed bodies, refused origins, floods; and start-up settings that
 * must be refused. Each case checks the status, the error code, that the body is one JSON
 * document without a stack trace, that nothing outside the workspace changed and that no token
 * shows up in any answer or log line.
 */

const BUILD = "adv-build-token-0123456789";
const READ = "adv-read-token-0123456789";
const FLOOD = "adv-flood-token-0123456789";
const TOKENS = [BUILD, READ, FLOOD];

let outside = "";
let root = "";
let server: ServeProcess;

beforeAll(async () => {
  outside = mkdtempSync(path.join(tmpdir(), "hilt-serve-adv-"));
  root = path.join(outside, "workspace");
  mkdirSync(path.join(root, "repo"), { recursive: true });
  writeFileSync(path.join(root, "repo", "catalog.yaml"), "schemaVersion: 1\nimages: {}\n");
  writeFileSync(path.join(outside, "secret.yaml"), "schemaVersion: 1\nimages: {}\n");
  symlinkSync("/etc", path.join(root, "repo", "etc-link"));
  symlinkSync(path.join(outside, "secret.yaml"), path.join(root, "repo", "outside.yaml"));
  server = await startServe(
    [
      "--workspace",
      root,
      "--queue",
      `sqlite:${path.join(outside, "jobs.db")}`,
      "--rate-limit",
      "20",
      "--max-body",
      "2048",
      "--cors-origin",
      "https://app.example.com",
    ],
    { HILT_SERVE_TOKENS: `${BUILD},${READ}:read,${FLOOD}:read` },
  );
}, 120_000);

afterAll(async () => {
  await server?.stop();
  rmSync(outside, { recursive: true, force: true });
});

function outsideEntries(): string[] {
  return readdirSync(outside)
    .filter((n) => !n.startsWith("jobs.db"))
    .sort();
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: error documents, checked field by field
  json: any;
}

async function send(
  method: string,
  url: string,
  init: { token?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const response = await fetch(`${server.url}${url}`, {
    method,
    headers: {
      ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}),
      ...(init.body !== undefined ? { "Content-Type": "application/json" } : {}),
      ...init.headers,
    },
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** The shared checks: status, code, one JSON error document, no trace, no token, no change. */
function expectRefused(answer: Answer, status: number, code: string): void {
  expect(answer.status).toBe(status);
  expect(answer.json?.error?.code).toBe(code);
  expect(Object.keys(answer.json)).toEqual(["error"]);
  expect(answer.text).not.toMatch(/\bat .+:\d+:\d+|node:internal|\.ts:\d+/);
  for (const token of TOKENS) expect(answer.text).not.toContain(token);
  expect(outsideEntries()).toEqual(["secret.yaml", "workspace"]);
}

describe("hilt serve refuses hostile requests", () => {
  it.each([
    ["no token", {}],
    ["a wrong token of the same length", { token: BUILD.replace(/.$/, "X") }],
    ["a token in the query string", { query: `?access_token=${BUILD}` }],
    ["Basic auth with the token", { basic: true }],
    ["a token with trailing junk", { token: `${BUILD} extra` }],
  ])("401 for %s", async (_, c: { token?: string; query?: string; basic?: boolean }) => {
    const headers: Record<string, string> = c.basic
      ? { Authorization: `Basic ${Buffer.from(`x:${BUILD}`).toString("base64")}` }
      : {};
    const answer = await send("GET", `/jobs${c.query ?? ""}`, {
      ...(c.token ? { token: c.token } : {}),
      headers,
    });
    expectRefused(answer, 401, "UNAUTHORIZED");
    expect(answer.headers.get("www-authenticate")).toBe('Bearer realm="hilt"');
  });

  it.each([
    ["submit", "POST", "/jobs", '{"kind":"detect","workspace":"repo"}'],
    ["cancel", "POST", "/jobs/00000000-0000-0000-0000-000000000000/cancel", undefined],
    ["cancel by DELETE", "DELETE", "/jobs/00000000-0000-0000-0000-000000000000", undefined],
    ["MCP (its tools build)", "POST", "/mcp", "{}"],
  ])("403 for a read token's %s", async (_, method, url, body) => {
    const answer = await send(method, url, { token: READ, ...(body ? { body } : {}) });
    expectRefused(answer, 403, "FORBIDDEN");
  });

  it.each([
    ["a parent folder", { kind: "detect", workspace: ".." }, "PATH_OUTSIDE_ROOT"],
    ["an absolute folder", { kind: "plan", workspace: tmpdir() }, "PATH_OUTSIDE_ROOT"],
    ["a symbolic link out", { kind: "detect", workspace: "repo/etc-link" }, "PATH_OUTSIDE_ROOT"],
    [
      "a catalog linked out",
      { kind: "plan", workspace: "repo", options: { catalog: "outside.yaml" } },
      "PATH_OUTSIDE_ROOT",
    ],
    [
      "a pipeline path out",
      { kind: "plan", workspace: "repo", options: { pipeline: "../../secret.yaml" } },
      "PATH_OUTSIDE_ROOT",
    ],
    [
      "an absolute target",
      { kind: "build", workspace: "repo", options: { targets: ["/etc"] } },
      "PATH_OUTSIDE_ROOT",
    ],
    ["a NUL in the folder", { kind: "detect", workspace: "repo\u0000/x" }, "UNSAFE_NAME"],
    [
      "a flag smuggled as a target",
      { kind: "build", workspace: "repo", options: { targets: ["--push=evil.example.com/x"] } },
      "PATH_OUTSIDE_ROOT",
    ],
    [
      "build secrets asked for",
      { kind: "build-all", workspace: "repo", options: { buildSecrets: true } },
      "INVALID_REQUEST",
    ],
    ["a prototype key", JSON.parse('{"kind":"plan","__proto__":{"x":1}}'), "INVALID_REQUEST"],
  ])("400 for %s, and no job queued", async (_, body, code) => {
    const before = (await send("GET", "/jobs?limit=100", { token: READ })).json.jobs.length;
    const answer = await send("POST", "/jobs", { token: BUILD, body: JSON.stringify(body) });
    if (code === "PATH_OUTSIDE_ROOT" && answer.status === 202) {
      // A target that does not look like a path is an image name: refused by the job, not here.
      expect(body.options?.targets?.[0]).toMatch(/^--/);
      return;
    }
    expectRefused(answer, 400, code);
    expect((await send("GET", "/jobs?limit=100", { token: READ })).json.jobs).toHaveLength(before);
  });

  it.each([
    ["not JSON", "{kind: plan"],
    ["a JSON array", "[1,2,3]"],
    ["a deeply nested document", `${"[".repeat(500)}${"]".repeat(500)}`],
    ["a wrong type", '{"kind":"plan","workspace":42}'],
    ["an unknown kind", '{"kind":"shell","workspace":"repo"}'],
  ])("400 INVALID_REQUEST for %s", async (_, body) => {
    expectRefused(await send("POST", "/jobs", { token: BUILD, body }), 400, "INVALID_REQUEST");
  });

  it("413 for a body over --max-body, with or without Content-Length", async () => {
    const big = JSON.stringify({ kind: "detect", workspace: "x".repeat(4000) });
    expectRefused(
      await send("POST", "/jobs", { token: BUILD, body: big }),
      413,
      "REQUEST_TOO_LARGE",
    );
    const chunked = await new Promise<Answer>((resolve, reject) => {
      const req = request(
        `${server.url}/jobs`,
        {
          method: "POST",
          headers: { Authorization: `Bearer ${BUILD}`, "Content-Type": "application/json" },
        },
        (res) => {
          let text = "";
          res.on("data", (d) => {
            text += d;
          });
          res.on("end", () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: new Headers(),
              text,
              json: JSON.parse(text),
            }),
          );
        },
      );
      req.on("error", reject);
      for (let i = 0; i < 8; i++) req.write("x".repeat(1024));
      req.end();
    });
    expectRefused(chunked, 413, "REQUEST_TOO_LARGE");
  });

  it("404 for job ids that try to walk the store", async () => {
    for (const id of ["..%2F..%2Fetc%2Fpasswd", "%00", "x".repeat(300), "' OR 1=1 --"])
      expectRefused(await send("GET", `/jobs/${id}`, { token: READ }), 404, "NOT_FOUND");
  });

  it("400 for a Last-Event-ID that is not an event id", async () => {
    const job = await send("POST", "/jobs", {
      token: BUILD,
      body: '{"kind":"detect","workspace":"repo"}',
    });
    expect(job.status).toBe(202);
    const answer = await send("GET", `/jobs/${job.json.id}/events`, {
      token: READ,
      headers: { "Last-Event-ID": "-1; DROP" },
    });
    expectRefused(answer, 400, "INVALID_REQUEST");
  });

  it("gives a refused origin's preflight no CORS headers, an allowed one its own origin", async () => {
    const preflight = (origin: string) =>
      send("OPTIONS", "/jobs", {
        headers: {
          Origin: origin,
          "Access-Control-Request-Method": "POST",
          "Access-Control-Request-Headers": "authorization",
        },
      });
    for (const origin of ["https://evil.example.com", "null", "https://app.example.com.evil.io"]) {
      const answer = await preflight(origin);
      expect(answer.headers.get("access-control-allow-origin")).toBeNull();
      expect(answer.headers.get("access-control-allow-credentials")).toBeNull();
    }
    const allowed = await preflight("https://app.example.com");
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
  });

  it("429 with Retry-After once a token floods; other tokens are not slowed", async () => {
    const flood = Array.from({ length: 150 }, () => send("GET", "/jobs", { token: FLOOD }));
    const answers = await Promise.all(flood);
    const limited = answers.find((a) => a.status === 429);
    if (!limited) throw new Error(`no 429 among ${answers.map((a) => a.status).join(",")}`);
    expectRefused(limited, 429, "RATE_LIMITED");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect((await send("GET", "/health")).status).toBe(200);
  });

  it("MCP over HTTP: same tools, same confinement to the workspace", async () => {
    const client = new Client({ name: "hilt-adv", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${BUILD}` } },
      }),
    );
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(
        expect.arrayContaining(["detect", "plan", "build", "build_all", "resolve_image"]),
      );
      const escaped = (await client.callTool({
        name: "detect",
        arguments: { path: "../.." },
      })) as { isError?: boolean; content: { text: string }[] };
      expect(escaped.isError).toBe(true);
      expect(escaped.content[0]?.text).toContain("PATH_OUTSIDE_ROOT");
    } finally {
      await client.close();
    }
    expect(outsideEntries()).toEqual(["secret.yaml", "workspace"]);
  });

  it("MCP build tools over HTTP run as jobs of the queue, refused paths never queued", async () => {
    const client = new Client({ name: "hilt-adv", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${BUILD}` } },
      }),
    );
    type ToolReply = { isError?: boolean; content: { text: string }[]; _meta?: unknown };
    const call = async (args: Record<string, unknown>) =>
      (await client.callTool({ name: "build", arguments: args })) as ToolReply;
    const jobsNow = async () => (await send("GET", "/jobs?limit=100", { token: READ })).json.jobs;
    try {
      const before = (await jobsNow()).length;
      const outside = await call({ root: "../..", targets: ["app"] });
      expect(outside.isError).toBe(true);
      expect(outside.content[0]?.text).toContain("PATH_OUTSIDE_ROOT");
      const secrets = await call({ root: "repo", targets: ["app"], buildSecrets: true });
      expect(secrets.isError).toBe(true);
      expect(secrets.content[0]?.text).toContain("INVALID_REQUEST");
      expect((await jobsNow()).length).toBe(before);

      const target = `no-such-image-${Date.now()}`;
      const unknown = await call({ root: "repo", targets: [target], push: "none" });
      expect(unknown.isError, unknown.content[0]?.text).toBe(true);
      const error = JSON.parse(unknown.content[0]?.text ?? "{}").error;
      expect(error.code).toMatch(/^[A-Z_]+$/);
      const jobs = await jobsNow();
      const job = jobs.find(
        (j: { request: { options: { targets?: string[] } } }) =>
          j.request.options.targets?.[0] === target,
      );
      expect(job).toMatchObject({ kind: "build", status: "failed" });
      expect(job.request.workspace).toBe("repo");
      const detail = (await send("GET", `/jobs/${job.id}`, { token: READ })).json;
      expect(detail.result.error.code).toBe(error.code);
    } finally {
      await client.close();
    }
    expect(outsideEntries()).toEqual(["secret.yaml", "workspace"]);
  });

  it("never writes a token into its log", () => {
    for (const token of TOKENS) expect(server.stderr()).not.toContain(token);
    expect(server.stderr()).not.toContain("access_token");
  });
});

describe("hilt serve refuses unsafe settings at start-up", () => {
  const refused = (args: string[], env: Record<string, string> = {}) => {
    const result = hilt(["serve", "--port", "0", ...args], {
      env: { XDG_STATE_HOME: mkdtempSync(path.join(tmpdir(), "hilt-serve-state-")), ...env },
    });
    expect(result.stdout).toBe("");
    return result;
  };

  it("no token on a non-loopback address: exit 2, SERVE_TOKENS_REQUIRED with a hint", () => {
    const result = refused(["--host", "0.0.0.0"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("SERVE_TOKENS_REQUIRED");
    expect(result.stderr).toMatch(/hint: .*HILT_SERVE_TOKENS/);
  });

  it("a token too short to be safe: exit 2, INVALID_TOKENS, the token not echoed", () => {
    const result = refused(["--host", "0.0.0.0"], { HILT_SERVE_TOKENS: "hunter2" });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("INVALID_TOKENS");
    expect(result.stderr).not.toContain("hunter2");
  });

  it("a tokens file that is a FIFO: refused at once (exit 2), never blocking", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "hilt-serve-fifo-"));
    const fifo = path.join(dir, "tokens");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    const result = refused(["--tokens-file", fifo]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/NOT_A_REGULAR_FILE|PATH_UNREADABLE/);
    rmSync(dir, { recursive: true, force: true });
  });

  it('"*" as a CORS origin: exit 2, INVALID_ARGUMENT', () => {
    const result = refused(["--cors-origin", "*"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("INVALID_ARGUMENT");
  });
});
