import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resultSchema } from "../../src/report/result-schema.js";
import { NODE_ARGS } from "../helpers/cli.js";
import { type E2EEnv, e2eEnv, REPO_ROOT, registryDigest, uniqueName } from "./env.js";

const env = e2eEnv();

describe.skipIf(!env)("hilt mcp builds for real", () => {
  const e = env as E2EEnv;
  const client = new Client({ name: "hilt-e2e", version: "1.0.0" });
  beforeAll(async () => {
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [...NODE_ARGS, "mcp"],
        cwd: REPO_ROOT,
        env: { ...(process.env as Record<string, string>) },
      }),
    );
  });
  afterAll(() => client.close());

  it("builds a service through the build tool, with progress notifications", async () => {
    const prefix = process.env.HILT_E2E_BASE_PREFIX ?? `${e.registry}/library`;
    const progress: string[] = [];
    const raw = await client.callTool(
      {
        name: "build",
        arguments: {
          targets: [path.join(REPO_ROOT, "examples/go-service")],
          push: `${e.registry}/${uniqueName("mcp")}`,
          engine: "docker",
          baseImages: { golang: `${prefix}/golang`, debian: `${prefix}/debian` },
        },
      },
      undefined,
      { onprogress: (p) => progress.push(p.message ?? ""), timeout: 600_000 },
    );
    const content = (raw as { content: { text: string }[] }).content;
    const result = resultSchema.parse(JSON.parse(content[0]?.text ?? ""));
    expect(result.ok).toBe(true);
    const image = result.images[0];
    expect(await registryDigest(image?.refs[0] ?? "")).toBe(image?.digest);
    expect(progress).toEqual([`go-service: ${image?.status}`]);
  });
});
