import path from "node:path";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { ErrorCode, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { buildAll } from "../app/build.js";
import { loadProject, plan } from "../app/plan.js";
import { handleInterrupts } from "../cli/signals.js";
import { detect } from "../detect/detect.js";
import type { BuildEvent } from "../engine/events.js";
import { ExitCode, toHiltError } from "../errors.js";
import { generate, writeGenerated } from "../generate/generate.js";
import {
  buildArgs,
  detectArgs,
  generateArgs,
  planArgs,
  resolveImageArgs,
} from "../interface/arguments.js";
import { planSchema } from "../plan/plan-schema.js";
import { resultSchema } from "../report/result-schema.js";
import { resolveRuntimeImage } from "../runtime/resolve-image.js";
import {
  detectResultSchema,
  generatedSchema,
  outputSchema,
  resolutionSchema,
} from "./output-schemas.js";
import { readableIssues } from "./readable-issues.js";
import { LineTransport } from "./stdio.js";
import { confineToWorkspace } from "./workspace.js";

type Json = Record<string, unknown>;

/** MCP tool annotations: hints a client uses to decide what needs the user's confirmation. */
interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint: boolean;
}

const READ_ONLY = { readOnlyHint: true } as const;
/** Builds push images and move alias tags (latest, the branch) in registries. */
const BUILDS = {
  readOnlyHint: false,
  destructiveHint: true,
  idempotentHint: true,
  openWorldHint: true,
} as const;

const META = Symbol("meta");
type WithMeta = { [META]: Json; value: unknown };

/** A tool's value with the `_meta` of its reply (the queued job's id). */
function withMeta(value: unknown, meta: Json): WithMeta {
  return { [META]: meta, value };
}

/** The result as text (for clients that read only content) and as structuredContent. */
function reply(outcome: unknown) {
  const meta = (outcome as Partial<WithMeta> | null)?.[META];
  const value = meta ? (outcome as WithMeta).value : outcome;
  const text = JSON.stringify(value, null, 2);
  return {
    content: [{ type: "text" as const, text }],
    structuredContent: JSON.parse(text) as Json,
    ...(meta ? { _meta: meta } : {}),
  };
}

/** A tool error: text only, since its shape is not the tool's outputSchema. */
function failure(error: unknown) {
  const e = toHiltError(error);
  const body = { ok: false, error: { code: e.code, message: e.message, hint: e.hint } };
  return {
    content: [{ type: "text" as const, text: JSON.stringify(body, null, 2) }],
    isError: true,
  };
}

/** What a tool handler gets besides its arguments. */
interface CallContext {
  signal: AbortSignal;
  progressToken: string | number | undefined;
  notify: (message: { method: string; params: Json }) => Promise<void>;
  builds: BuildRunner;
}

interface Tool<S extends z.ZodRawShape> {
  title: string;
  description: string;
  args: S;
  output: z.ZodType;
  annotations: ToolAnnotations;
  /** The handler confines the paths itself (its runner does): it gets them as the caller sent. */
  raw?: boolean;
  run: (args: z.output<z.ZodObject<S>>, context: CallContext) => unknown;
}

function tool<S extends z.ZodRawShape>(definition: Tool<S>): Tool<z.ZodRawShape> {
  return definition as unknown as Tool<z.ZodRawShape>;
}

/** A build tool's call: its checked arguments, its signal and where its events go. */
export interface BuildCall {
  all: boolean;
  args: z.output<z.ZodObject<typeof buildArgs>>;
  signal: AbortSignal;
  onEvent: (event: Record<string, unknown>) => void;
}

/**
 * Runs a build tool's call: in this process over stdio (the CLI's library), as a job of the
 * queue under `hilt serve`. `jobId` names that job.
 */
export type BuildRunner = (call: BuildCall) => Promise<{ result: unknown; jobId?: string }>;

/** Builds in this process, confined to the workspace. */
function inProcessBuilds(workspace: string): BuildRunner {
  return async (call) => {
    const args = confineToWorkspace(workspace, call.args);
    const result = await buildAll({
      ...args,
      targets: call.all ? [] : args.targets,
      onEvent: (event: BuildEvent) => call.onEvent(event as unknown as Record<string, unknown>),
      // The request's signal: a cancelled call or a closed connection stops the build.
      signal: call.signal,
      log: () => {},
    });
    return { result };
  };
}

