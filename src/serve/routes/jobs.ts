import { type Context, Hono } from "hono";
import type { z } from "zod";
import { HiltError } from "../../errors.js";
import type { AuthEnv } from "../auth.js";
import { requireScope } from "../auth.js";
import type { JobSignals } from "../events-bus.js";
import { errorResponse } from "../http-error.js";
import { jobCommand } from "../job-command.js";
import {
  archiveQuerySchema,
  idempotencyKeySchema,
  jobRequestSchema,
  listQuerySchema,
} from "../schemas.js";
import { type JobSources, sourceOf } from "../sources/job-sources.js";
import { followJob, resumeAfter } from "../sse.js";
import type { Job, JobRequest, JobStore } from "../store/types.js";
import { invalidRequest } from "../validation.js";

export interface JobRoutesDeps {
  store: JobStore;
  signals: JobSignals;
  root: string;
  /** Tells the local runner: a job was queued (claim it now), or cancelled (abort it). */
  queued: () => void;
  cancelled: (id: string) => void;
  keepAliveMs?: number;
  /** Git and archive sources; without it, jobs may only name workspace folders. */
  sources?: JobSources;
}

/** A job as the API shows it; lists leave the result out (GET /jobs/{id} has it). */
export function jobView(job: Job, withResult: boolean) {
  const { worker: _worker, result, ...rest } = job;
  return withResult && result !== undefined ? { ...rest, result } : rest;
}

const ID = /^[A-Za-z0-9_-]{1,100}$/;

function notFound(id: string): HiltError {
  return new HiltError("NOT_FOUND", `no job ${JSON.stringify(id.slice(0, 100))}`, {
    hint: "GET /jobs lists the jobs",
  });
}

async function readJson(request: Request): Promise<unknown> {
  const text = await request.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new HiltError("INVALID_REQUEST", "the body is not JSON", {
      hint: 'send a JSON object such as {"kind": "plan", "workspace": "."}',
    });
  }
}

/** What the server added to a request's source: the commit a ref named, the upload's folder. */
function asSent(request: JobRequest): JobRequest {
  const source = sourceOf(request);
  if (!source) return request;
  const sent =
    "git" in source
      ? { git: source.git, ref: source.ref }
      : { archive: { ...source.archive, upload: undefined } };
  return { ...request, source: sent } as JobRequest;
}

/** Same request for an Idempotency-Key: what the caller sent, not what the server added. */
function sameRequest(a: JobRequest, b: JobRequest): boolean {
  const canonical = (value: unknown): string =>
    JSON.stringify(value, (_key, v) =>
      v && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => x.localeCompare(y)))
        : v,
    );
  return canonical(asSent(a)) === canonical(asSent(b));
}

function idempotencyKey(header: string | undefined) {
  if (header === undefined) return undefined;
  const key = idempotencyKeySchema.safeParse(header);
  if (!key.success)
    throw new HiltError("INVALID_REQUEST", "Idempotency-Key: 1 to 200 visible ASCII characters", {
      hint: "use a UUID per logical submit",
    });
  return key.data;
}

function noSources(): HiltError {
  return new HiltError("INVALID_REQUEST", "this server takes no git or archive sources", {
    hint: "name a folder of the server's workspace",
  });
}

/** POST /jobs/archive's query as a job request (its options parsed from their JSON text). */
function archiveRequest(query: Record<string, string>): JobRequest {
  const parsed = archiveQuerySchema.safeParse(query);
  if (!parsed.success) throw invalidRequest("query", parsed.error as z.ZodError);
  let options: unknown;
  try {
    options = parsed.data.options === undefined ? undefined : JSON.parse(parsed.data.options);
  } catch {
    throw new HiltError("INVALID_REQUEST", "query.options: not JSON", {
      hint: 'pass the options as a JSON object, e.g. options={"targets":["app"]}',
    });
  }
  const request = jobRequestSchema.safeParse({
    kind: parsed.data.kind,
    ...(parsed.data.workspace === undefined ? {} : { workspace: parsed.data.workspace }),
    ...(options === undefined ? {} : { options }),
  });
  if (!request.success) throw invalidRequest("query", request.error as z.ZodError);
  return request.data;
}

