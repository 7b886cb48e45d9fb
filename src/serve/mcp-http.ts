import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { Hono } from "hono";
import { HiltError } from "../errors.js";
import { createMcpServer } from "../mcp/server.js";
import { type AuthEnv, requireScope } from "./auth.js";
import { errorResponse } from "./http-error.js";
import { type QueueDeps, queuedBuilds } from "./mcp-queue.js";

/**
 * MCP over Streamable HTTP at /mcp: the tools of `hilt mcp`, confined to the serve workspace,
 * behind the same bearer auth. Stateless: each POST gets its own server and transport (no
 * session to lose when an instance restarts, so GET and DELETE are 405); a tool call streams its
 * progress as SSE. The tools can build, so the build scope is required; a build is a job of the
 * server's queue, like one submitted to /jobs.
 */
export function mcpRoutes(version: string, queue: QueueDeps, maxBodyBytes: number) {
  const app = new Hono<AuthEnv>();
  app.post("/", requireScope("build"), async (c) => {
    const builds = queuedBuilds(queue, c.get("caller").id);
    const { server } = createMcpServer(version, queue.root, builds);
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      maxRequestBodySize: maxBodyBytes,
    });
    await server.connect(transport);
    const response = await transport.handleRequest(c.req.raw);
    // The response may still be streaming: close once the client has it all or went away.
    const done = () => void server.close().catch(() => {});
    if (!response.body) done();
    else c.req.raw.signal.addEventListener("abort", done, { once: true });
    return response;
  });
  // Stateless: no session to stream server messages on (GET) or to end (DELETE). The MCP
  // specification lets a server answer both with 405; clients then use POST alone.
  app.all("/", requireScope("build"), (c) =>
    errorResponse(
      c,
      new HiltError("METHOD_NOT_ALLOWED", `${c.req.method} is not allowed here`, {
        hint: "POST one JSON-RPC message (MCP Streamable HTTP, stateless)",
      }),
      { Allow: "POST" },
    ),
  );
  return app;
}