/** MCP progress for a build: one step per finished image, of the run's image count. */
function progressOf(context: CallContext): (event: Record<string, unknown>) => void {
  let finished = 0;
  let total = 0;
  return (event) => {
    if (event.event === "run-started" && typeof event.images === "number") total = event.images;
    if (event.event !== "finished" || context.progressToken === undefined) return;
    finished++;
    void context
      .notify({
        method: "notifications/progress",
        params: {
          progressToken: context.progressToken,
          progress: finished,
          total,
          message: `${String(event.image)}: ${String(event.status)}`,
        },
      })
      .catch(() => {});
  };
}

function buildTool(all: boolean) {
  return tool({
    title: all ? "Run the pipeline" : "Build images",
    output: resultSchema,
    annotations: BUILDS,
    description: all
      ? "Run the default pipeline (or the one named) and return the result JSON."
      : "Build catalog images or groups (with their parents), or the services of repository folders; returns the result JSON.",
    args: buildArgs,
    raw: true,
    run: async (args, context) => {
      const { result, jobId } = await context.builds({
        all,
        args,
        signal: context.signal,
        onEvent: progressOf(context),
      });
      return jobId === undefined ? result : withMeta(result, { "hilt/jobId": jobId });
    },
  });
}

const generateToolArgs = {
  ...generateArgs,
  write: z.boolean().default(false).describe("Write the files into the repository."),
  force: z.boolean().default(false).describe("With write: replace files that exist."),
};

const TOOLS: Record<string, Tool<z.ZodRawShape>> = {
  detect: tool({
    title: "Detect services",
    output: detectResultSchema,
    annotations: { ...READ_ONLY, openWorldHint: false },
    description:
      "Find the services in a repository: language, package manager, framework, port, with the source of each fact.",
    args: detectArgs,
    run: (args) => detect(path.resolve(args.path)),
  }),
  plan: tool({
    title: "Plan the build graph",
    output: planSchema,
    // Base images are pinned to the digests their registries report.
    annotations: { ...READ_ONLY, openWorldHint: true },
    description:
      "The build graph Hilt would run: waves, input hashes and the refs each image pushes.",
    args: planArgs,
    run: async (args) => {
      const result = await plan({ ...args, root: args.root });
      await result.cleanup();
      return result.graph;
    },
  }),
  build: buildTool(false),
  build_all: buildTool(true),
  resolve_image: tool({
    title: "Resolve a runtime image",
    output: resolutionSchema,
    annotations: { ...READ_ONLY, openWorldHint: false },
    description:
      "Which image a session or a task runs in (TTYD_IMAGE, TASK_IMAGE_<PROVIDER>, TASK_IMAGE_DEFAULT, catalog defaults).",
    args: resolveImageArgs,
    run: (args) =>
      // The runtime's one fallback policy: only a missing default catalog is no error.
      resolveRuntimeImage(
        { mode: args.mode, provider: args.provider, needs: args.needs, env: process.env },
        {
          load: async () => (await loadProject({ root: args.root })).catalog.catalog,
          named: false,
        },
      ),
  }),
  generate: tool({
    title: "Generate Dockerfiles",
    output: generatedSchema,
    // With write and force it replaces existing files; the same call writes the same files.
    annotations: {
      readOnlyHint: false,
      destructiveHint: true,
      idempotentHint: true,
      openWorldHint: false,
    },
    description:
      "Dockerfile and .dockerignore for each service without one: returned, and written into the repository with write (existing files replaced only with force).",
    args: generateToolArgs,
    run: async (args) => {
      const root = path.resolve(args.path);
      const generated = generate(root, { roles: args.roles });
      if (!args.write) return generated;
      return { ...generated, written: await writeGenerated(root, generated.files, args.force) };
    },
  }),
};

function inputSchema(args: z.ZodRawShape) {
  const { $schema: _, ...schema } = z.toJSONSchema(z.strictObject(args), { io: "input" });
  return schema as { type: "object" } & Json;
}

/** Arguments checked against the tool's schema; a mistake is -32602 with one line per problem. */
function checkArguments(name: string, shape: z.ZodRawShape, args: unknown) {
  const parsed = z.strictObject(shape).safeParse(args ?? {});
  if (parsed.success) return parsed.data;
  throw rpcError(
    ErrorCode.InvalidParams,
    `invalid arguments for ${name}: ${readableIssues(shape, args ?? {}, parsed.error.issues)}`,
  );
}

