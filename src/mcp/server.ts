import path from "node:path";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { z } from "zod";
import { buildAll } from "../app/build.js";
import { loadProject, plan } from "../app/plan.js";
import { detect } from "../detect/detect.js";
import type { BuildEvent } from "../engine/events.js";
import { toHiltError } from "../errors.js";
import { generate } from "../generate/generate.js";
import {
  buildArgs,
  detectArgs,
  generateArgs,
  planArgs,
  resolveImageArgs,
} from "../interface/arguments.js";
import { resolveImage } from "../runtime/resolve-image.js";

type Json = Record<string, unknown>;

function reply(value: unknown) {
  return { content: [{ type: "text" as const, text: JSON.stringify(value, null, 2) }] };
}

function failure(error: unknown) {
  const e = toHiltError(error);
  return {
    ...reply({ ok: false, error: { code: e.code, message: e.message, hint: e.hint } }),
    isError: true,
  };
}

async function guarded(fn: () => Promise<unknown> | unknown) {
  try {
    return reply(await fn());
  } catch (error) {
    return failure(error);
  }
}

const inRoot = (root: string | undefined, p: string) => path.resolve(root ?? process.cwd(), p);

/** Hilt as MCP tools over stdio; the tools call the same library as the CLI. */
export function createMcpServer(version: string): McpServer {
  const server = new McpServer({ name: "hilt", version });

  server.registerTool(
    "detect",
    {
      description:
        "Find the services in a repository: language, package manager, framework, port, with the source of each fact.",
      inputSchema: detectArgs,
    },
    (args) => guarded(() => detect(path.resolve(args.path))),
  );

  server.registerTool(
    "plan",
    {
      description:
        "The build graph Hilt would run: waves, input hashes and the refs each image pushes.",
      inputSchema: planArgs,
    },
    (args) =>
      guarded(async () => {
        const result = await plan({ ...args, root: args.root });
        await result.cleanup();
        return result.graph;
      }),
  );

  const buildTool =
    (all: boolean) =>
    async (
      args: z.infer<z.ZodObject<typeof buildArgs>>,
      extra: { _meta?: Json; sendNotification: (n: never) => Promise<void> },
    ) => {
      const token = extra._meta?.progressToken as string | number | undefined;
      let finished = 0;
      let total = 0;
      const onEvent = (event: BuildEvent) => {
        if (event.event === "run-started") total = event.images;
        if (event.event !== "finished" || token === undefined) return;
        finished++;
        void extra
          .sendNotification({
            method: "notifications/progress",
            params: {
              progressToken: token,
              progress: finished,
              total,
              message: `${event.image}: ${event.status}`,
            },
          } as never)
          .catch(() => {});
      };
      return guarded(() =>
        buildAll({ ...args, targets: all ? [] : args.targets, onEvent, log: () => {} }),
      );
    };

  server.registerTool(
    "build",
    {
      description:
        "Build catalog images or groups (with their parents), or the services of repository folders; returns the result JSON.",
      inputSchema: buildArgs,
    },
    (args, extra) => buildTool(false)(args, extra as never),
  );
  server.registerTool(
    "build_all",
    {
      description: "Run the default pipeline (or the one named) and return the result JSON.",
      inputSchema: buildArgs,
    },
    (args, extra) => buildTool(true)(args, extra as never),
  );

  server.registerTool(
    "resolve_image",
    {
      description:
        "Which image a session or a task runs in (TTYD_IMAGE, TASK_IMAGE_<PROVIDER>, TASK_IMAGE_DEFAULT, catalog defaults).",
      inputSchema: resolveImageArgs,
    },
    (args) =>
      guarded(async () => {
        // The environment alone can answer; the catalog adds defaults when there is one.
        const catalog = await loadProject({ root: args.root }).then(
          (p) => p.catalog.catalog,
          () => undefined,
        );
        return resolveImage({
          mode: args.mode,
          provider: args.provider,
          needs: args.needs,
          env: process.env,
          catalog,
        });
      }),
  );

  server.registerTool(
    "generate",
    {
      description:
        "Dockerfile and .dockerignore for each service without one (returned, not written).",
      inputSchema: generateArgs,
    },
    (args) => guarded(() => generate(inRoot(undefined, args.path), { roles: args.roles })),
  );
  return server;
}

export async function serveStdio(version: string): Promise<void> {
  const server = createMcpServer(version);
  await server.connect(new StdioServerTransport());
  await new Promise<void>((resolve) => {
    process.stdin.on("close", resolve);
    process.stdin.on("end", resolve);
  });
}
