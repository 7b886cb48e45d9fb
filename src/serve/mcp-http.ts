import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { Hono } from "hono";
import { createMcpServer } from "../mcp/server.js";
import { type AuthEnv, requireScope } from "./auth.js";

/**
 * MCP over Streamable HTTP at /mcp: the tools of `hilt mcp`, confined to the serve workspace,
 * behind the same bearer auth. Stateless: each POST gets its own server and transport (no
 * session to lose when an instance restarts); a tool call streams its progress as SSE. The tools
 * can build, so the build scope is required.
 */
export function mcpRoutes(version: string, root: string, maxBodyBytes: number) {
  const app = new Hono<AuthEnv>();
  app.all("/", requireScope("build"), async (c) => {
    const { server } = createMcpServer(version, root);
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
  return app;
}
