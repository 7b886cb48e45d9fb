import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { PassThrough } from "node:stream";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import type { JsonSchemaType } from "@modelcontextprotocol/sdk/validation/types.js";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { z } from "zod";
import { detectResultSchema } from "../../src/mcp/output-schemas.js";
import { readableIssues } from "../../src/mcp/readable-issues.js";
import { checkMessage, LineTransport } from "../../src/mcp/stdio.js";
import { planSchema } from "../../src/plan/plan-schema.js";
import { NODE_ARGS, tempRepo } from "../helpers/cli.js";

const ROOT = path.resolve(import.meta.dirname, "../..");

function text(result: unknown): unknown {
  const content = (result as { content: { type: string; text: string }[] }).content;
  return JSON.parse(content[0]?.text ?? "null");
}

describe("hilt mcp, driven by the MCP SDK's client", () => {
  const client = new Client({ name: "hilt-test", version: "1.0.0" });
  beforeAll(async () => {
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [...NODE_ARGS, "mcp"],
        cwd: ROOT,
        stderr: "pipe",
      }),
    );
  }, 60_000);
  afterAll(() => client.close());

  it("lists the tools with input schemas", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      "build",
      "build_all",
      "detect",
      "generate",
      "plan",
      "resolve_image",
    ]);
    const build = tools.find((t) => t.name === "build");
    expect(Object.keys(build?.inputSchema.properties ?? {})).toEqual(
      expect.arrayContaining(["targets", "push", "engine", "platforms"]),
    );
    expect(tools.find((t) => t.name === "resolve_image")?.inputSchema.required).toEqual(["mode"]);
  });

  it("declares an outputSchema and annotations for every tool", async () => {
    const { tools } = await client.listTools();
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    for (const t of tools) {
      expect(t.outputSchema?.type).toBe("object");
      expect(t.outputSchema).not.toHaveProperty("$schema");
      expect(typeof t.annotations?.title).toBe("string");
    }
    expect(byName.plan?.outputSchema?.properties).toHaveProperty("waves");
    expect(byName.build?.outputSchema?.properties).toHaveProperty("images");
    expect(byName.detect?.outputSchema?.properties).toHaveProperty("services");
    for (const name of ["detect", "plan", "resolve_image"])
      expect(byName[name]?.annotations?.readOnlyHint).toBe(true);
    expect(byName.detect?.annotations?.openWorldHint).toBe(false);
    expect(byName.generate?.annotations).toMatchObject({
      readOnlyHint: false,
      destructiveHint: true,
      idempotentHint: true,
      openWorldHint: false,
    });
    for (const name of ["build", "build_all"])
      expect(byName[name]?.annotations).toMatchObject({ readOnlyHint: false, openWorldHint: true });
  });

  it("returns structuredContent valid against each tool's outputSchema", async () => {
    const { tools } = await client.listTools();
    const validator = new AjvJsonSchemaValidator();
    const calls: [string, Record<string, unknown>][] = [
      ["detect", { path: "examples/client-server" }],
      ["plan", { targets: ["task"], push: "ttl.sh" }],
      ["resolve_image", { mode: "task", provider: "codex" }],
      ["generate", { path: "examples/client-server" }],
    ];
    for (const [name, args] of calls) {
      const result = await client.callTool({ name, arguments: args });
      expect(result.isError).toBeFalsy();
      // The text and the structured form are the same document.
      expect(result.structuredContent).toEqual(text(result));
      const schema = tools.find((t) => t.name === name)?.outputSchema as JsonSchemaType;
      const check = validator.getValidator(schema)(result.structuredContent);
      expect(check.errorMessage, name).toBeUndefined();
      expect(check.valid).toBe(true);
    }
    const plan = await client.callTool({ name: "plan", arguments: { targets: ["task"] } });
    expect(planSchema.parse(plan.structuredContent).kind).toBe("hilt.plan");
    const detected = await client.callTool({ name: "detect", arguments: { path: "." } });
    expect(detectResultSchema.parse(detected.structuredContent).kind).toBe("hilt.detect");
  });

  it("a tool error has no structuredContent (its shape is not the outputSchema)", async () => {
    const result = await client.callTool({ name: "plan", arguments: { targets: ["nope"] } });
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toBeUndefined();
  });

  it("generate writes only when asked, and replaces files only with force", async () => {
    const repo = tempRepo({
      "package.json": JSON.stringify({ name: "svc", scripts: { start: "node index.js" } }),
      "index.js": "",
      ".dockerignore": "keep\n",
    });
    // The server confines paths to its workspace: one started in the temporary repository.
    const client = new Client({ name: "hilt-test", version: "1.0.0" });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [...NODE_ARGS, "mcp"],
        cwd: repo,
        stderr: "pipe",
      }),
    );
    onTestFinished(() => client.close());
    const call = (args: Record<string, unknown>) =>
      client.callTool({ name: "generate", arguments: args });
    const shown = await call({ path: "." });
    const files = (shown.structuredContent as { files: { path: string }[] }).files;
    expect(files.map((f) => f.path).sort()).toEqual([".dockerignore", "Dockerfile"]);
    expect(existsSync(path.join(repo, "Dockerfile"))).toBe(false);

    const refused = await call({ path: ".", write: true });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatchObject({ error: { code: "WOULD_OVERWRITE" } });
    expect(existsSync(path.join(repo, "Dockerfile"))).toBe(false);
    expect(readFileSync(path.join(repo, ".dockerignore"), "utf8")).toBe("keep\n");

    const forced = await call({ path: ".", write: true, force: true });
    expect((forced.structuredContent as { written: string[] }).written.sort()).toEqual([
      ".dockerignore",
      "Dockerfile",
    ]);
    expect(readFileSync(path.join(repo, "Dockerfile"), "utf8")).toMatch(/Generated by Hilt/);
    // Now the service has its Dockerfile: it is reused, nothing more is written.
    const again = await call({ path: ".", write: true });
    expect(again.structuredContent).toMatchObject({ files: [], written: [] });
  });

  it("detects the client/server example", async () => {
    const result = text(
      await client.callTool({ name: "detect", arguments: { path: "examples/client-server" } }),
    ) as { client: string; ports: object };
    expect(result.client).toBe("client");
    expect(result.ports).toEqual({ client: 8080, server: 4000 });
  });

  it("plans the repository's catalog", async () => {
    const plan = text(
      await client.callTool({ name: "plan", arguments: { targets: ["task"], push: "ttl.sh" } }),
    ) as { nodes: { name: string }[] };
    expect(plan.nodes.map((n) => n.name)).toEqual(
      expect.arrayContaining(["core-base", "core-nodepy", "agent-claude-task"]),
    );
  });

  it("reports errors as tool errors with a code", async () => {
    const result = await client.callTool({
      name: "plan",
      arguments: { targets: ["no-such-image"] },
    });
    expect(result.isError).toBe(true);
    expect(text(result)).toMatchObject({ ok: false, error: { code: "UNKNOWN_TARGET" } });
  });

  it("answers bad arguments with JSON-RPC -32602 and a readable message", async () => {
    const call = client.callTool({ name: "build", arguments: { targets: "core-base" } });
    await expect(call).rejects.toMatchObject({
      code: -32602,
      message: expect.stringContaining(
        "arguments.targets: expected an array of strings, got a string",
      ),
    });
    await expect(client.callTool({ name: "nope", arguments: {} })).rejects.toMatchObject({
      code: -32602,
    });
  });

  it("resolve_image: an invalid catalog at the root is an error, a missing one is not", async () => {
    const broken = tempRepo({ "catalog.yaml": "schemaVersion: 1\nimages: [not, a, map]\n" });
    const result = await client.callTool({
      name: "resolve_image",
      arguments: { mode: "session", root: broken },
    });
    expect(result.isError).toBe(true);
    expect((text(result) as { error: { code: string } }).error.code).toMatch(/^[A-Z_]+$/);
    const empty = tempRepo({});
    const none = await client.callTool({
      name: "resolve_image",
      arguments: { mode: "session", root: empty },
    });
    expect(none.isError).toBe(true);
    expect(text(none)).toMatchObject({ ok: false });
    expect(JSON.stringify(text(none))).not.toContain("FILE_NOT_FOUND");
  });

  it("resolves runtime images", async () => {
    const result = text(
      await client.callTool({
        name: "resolve_image",
        arguments: { mode: "task", provider: "codex" },
      }),
    );
    expect(result).toMatchObject({
      catalogImage: "agent-codex-task",
      source: "catalog.runtime.task.providers.codex",
    });
  });
});

