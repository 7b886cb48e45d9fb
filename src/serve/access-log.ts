import type { MiddlewareHandler } from "hono";
import type { AuthEnv } from "./auth.js";

export type LogLine = (entry: Record<string, unknown>) => void;

/** One JSON line per line written, on stderr: what `hilt serve` logs. */
export const stderrLog: LogLine = (entry) =>
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`);

/**
 * One structured line per request: method, path (never the query string, which may carry a
 * secret), status, time taken and the caller's token id (never the token).
 */
export function accessLog(log: LogLine): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    log({
      msg: "request",
      method: c.req.method,
      path: c.req.path.slice(0, 300),
      status: c.res.status,
      ms: Math.round((performance.now() - started) * 10) / 10,
      caller: c.get("caller")?.id,
    });
  };
}
