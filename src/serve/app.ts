import { type Context, Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { HiltError } from "../errors.js";
import { accessLog, type LogLine } from "./access-log.js";
import { type AuthEnv, authenticate } from "./auth.js";
import type { JobSignals } from "./events-bus.js";
import { errorResponse } from "./http-error.js";
import { mcpRoutes } from "./mcp-http.js";
import { openApiDocument } from "./openapi.js";
import { type RateLimit, rateLimit } from "./rate-limit.js";
import { jobRoutes } from "./routes/jobs.js";
import { healthRoutes, resolveImageRoute } from "./routes/service.js";
import type { JobSources } from "./sources/job-sources.js";
import type { JobStore } from "./store/types.js";
import type { TokenEntry } from "./tokens.js";

export type ServeApp = Hono<AuthEnv>;

const GUARDED = /^\/(jobs|resolve-image|openapi\.json|mcp)(\/|$)/;

/** The API's paths and their methods: a known path with another method is 405, not 404. */
const METHODS: [RegExp, string][] = [
  [/^\/(health|ready|openapi\.json|resolve-image)$/, "GET"],
  [/^\/jobs$/, "GET, POST"],
  [/^\/jobs\/archive$/, "POST"],
  [/^\/jobs\/[^/]+$/, "GET, DELETE"],
  [/^\/jobs\/[^/]+\/cancel$/, "POST"],
  [/^\/jobs\/[^/]+\/events$/, "GET"],
];

function allowedMethods(path: string): string | undefined {
  return METHODS.find(([pattern]) => pattern.test(path))?.[1];
}

function isGuarded(path: string): boolean {
  return GUARDED.test(path);
}

export interface AppDeps {
  store: JobStore;
  signals: JobSignals;
  /** The workspace root (a real path): every job and MCP tool is confined to it. */
  root: string;
  version: string;
  /** No tokens: every caller may read and build (the server refuses that off loopback). */
  tokens: readonly TokenEntry[];
  /** Origins a browser may call from; never "*". */
  corsOrigins: readonly string[];
  rateLimit: RateLimit;
  maxBodyBytes: number;
  log: LogLine;
  /** Git URLs and uploaded archives as job sources (src/serve/sources). */
  sources?: JobSources;
  /** The local runner: a job was queued, or one was cancelled. */
  queued?: () => void;
  cancelled?: (id: string) => void;
  keepAliveMs?: number;
  /** The peer's address, for rate limits without tokens (the node server's socket). */
  peer?: (c: Context<AuthEnv>) => string;
  /**
   * Public routes mounted before the API (the dashboard at `/`): they get the access log, CORS
   * and body limit, not the bearer check (a page cannot send a header; it asks for the token
   * and sends it with its API calls).
   */
  mount?: (app: ServeApp) => void;
}

/**
 * The HTTP service: GET /health and /ready (public), the job API under /jobs, /resolve-image,
 * /openapi.json and MCP at /mcp (bearer token when the server has tokens). Every error is
 * `{error: {code, message, hint}}` with a status from its class, never a stack trace.
 */
export function createApp(deps: AppDeps): ServeApp {
  const app = new Hono<AuthEnv>();
  const allowed = new Set(deps.corsOrigins);
  app.use(accessLog(deps.log));
  app.use(
    cors({
      origin: (origin) => (allowed.has(origin) ? origin : null),
      allowMethods: ["GET", "POST", "DELETE", "OPTIONS"],
      allowHeaders: [
        "Authorization",
        "Content-Type",
        "Idempotency-Key",
        "Last-Event-ID",
        "Mcp-Session-Id",
        "Mcp-Protocol-Version",
      ],
      exposeHeaders: ["Location", "Retry-After", "Mcp-Session-Id"],
      maxAge: 600,
    }),
  );
  app.use(
    bodyLimit({
      maxSize: deps.maxBodyBytes,
      onError: (c) =>
        errorResponse(
          c,
          new HiltError("REQUEST_TOO_LARGE", `the body is larger than ${deps.maxBodyBytes} bytes`, {
            hint: "send a smaller request (hilt serve --max-body raises the limit)",
          }),
        ),
    }),
  );
  app.route("/", healthRoutes(deps.store, deps.version));
  deps.mount?.(app);

  // Everything below needs a token (when the server has tokens) and counts against its limit.
  const auth = authenticate(deps.tokens);
  const limit = rateLimit(deps.rateLimit, deps.peer ?? (() => "unknown"));
  const only =
    (middleware: MiddlewareHandler<AuthEnv>): MiddlewareHandler<AuthEnv> =>
    async (c, next) =>
      isGuarded(c.req.path) ? middleware(c, next) : next();
  app.use(only(auth), only(limit));
  app.route(
    "/jobs",
    jobRoutes({
      store: deps.store,
      signals: deps.signals,
      root: deps.root,
      queued: deps.queued ?? (() => {}),
      cancelled: deps.cancelled ?? (() => {}),
      ...(deps.keepAliveMs ? { keepAliveMs: deps.keepAliveMs } : {}),
      ...(deps.sources ? { sources: deps.sources } : {}),
    }),
  );
  app.route("/resolve-image", resolveImageRoute(deps.root));
  const document = openApiDocument(deps.version);
  app.get("/openapi.json", (c) => c.json(document));
  const queue = {
    store: deps.store,
    root: deps.root,
    queued: deps.queued ?? (() => {}),
    cancelled: deps.cancelled ?? (() => {}),
  };
  app.route("/mcp", mcpRoutes(deps.version, queue, deps.maxBodyBytes));

  app.notFound((c) => {
    const allow = allowedMethods(c.req.path);
    if (allow)
      return errorResponse(
        c,
        new HiltError("METHOD_NOT_ALLOWED", `${c.req.method} is not allowed here`, {
          hint: `use ${allow}`,
        }),
        { Allow: allow },
      );
    return errorResponse(
      c,
      new HiltError("NOT_FOUND", `no route ${c.req.method} ${c.req.path.slice(0, 200)}`, {
        hint: "GET /openapi.json lists the API",
      }),
    );
  });
  app.onError((error, c) => {
    deps.log({ level: "error", msg: "unhandled", error: String(error).slice(0, 500) });
    return errorResponse(c, error);
  });
  return app;
}
