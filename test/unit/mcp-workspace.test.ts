import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { confineToWorkspace } from "../../src/mcp/workspace.js";
import { NODE_ARGS } from "../helpers/cli.js";

// A workspace holding one repository, with links that lead out of it, beside an outside folder.
const box = mkdtempSync(path.join(tmpdir(), "hilt-ws-test-"));
const workspace = path.join(box, "workspace");
const outside = path.join(box, "outside");
mkdirSync(path.join(workspace, "app"), { recursive: true });
mkdirSync(outside);
writeFileSync(
  path.join(workspace, "app/package.json"),
  '{"name":"app","scripts":{"start":"node i.js"}}',
);
writeFileSync(path.join(outside, "package.json"), '{"name":"secret","scripts":{"start":"x"}}');
symlinkSync(outside, path.join(workspace, "escape"));
afterAll(() => rmSync(box, { recursive: true, force: true }));

function body(result: unknown): { ok?: boolean; error?: { code: string; message: string } } {
  const content = (result as { content: { text: string }[] }).content;
  return JSON.parse(content[0]?.text ?? "null");
}

describe("MCP clients are confined to the server's workspace", () => {
  it.each([
    ["..", "a parent folder"],
    ["/etc", "an absolute path elsewhere"],
    ["escape", "a symbolic link leading out"],
    ["app/../../outside", "a path climbing out"],
  ])("refuses path %s (%s)", (value) => {
    expect(() => confineToWorkspace(workspace, { path: value })).toThrow(/leads outside/);
  });

  it("refuses a root, catalog, pipeline file or folder target outside", () => {
    expect(() => confineToWorkspace(workspace, { root: "../outside" })).toThrow(/outside/);
    expect(() => confineToWorkspace(workspace, { catalog: "/etc/passwd" })).toThrow(/outside/);
    expect(() => confineToWorkspace(workspace, { pipeline: "../x.yaml" })).toThrow(/outside/);
    expect(() => confineToWorkspace(workspace, { targets: ["./escape"] })).toThrow(/outside/);
  });

  it("resolves what is inside to real paths, and leaves catalog names alone", () => {
    const confined = confineToWorkspace(workspace, { root: "app", targets: ["web", "./"] });
    expect(confined.root).toBe(path.join(workspace, "app"));
    expect(confined.targets).toEqual(["web", path.join(workspace, "app")]);
    expect(confineToWorkspace(workspace, { pipeline: "default" }).pipeline).toBe("default");
  });

  describe("over a real hilt mcp --workspace", () => {
    const client = new Client({ name: "hilt-test", version: "1.0.0" });
    beforeAll(async () => {
      await client.connect(
        new StdioClientTransport({
          command: process.execPath,
          args: [...NODE_ARGS, "mcp", "--workspace", workspace],
          cwd: box,
          stderr: "pipe",
        }),
      );
    });
    afterAll(() => client.close());

    it("detects a repository inside", async () => {
      const result = await client.callTool({ name: "detect", arguments: { path: "app" } });
      expect(result.isError).toBeFalsy();
    });

    it.each(["/etc", "escape", ".."])(
      "answers PATH_OUTSIDE_ROOT for %s, naming no contents",
      async (p) => {
        const result = await client.callTool({ name: "detect", arguments: { path: p } });
        expect(result.isError).toBe(true);
        const reply = body(result);
        expect(reply.error?.code).toBe("PATH_OUTSIDE_ROOT");
        expect(JSON.stringify(reply)).not.toMatch(/secret/);
      },
    );

    it("refuses a plan whose root leads out", async () => {
      const result = await client.callTool({ name: "plan", arguments: { root: "escape" } });
      expect(body(result).error?.code).toBe("PATH_OUTSIDE_ROOT");
    });
  });
});
