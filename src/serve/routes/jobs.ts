import { type Context, Hono } from "hono";
import type { z } from "zod";
import { HiltError } from "../../errors.js";
import type { AuthEnv } from "../auth.js";
import { requireScope } from "../auth.js";
import type { JobSignals } from "../events-bus.js";
import { errorResponse } from "../http-error.js";
import { jobCommand } from "../job-command.js";
import { idempotencyKeySchema, jobRequestSchema, listQuerySchema } from "../schemas.js";
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

function sameRequest(a: JobRequest, b: JobRequest): boolean {
  const canonical = (value: unknown): string =>
    JSON.stringify(value, (_key, v) =>
      v && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => x.localeCompare(y)))
        : v,
    );
  return canonical(a) === canonical(b);
}

export function jobRoutes(deps: JobRoutesDeps) {
  const { store } = deps;
  const app = new Hono<AuthEnv>();

  app.post("/", requireScope("build"), async (c) => {
    try {
      const keyHeader = c.req.header("idempotency-key");
      const key = keyHeader === undefined ? undefined : idempotencyKeySchema.safeParse(keyHeader);
      if (key && !key.success)
        throw new HiltError(
          "INVALID_REQUEST",
          "Idempotency-Key: 1 to 200 visible ASCII characters",
          {
            hint: "use a UUID per logical submit",
          },
        );
      const parsed = jobRequestSchema.safeParse(await readJson(c.req.raw));
      if (!parsed.success) throw invalidRequest("body", parsed.error as z.ZodError);
      const request: JobRequest = parsed.data;
      // Refused now (400 with the code) rather than failing later: the same check runs again
      // when the job starts, in case the folder changed in between.
      jobCommand(deps.root, request);
      const owner = c.get("caller").id;
      const { job, created } = await store.submit(request, {
        owner,
        ...(key?.success ? { idempotencyKey: key.data } : {}),
      });
      if (!created && !sameRequest(job.request, request))
        throw new HiltError(
          "IDEMPOTENCY_CONFLICT",
          "this Idempotency-Key was used for a different request",
          { hint: "use a new key for a new job" },
        );
      if (created) deps.queued();
      c.header("Location", `/jobs/${job.id}`);
      return c.json(jobView(job, true), created ? 202 : 200);
    } catch (error) {
      return errorResponse(c, error);
    }
  });

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
