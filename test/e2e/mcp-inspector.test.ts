import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import type { JsonSchemaType } from "@modelcontextprotocol/sdk/validation/types.js";
import { beforeAll, describe, expect, it } from "vitest";
import { detectResultSchema } from "../../src/mcp/output-schemas.js";
import { planSchema } from "../../src/plan/plan-schema.js";
import { NODE_ARGS } from "../helpers/cli.js";
import { REPO_ROOT } from "./env.js";

// The official MCP Inspector CLI (test/env/up.sh installs it, with the Node 22 it needs).
const inspector = process.env.HILT_E2E_INSPECTOR;
const run = promisify(execFile);

interface Tool {
  name: string;
  outputSchema?: JsonSchemaType;
  annotations?: Record<string, unknown>;
}

/** One Inspector CLI invocation against `hilt mcp` run from the sources; its JSON and stderr. */
async function inspect(args: string[]): Promise<{ json: Record<string, unknown>; stderr: string }> {
  const { stdout, stderr } = await run(
    inspector as string,
    ["--cli", "--connect-timeout", "120000", "--cwd", REPO_ROOT, ...args, "--"].concat([
      process.execPath,
      ...NODE_ARGS,
      "mcp",
    ]),
    // Its own HOME: the Inspector keeps a server catalog there.
    {
      env: { ...process.env, HOME: mkdtempSync(path.join(tmpdir(), "hilt-inspector-")) },
      timeout: 240_000,
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return { json: JSON.parse(stdout), stderr };
}

describe.skipIf(!inspector)("hilt mcp checked by the MCP Inspector CLI", () => {
  let tools: Tool[] = [];
  let listStderr = "";
  beforeAll(async () => {
    const listed = await inspect(["--method", "tools/list", "--strict"]);
    tools = listed.json.tools as Tool[];
    listStderr = listed.stderr;
  }, 300_000);

  it("tools/list: every tool has an outputSchema and annotations, portable as written", () => {
    expect(tools.map((t) => t.name).sort()).toEqual([
      "build",
      "build_all",
      "detect",
      "generate",
      "plan",
      "resolve_image",
    ]);
    for (const t of tools) {
      expect(t.outputSchema?.type, t.name).toBe("object");
      expect(typeof t.annotations?.readOnlyHint, t.name).toBe("boolean");
    }
    const hints = Object.fromEntries(tools.map((t) => [t.name, t.annotations]));
    expect(hints.detect?.readOnlyHint).toBe(true);
    expect(hints.plan?.readOnlyHint).toBe(true);
    expect(hints.resolve_image?.readOnlyHint).toBe(true);
    expect(hints.generate).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(hints.build).toMatchObject({ readOnlyHint: false, openWorldHint: true });
    // --strict exits 6 on an error-severity portability problem, and lists warnings on stderr.
    expect(listStderr).not.toMatch(/^(Warning|Error): tool/m);
  });

  it.each([
    ["detect", ["path=examples/client-server"]],
    ["plan", ['targets=["task"]', "push=ttl.sh"]],
  ])(
    "tools/call %s: structuredContent valid against the tool's outputSchema",
    async (name, args) => {
      const { json } = await inspect([
        "--method",
        "tools/call",
        "--tool-name",
        name,
        "--tool-arg",
        ...args,
      ]);
      expect(json.isError).toBeFalsy();
      const schema = tools.find((t) => t.name === name)?.outputSchema as JsonSchemaType;
      const check = new AjvJsonSchemaValidator().getValidator(schema)(json.structuredContent);
      expect(check.errorMessage).toBeUndefined();
      expect(check.valid).toBe(true);
      const text = (json.content as { text: string }[])[0]?.text ?? "";
      expect(JSON.parse(text)).toEqual(json.structuredContent);
      if (name === "plan")
        expect(planSchema.parse(json.structuredContent).nodes.map((n) => n.name)).toContain(
          "agent-codex-task",
        );
      else expect(detectResultSchema.parse(json.structuredContent).client).toBe("client");
    },
    300_000,
  );
});