describe("the MCP line transport and argument messages (pure)", () => {
  it("sorts what is not a JSON-RPC message into -32600 and -32602, with the id when known", () => {
    expect(checkMessage({ jsonrpc: "2.0", id: 1, method: "ping" })).toHaveProperty("valid");
    expect(checkMessage([1])).toMatchObject({ id: null, code: -32600 });
    expect(checkMessage({ jsonrpc: "1.0", id: "a", method: "ping" })).toMatchObject({
      id: "a",
      code: -32600,
    });
    expect(checkMessage({ jsonrpc: "2.0", id: 2, method: "tools/call", params: [] })).toMatchObject(
      { id: 2, code: -32602 },
    );
    expect(checkMessage({ jsonrpc: "2.0", id: 3, method: "ping", extra: 1 })).toMatchObject({
      id: 3,
      code: -32600,
      message: expect.stringContaining('unknown key "extra"'),
    });
  });

  it("answers a parse error and an over-long line, then reads on", async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const transport = new LineTransport(input, output, 64);
    const received: unknown[] = [];
    transport.onmessage = (m) => received.push(m);
    await transport.start();
    input.write(`nope\n${"x".repeat(100)}\n{"jsonrpc":"2.0","id":7,"method":"ping"}\n`);
    await new Promise((r) => setImmediate(r));
    const replies = String(output.read())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(replies.map((r) => r.error.code)).toEqual([-32700, -32600]);
    expect(received).toEqual([{ jsonrpc: "2.0", id: 7, method: "ping" }]);
    let closed = false;
    transport.onclose = () => {
      closed = true;
    };
    input.end();
    await new Promise((r) => setImmediate(r));
    expect(closed).toBe(true);
  });

  it("describes what an argument must be without echoing the value", () => {
    const shape = {
      targets: z.array(z.string()).optional(),
      engine: z.enum(["dagger", "docker"]).default("docker"),
      n: z.number().int().min(1).optional(),
    };
    const args = { targets: "secret-value", engine: "x", n: 0, tagret: 1 };
    const parsed = z.strictObject(shape).safeParse(args);
    expect(parsed.success).toBe(false);
    const text = readableIssues(shape, args, parsed.error?.issues ?? []);
    expect(text).toContain("arguments.targets: expected an array of strings, got a string");
    expect(text).toContain('arguments.engine: expected one of "dagger", "docker"');
    expect(text).toContain("arguments.n: must be at least 1");
    expect(text).toContain("arguments.tagret: unknown argument (did you mean targets?)");
    expect(text).not.toContain("secret-value");
  });
});
