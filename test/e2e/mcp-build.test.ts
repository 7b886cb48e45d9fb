import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readdirSync } from "node:fs";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resultSchema } from "../../src/report/result-schema.js";
import { NODE_ARGS, tempRepo } from "../helpers/cli.js";
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
    const result = resultSchema.parse(raw.structuredContent);
    expect(JSON.parse(content[0]?.text ?? "")).toEqual(raw.structuredContent);
    expect(result.ok).toBe(true);
    const image = result.images[0];
    expect(await registryDigest(image?.refs[0] ?? "")).toBe(image?.digest);
    expect(progress).toEqual([`go-service: ${image?.status}`]);
  });
});

function pgrep(pattern: string): string {
  return spawnSync("pgrep", ["-f", pattern], { encoding: "utf8" }).stdout.trim();
}

async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 1200 && !check(); i++) await new Promise((r) => setTimeout(r, 250));
  expect(check()).toBe(true);
}

describe.skipIf(!env)("hilt mcp killed mid-build (real docker buildx, auth registry)", () => {
  const e = env as E2EEnv;

  it.each([
    ["stdin closed", false],
    ["stdin closed, then SIGTERM", true],
  ])(
    "%s: the build is cancelled, buildx ended, npmrc and docker-config removed",
    async (_, term) => {
      const marker = `${400 + Math.floor(Math.random() * 500)}.25`;
      const repo = tempRepo({
        "catalog.yaml": `schemaVersion: 1\nimages:\n  slow: { from: debian:bookworm-slim, steps: [{ run: sleep ${marker} }] }\n`,
      });
      const tmp = path.join(repo, ".tmp");
      mkdirSync(tmp);
      const child = spawn(process.execPath, [...NODE_ARGS, "mcp"], {
        cwd: repo,
        env: {
          PATH: process.env.PATH ?? "",
          HOME: process.env.HOME ?? "/root",
          TMPDIR: tmp,
          NPM_TOKEN: "npm_e2e_token",
          HILT_REGISTRY_USERNAME: e.authUser,
          HILT_REGISTRY_PASSWORD: e.authPassword,
        },
      });
      let stdout = "";
      child.stdout.on("data", (d) => {
        stdout += d;
      });
      const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
      const call = {
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: {
          name: "build_all",
          arguments: {
            push: `${e.authRegistry}/${uniqueName("mcp-kill")}`,
            engine: "docker",
            platforms: ["linux/amd64"],
            baseImages: { "debian:bookworm-slim": e.baseImage },
          },
        },
      };
      child.stdin.write(`${JSON.stringify(call)}\n`);
      await waitFor(() => pgrep(`sleep ${marker}`) !== "");
      // What the issue found left behind: the registry login and the npm configuration.
      const temp = () => readdirSync(tmp).filter((n) => !n.startsWith("tsx-"));
      expect(temp().some((n) => n.startsWith("hilt-docker-"))).toBe(true);
      expect(temp().some((n) => n.startsWith("hilt-secrets-"))).toBe(true);
      child.stdin.end();
      if (term) child.kill("SIGTERM");
      expect(await exited).toBe(term ? 130 : 0);
      expect(pgrep(`buildx build .*${tmp}`), "docker buildx left running").toBe("");
      await waitFor(() => pgrep(`sleep ${marker}`) === "");
      expect(temp()).toEqual([]);
      // The cancelled call gets no reply; nothing else was written.
      expect(stdout).toBe("");
    },
  );
});
