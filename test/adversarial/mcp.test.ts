import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NODE_ARGS } from "../helpers/cli.js";
import { leftovers, type SlowBuild, sleepers, slowBuild, until } from "./slow-build.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const TOKEN = "npm_MCP_t0ken_must_not_leak";

// biome-ignore lint/suspicious/noExplicitAny: JSON-RPC replies, checked field by field
type Reply = any;

/** `hilt mcp` spoken to line by line, as a hostile or broken client would. */
class RawClient {
  readonly child: ChildProcessWithoutNullStreams;
  readonly lines: string[] = [];
  private waiting: (() => void)[] = [];
  private buffer = "";
  readonly exited: Promise<number | null>;
  stderr = "";

  constructor(cwd: string, env: Record<string, string>) {
    this.child = spawn(process.execPath, [...NODE_ARGS, "mcp"], { cwd, env });
    this.child.stdout.on("data", (d: Buffer) => {
      this.buffer += d.toString("utf8");
      let newline = this.buffer.indexOf("\n");
      while (newline >= 0) {
        this.lines.push(this.buffer.slice(0, newline));
        this.buffer = this.buffer.slice(newline + 1);
        newline = this.buffer.indexOf("\n");
      }
      for (const wake of this.waiting.splice(0)) wake();
    });
    this.child.stderr.on("data", (d) => {
      this.stderr += d;
    });
    this.exited = new Promise((resolve) => this.child.on("close", (code) => resolve(code)));
  }

  private read = 0;

  /** The next line on stdout, parsed: each must be exactly one JSON document. */
  async next(): Promise<Reply> {
    while (this.lines.length <= this.read)
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    const line = this.lines[this.read++] as string;
    return JSON.parse(line);
  }

  write(data: string | Buffer): void {
    this.child.stdin.write(data);
  }

  async exchange(line: string | object): Promise<Reply> {
    this.write(`${typeof line === "string" ? line : JSON.stringify(line)}\n`);
    return this.next();
  }

  call(id: number, name: unknown, args?: unknown): Promise<Reply> {
    const params = args === undefined ? { name } : { name, arguments: args };
    return this.exchange({ jsonrpc: "2.0", id, method: "tools/call", params });
  }

  /** A ping answered proves the server is alive and read everything sent before. */
  async alive(id: number): Promise<void> {
    expect(await this.exchange({ jsonrpc: "2.0", id, method: "ping" })).toEqual({
      jsonrpc: "2.0",
      id,
      result: {},
    });
  }
}

function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", ...extra };
}