/** A JSON-RPC error reply with this code and exactly this message. */
function rpcError(code: number, message: string): Error {
  return Object.assign(new Error(message), { code });
}

export interface HiltMcpServer {
  server: Server;
  /** Resolves once every tool call in flight has ended (its cleanup included). */
  idle: () => Promise<void>;
}

/**
 * Hilt as MCP tools; the tools call the same library as the CLI. Builds run in this process
 * unless `builds` runs them elsewhere (`hilt serve` queues them).
 */
export function createMcpServer(
  version: string,
  workspace: string,
  builds: BuildRunner = inProcessBuilds(workspace),
): HiltMcpServer {
  const server = new Server({ name: "hilt", version }, { capabilities: { tools: {} } });
  const inFlight = new Set<Promise<unknown>>();

  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: Object.entries(TOOLS).map(([name, t]) => ({
      name,
      title: t.title,
      description: t.description,
      inputSchema: inputSchema(t.args),
      outputSchema: outputSchema(t.output),
      annotations: { title: t.title, ...t.annotations },
    })),
  }));

  // tools/call is answered here rather than through setRequestHandler: the SDK checks its params
  // first and answers a missing name with a zod dump.
  server.fallbackRequestHandler = async (request, extra) => {
    if (request.method !== "tools/call")
      throw rpcError(ErrorCode.MethodNotFound, "Method not found");
    const params = (request.params ?? {}) as Json;
    const { name, arguments: args } = params;
    if (typeof name !== "string")
      throw rpcError(ErrorCode.InvalidParams, "params.name: expected the tool's name (a string)");
    const t = Object.hasOwn(TOOLS, name) ? TOOLS[name] : undefined;
    if (!t)
      throw rpcError(
        ErrorCode.InvalidParams,
        `unknown tool ${JSON.stringify(name.slice(0, 100))}; tools: ${Object.keys(TOOLS).join(", ")}`,
      );
    const checked = checkArguments(name, t.args, args);
    const meta = params._meta as Json | undefined;
    const token = meta?.progressToken;
    const context: CallContext = {
      signal: extra.signal,
      progressToken: typeof token === "string" || typeof token === "number" ? token : undefined,
      notify: (n) => extra.sendNotification(n as never),
      builds,
    };
    const call = Promise.resolve()
      .then(() => t.run(t.raw ? checked : confineToWorkspace(workspace, checked), context))
      .then(reply, failure);
    inFlight.add(call);
    try {
      return await call;
    } finally {
      inFlight.delete(call);
    }
  };

  return {
    server,
    idle: async () => {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}

/** How long a closed server waits for its calls to wind down before it exits anyway. */
const IDLE_DEADLINE_MS = 60_000;

/**
 * Serves MCP on stdin/stdout until the client disconnects or a signal arrives. Either way every
 * call in flight is cancelled (children ended, temporary files removed) before it returns:
 * 0 after a disconnect, 130 after a signal.
 */
export async function serveStdio(version: string, workspace: string): Promise<number> {
  const { server, idle } = createMcpServer(version, workspace);
  // stdout is the protocol channel: a client that closed it (EPIPE) has disconnected, which
  // cancels its calls and lets their cleanup run; the CLI's "exit at once on EPIPE" must not.
  process.stdout.removeAllListeners("error");
  const transport = new LineTransport(process.stdin, process.stdout);
  const closed = new Promise<void>((resolve) => {
    server.onclose = resolve;
  });
  const controller = new AbortController();
  const interrupts = handleInterrupts(controller, (line) => process.stderr.write(`${line}\n`));
  // Closing the transport aborts every request handler's signal (the SDK does that on close).
  controller.signal.addEventListener("abort", () => void transport.close(), { once: true });
  try {
    await server.connect(transport);
    await closed;
    // Cancelled builds end their children and remove their files within seconds; a call that
    // ignores cancellation (a hung read) must not keep a server nobody talks to alive forever.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      idle(),
      new Promise((resolve) => {
        timer = setTimeout(resolve, IDLE_DEADLINE_MS);
      }),
    ]);
    clearTimeout(timer);
  } finally {
    interrupts.dispose();
  }
  return interrupts.received() ? ExitCode.interrupted : ExitCode.ok;
}