export function jobRoutes(deps: JobRoutesDeps) {
  const { store } = deps;
  const app = new Hono<AuthEnv>();

  /** Stores the job (on disk before the answer) and answers 202, or 200 for a retried key. */
  const submit = async (c: Context<AuthEnv>, request: JobRequest, key: string | undefined) => {
    const { job, created } = await store.submit(request, {
      owner: c.get("caller").id,
      ...(key ? { idempotencyKey: key } : {}),
    });
    if (!created && !sameRequest(job.request, request))
      throw new HiltError(
        "IDEMPOTENCY_CONFLICT",
        "this Idempotency-Key was used for a different request",
        { hint: "use a new key for a new job" },
      );
    if (created) deps.queued();
    c.header("Location", `/jobs/${job.id}`);
    return { job, created };
  };

  app.post("/", requireScope("build"), async (c) => {
    try {
      const key = idempotencyKey(c.req.header("idempotency-key"));
      const parsed = jobRequestSchema.safeParse(await readJson(c.req.raw));
      if (!parsed.success) throw invalidRequest("body", parsed.error as z.ZodError);
      const { source, ...fields } = parsed.data;
      let request: JobRequest = fields;
      if (source) {
        if (!deps.sources) throw noSources();
        // Paths first (no network for a request refused anyway), then the commit.
        deps.sources.checkPaths(request);
        request = { ...request, source: await deps.sources.resolveGit(source) } as JobRequest;
      } else {
        // Refused now (400 with the code) rather than failing later: the same check runs again
        // when the job starts, in case the folder changed in between.
        jobCommand(deps.root, request);
      }
      const { job, created } = await submit(c, request, key);
      return c.json(jobView(job, true), created ? 202 : 200);
    } catch (error) {
      return errorResponse(c, error);
    }
  });

  // The body is the archive (.tar.gz or .tar), the job's fields are in the query. It is
  // unpacked, every entry checked, before the job is stored and the 202 sent.
  app.post("/archive", requireScope("build"), async (c) => {
    try {
      const key = idempotencyKey(c.req.header("idempotency-key"));
      const request = archiveRequest(c.req.query());
      if (!deps.sources) throw noSources();
      deps.sources.checkPaths(request);
      const body = Buffer.from(await c.req.arrayBuffer());
      const { source, tree } = await deps.sources.unpack(body);
      try {
        const full = { ...request, source } as JobRequest;
        jobCommand(tree, full);
        const { job, created } = await submit(c, full, key);
        if (!created) deps.sources.discard(source);
        return c.json(jobView(job, true), created ? 202 : 200);
      } catch (error) {
        deps.sources.discard(source);
        throw error;
      }
    } catch (error) {
      return errorResponse(c, error);
    }
  });
  app.on(["GET", "DELETE"], "/archive", (c) =>
    errorResponse(
      c,
      new HiltError("METHOD_NOT_ALLOWED", `${c.req.method} is not allowed here`, {
        hint: "use POST",
      }),
      { Allow: "POST" },
    ),
  );

  app.get("/", requireScope("read"), async (c) => {
    try {
      const parsed = listQuerySchema.safeParse(c.req.query());
      if (!parsed.success) throw invalidRequest("query", parsed.error as z.ZodError);
      const page = await store.list(parsed.data);
      return c.json({
        jobs: page.jobs.map((job) => jobView(job, false)),
        ...(page.next ? { next: page.next } : {}),
      });
    } catch (error) {
      return errorResponse(c, error);
    }
  });

  const findJob = async (id: string): Promise<Job> => {
    const job = ID.test(id) ? await store.get(id) : undefined;
    if (!job) throw notFound(id);
    return job;
  };

  app.get("/:id", requireScope("read"), async (c) => {
    try {
      return c.json(jobView(await findJob(c.req.param("id")), true));
    } catch (error) {
      return errorResponse(c, error);
    }
  });

  const cancel = requireScope("build");
  const cancelHandler = async (c: Context<AuthEnv>) => {
    try {
      const id = c.req.param("id") ?? "";
      await findJob(id);
      const job = await store.cancel(id);
      if (!job) throw notFound(id);
      deps.cancelled(id);
      // A queued job never reaches the runner: its uploaded source goes now.
      if (job.status === "cancelled" && !job.startedAt) deps.sources?.release(job);
      return c.json(jobView(job, true), 202);
    } catch (error) {
      return errorResponse(c, error);
    }
  };
  app.post("/:id/cancel", cancel, cancelHandler);
  app.delete("/:id", cancel, cancelHandler);

  app.get("/:id/events", requireScope("read"), async (c) => {
    try {
      const job = await findJob(c.req.param("id"));
      const after = resumeAfter(c.req.header("last-event-id") ?? c.req.query("after"));
      return followJob(c, job.id, after, {
        store,
        signals: deps.signals,
        ...(deps.keepAliveMs ? { keepAliveMs: deps.keepAliveMs } : {}),
      });
    } catch (error) {
      return errorResponse(c, error);
    }
  });

  return app;
}