function expectError(reply: Reply, code: number, id: string | number | null, message?: RegExp) {
  expect(reply.jsonrpc).toBe("2.0");
  expect(reply.id).toBe(id);
  expect(reply.error.code).toBe(code);
  expect(typeof reply.error.message).toBe("string");
  expect(reply.error.message).not.toMatch(/"code":\s*"invalid_type"|^\s*\[/);
  if (message) expect(reply.error.message).toMatch(message);
  expect(JSON.stringify(reply)).not.toContain(TOKEN);
}

/** A tool error (the call ran and failed): a coded Hilt error inside an isError result. */
function toolError(reply: Reply): { code: string; message: string } {
  expect(reply.result.isError).toBe(true);
  const body = JSON.parse(reply.result.content[0].text);
  expect(body.ok).toBe(false);
  expect(body.error.code).toMatch(/^[A-Z_]+$/);
  return body.error;
}

describe("hilt mcp against protocol abuse (one server, many bad messages)", () => {
  let client: RawClient;
  beforeAll(() => {
    client = new RawClient(ROOT, baseEnv({ NPM_TOKEN: TOKEN }));
  });
  afterAll(async () => {
    client.child.stdin.end();
    expect(await client.exited).toBe(0);
    // Every line the server wrote is one JSON document, and none carries the token.
    for (const line of client.lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(client.lines.join("\n") + client.stderr).not.toContain(TOKEN);
  });

  it("a line that is not JSON: -32700, and the server goes on", async () => {
    expectError(await client.exchange("this is not json"), -32700, null, /Parse error/);
    await client.alive(1);
  });

  it("truncated JSON: -32700", async () => {
    expectError(await client.exchange('{"jsonrpc":"2.0","id":2,'), -32700, null);
  });

  it("bytes that are not UTF-8: -32700", async () => {
    client.write(Buffer.from([0xff, 0xfe, 0x7b, 0x0a]));
    expectError(await client.next(), -32700, null);
    await client.alive(3);
  });

  it.each([
    ["jsonrpc 1.0", { jsonrpc: "1.0", id: 4, method: "ping" }, 4],
    ["jsonrpc missing", { id: 5, method: "ping" }, 5],
    ["jsonrpc as a number", { jsonrpc: 2, id: 6, method: "ping" }, 6],
  ])("%s: -32600 with the request's id", async (_, message, id) => {
    expectError(await client.exchange(message), -32600, id, /jsonrpc/);
  });

  it.each([
    ["a batch", [{ jsonrpc: "2.0", id: 7, method: "ping" }], /batch/],
    ["a number", 42, /object/],
    ["null", null, /object/],
    ["a string", "ping", /object/],
  ])("%s instead of a message: -32600", async (_, message, text) => {
    expectError(await client.exchange(JSON.stringify(message)), -32600, null, text);
  });

  it("an object as the id: -32600", async () => {
    const reply = await client.exchange({ jsonrpc: "2.0", id: { x: 1 }, method: "ping" });
    expectError(reply, -32600, null, /id/);
  });

  it("an unknown top-level key (a __proto__ attempt): -32600 naming it, nothing polluted", async () => {
    const reply = await client.exchange(
      '{"jsonrpc":"2.0","id":29,"method":"ping","__proto__":{"polluted":true}}',
    );
    expectError(reply, -32600, 29, /unknown key "__proto__"/);
    await client.alive(30);
  });

  it("a method that is not a string: -32600", async () => {
    expectError(await client.exchange({ jsonrpc: "2.0", id: 8, method: 7 }), -32600, 8, /method/);
  });

  it.each([
    ["a string", "build"],
    ["an array", ["build"]],
    ["null", null],
    ["a number", 1],
  ])("tools/call with params as %s: -32602 (answered, not dropped)", async (_, params) => {
    const reply = await client.exchange({ jsonrpc: "2.0", id: 9, method: "tools/call", params });
    expectError(reply, -32602, 9, /params: must be an object/);
  });

  it("tools/call without params, or without a name: -32602", async () => {
    const bare = await client.exchange({ jsonrpc: "2.0", id: 10, method: "tools/call" });
    expectError(bare, -32602, 10, /params\.name/);
    expectError(await client.call(11, 12345), -32602, 11, /params\.name/);
  });

  it.each(["no_such_tool", "__proto__", "constructor", "toString", "x".repeat(5000)])(
    "unknown tool %#: -32602 naming the tools",
    async (name) => {
      const reply = await client.call(12, name, {});
      expectError(reply, -32602, 12, /unknown tool .*tools: detect, plan, build/);
      expect(reply.error.message.length).toBeLessThan(400);
    },
  );

  it("arguments that are not an object: -32602", async () => {
    expectError(
      await client.call(13, "plan", "targets"),
      -32602,
      13,
      /arguments: expected an object/,
    );
  });

  it("a string where an array of strings belongs: a readable -32602", async () => {
    const reply = await client.call(14, "build", { targets: "core-base" });
    expectError(
      reply,
      -32602,
      14,
      /^invalid arguments for build: arguments\.targets: expected an array of strings, got a string$/,
    );
  });

  it("an array with a number in it: the item is named", async () => {
    const reply = await client.call(15, "plan", { targets: ["ok", 7] });
    expectError(reply, -32602, 15, /arguments\.targets\.1: expected a string, got a number/);
  });

  it("an unknown argument: -32602 with a suggestion", async () => {
    const reply = await client.call(16, "plan", { target: ["core-base"] });
    expectError(
      reply,
      -32602,
      16,
      /arguments\.target: unknown argument \(did you mean targets\?\)/,
    );
  });

  it.each([
    [{ concurrency: 0 }, /arguments\.concurrency: must be at least 1/],
    [{ concurrency: 1.5 }, /arguments\.concurrency: expected a whole number/],
    [{ engine: "podman" }, /arguments\.engine: expected one of "dagger", "docker", "auto"/],
    [{ buildSecrets: "yes" }, /arguments\.buildSecrets: expected true or false, got a string/],
  ])("bad build argument %#: -32602", async (args, text) => {
    expectError(await client.call(17, "build", args), -32602, 17, text);
  });

  it("baseImages values must be image references", async () => {
    const reply = await client.call(18, "plan", { baseImages: { debian: "Not A Ref!" } });
    expectError(reply, -32602, 18, /arguments\.baseImages\.debian: not an image reference/);
    const huge = await client.call(19, "plan", {
      baseImages: { debian: `a:${"b".repeat(20000)}` },
    });
    expectError(huge, -32602, 19, /longer than 512 characters/);
    expect(huge.error.message.length).toBeLessThan(300);
  });

  it("resolve_image without its required mode: -32602", async () => {
    const reply = await client.call(20, "resolve_image", {});
    expectError(reply, -32602, 20, /arguments\.mode: expected one of "session", "task"/);
  });

  it("an unknown method: -32601", async () => {
    const reply = await client.exchange({ jsonrpc: "2.0", id: 21, method: "hilt/shell" });
    expectError(reply, -32601, 21);
  });

  it("a notification with bad params is answered with id null, not ignored silently", async () => {
    const reply = await client.exchange({ jsonrpc: "2.0", method: "notifications/x", params: 1 });
    expectError(reply, -32602, null);
  });

  it("blank lines and stray responses get no reply", async () => {
    client.write("\n\r\n   \n");
    client.write(`${JSON.stringify({ jsonrpc: "2.0", id: 999, result: {} })}\n`);
    await client.alive(22);
  });

  it("a line over the size limit: -32600, skipped, and the server goes on", async () => {
    const big = `{"jsonrpc":"2.0","id":23,"method":"ping","params":{"x":"${"a".repeat(11 * 1024 * 1024)}"}}`;
    expectError(await client.exchange(big), -32600, null, /larger than \d+ bytes/);
    await client.alive(24);
  });

  it("a path that climbs out of the repository: a coded tool error, no file contents", async () => {
    const reply = await client.call(25, "plan", { catalog: "../../../../../../etc/passwd" });
    const error = toolError(reply);
    expect(JSON.stringify(reply)).not.toMatch(/root:x:0:0/);
    expect(error.code).toBe("PATH_OUTSIDE_ROOT");
  });

  it("a root that does not exist: a coded tool error", async () => {
    const error = toolError(await client.call(26, "plan", { root: "/nonexistent/hilt-root" }));
    expect(error.code).toBe("PATH_OUTSIDE_ROOT");
  });

  it("a NUL byte in a path: a coded tool error, not a crash", async () => {
    const error = toolError(await client.call(27, "detect", { path: "examples/\u0000/x" }));
    expect(error.code).not.toBe("INTERNAL");
    await client.alive(28);
  });

  it("generate asked to write outside the workspace: a coded tool error, nothing written", async () => {
    const outside = mkdtempSync(path.join(tmpdir(), "hilt-mcp-outside-"));
    writeFileSync(path.join(outside, "package.json"), '{"name":"x","scripts":{"start":"x"}}');
    const reply = await client.call(29, "generate", { path: outside, write: true, force: true });
    expect(toolError(reply).code).toBe("PATH_OUTSIDE_ROOT");
    expect(reply.result.structuredContent).toBeUndefined();
    expect(readdirSync(outside)).toEqual(["package.json"]);
  });

  it("generate with write as a string: -32602, nothing run", async () => {
    expectError(
      await client.call(30, "generate", { path: "examples/client-server", write: "yes" }),
      -32602,
      30,
      /arguments\.write/,
    );
    await client.alive(31);
  });
});

/** A server with a build of the docker stand-in running; resolves once its long step runs. */
async function serverWithBuild(build: SlowBuild): Promise<RawClient> {
  const client = new RawClient(build.repo, build.env);
  client.write(
    `${JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: {
        name: "build_all",
        arguments: { engine: "docker", push: "none", platforms: ["linux/amd64"] },
      },
    })}\n`,
  );
  await until(() => sleepers(build.mark).length === 2);
  return client;
}

function expectNothingLeft(build: SlowBuild, client: RawClient): void {
  expect(sleepers(build.mark)).toEqual([]);
  expect(leftovers(build.tmp)).toEqual([]);
  for (const line of client.lines) expect(() => JSON.parse(line)).not.toThrow();
  expect(client.lines.join("\n") + client.stderr).not.toContain(TOKEN);
}

// Each case starts Hilt from its sources and waits for a build: slow on a loaded machine.
describe("hilt mcp ending mid-build (a docker stand-in runs the long step)", {
  timeout: 180_000,
}, () => {
  it("the client disconnects (stdin closed): build cancelled, children ended, temp removed, exit 0", async () => {
    const build = slowBuild();
    build.env.NPM_TOKEN = TOKEN;
    const client = await serverWithBuild(build);
    client.child.stdin.end();
    expect(await client.exited).toBe(0);
    expectNothingLeft(build, client);
  });

  it("stdin closed, then SIGTERM at once (how clients stop servers): exit 130, nothing left", async () => {
    const build = slowBuild({ trapTerm: true });
    const client = await serverWithBuild(build);
    client.child.stdin.end();
    client.child.kill("SIGTERM");
    expect(await client.exited).toBe(130);
    expectNothingLeft(build, client);
  });

  it("SIGTERM with the client still connected: exit 130, nothing left", async () => {
    const build = slowBuild();
    const client = await serverWithBuild(build);
    client.child.kill("SIGTERM");
    expect(await client.exited).toBe(130);
    expectNothingLeft(build, client);
  });

  it("Ctrl-C twice: the cleanup is hurried, not skipped", async () => {
    const build = slowBuild({ trapTerm: true });
    const client = await serverWithBuild(build);
    client.child.kill("SIGINT");
    await new Promise((r) => setTimeout(r, 200));
    client.child.kill("SIGINT");
    expect(await client.exited).toBe(130);
    expect(client.stderr).toContain("again: ending child processes now");
    expectNothingLeft(build, client);
  });

  it("notifications/cancelled stops that build; the server stays up", async () => {
    const build = slowBuild();
    const client = await serverWithBuild(build);
    client.write(
      `${JSON.stringify({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 1 } })}\n`,
    );
    await until(() => sleepers(build.mark).length === 0);
    await until(() => leftovers(build.tmp).length === 0);
    // The cancelled call gets no reply; the next reply is the ping's.
    await client.alive(2);
    client.child.stdin.end();
    expect(await client.exited).toBe(0);
    expectNothingLeft(build, client);
  });

  it("a client that stops reading (EPIPE on a progress notice): cancelled and cleaned up", async () => {
    const build = slowBuild({
      files: {
        "catalog.yaml":
          'schemaVersion: 1\nimages:\n  slow: { from: debian:bookworm-slim, steps: [{ run: "true" }] }\n  fast: { from: debian:bookworm-slim, steps: [{ run: "true" }] }\n',
      },
    });
    const client = new RawClient(build.repo, build.env);
    client.write(
      `${JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: {
          name: "build_all",
          arguments: { engine: "docker", push: "none", platforms: ["linux/amd64"], concurrency: 2 },
          _meta: { progressToken: "p" },
        },
      })}\n`,
    );
    await until(() => sleepers(build.mark).length === 2);
    client.child.stdout.destroy();
    // Now the quick image finishes: its progress notice meets a closed pipe.
    writeFileSync(path.join(build.record, "go"), "");
    expect(await client.exited).toBe(0);
    expectNothingLeft(build, client);
  });

  it("a client that closes stdin without a word: exit 0 at once", async () => {
    const build = slowBuild();
    const client = new RawClient(build.repo, build.env);
    client.child.stdin.end();
    expect(await client.exited).toBe(0);
    expect(client.lines).toEqual([]);
    expect(leftovers(build.tmp)).toEqual([]);
  });
});
