import { setTimeout as sleep } from "node:timers/promises";
import type { z } from "zod";
import { HiltError } from "../errors.js";
import type { BuildCall, BuildRunner } from "../mcp/server.js";
import { jobCommand } from "./job-command.js";
import { jobRequestSchema } from "./schemas.js";
import type { Job, JobStore } from "./store/types.js";
import { invalidRequest } from "./validation.js";

export interface QueueDeps {
  store: JobStore;
  root: string;
  queued: () => void;
  cancelled: (id: string) => void;
}

/** How often a waiting tool call reads its job's new events and status. */
const POLL_MS = 250;
const FINAL = new Set(["succeeded", "failed", "cancelled", "interrupted"]);

/**
 * The MCP build tools over HTTP as jobs of the server's queue: the same concurrency limit, the
 * job listed in GET /jobs, its events, its cancellation, its survival of a restart. The tool call
 * waits for the job, turns its events into MCP progress and a cancelled call into a cancelled job.
 */
export function queuedBuilds(deps: QueueDeps, owner: string): BuildRunner {
  return async (call) => {
    const request = jobRequestOf(call);
    // Refused now with its code (a path leaving the workspace) rather than as a failed job.
    jobCommand(deps.root, request);
    const { job } = await deps.store.submit(request, { owner });
    deps.queued();
    const cancel = () =>
      void deps.store.cancel(job.id).then(
        () => deps.cancelled(job.id),
        () => {},
      );
    call.signal.addEventListener("abort", cancel, { once: true });
    try {
      return outcome(await follow(deps.store, job.id, call));
    } finally {
      call.signal.removeEventListener("abort", cancel);
    }
  };
}

/** The job request of a tool call: its arguments are the job's options, `root` its workspace. */
function jobRequestOf(call: BuildCall) {
  const { root, buildSecrets, targets, ...options } = call.args;
  if (buildSecrets)
    throw new HiltError("INVALID_REQUEST", "buildSecrets is not available over HTTP", {
      hint: "the server never hands its registry token to a remote caller's builds",
    });
  const parsed = jobRequestSchema.safeParse({
    kind: call.all ? "build-all" : "build",
    workspace: root ?? ".",
    options: { ...options, ...(call.all ? {} : { targets }) },
  });
  if (!parsed.success) throw invalidRequest("arguments", parsed.error as z.ZodError);
  return parsed.data;
}

async function follow(store: JobStore, id: string, call: BuildCall): Promise<Job> {
  let seq = 0;
  for (;;) {
    for (const event of await store.events(id, seq)) {
      seq = event.seq;
      call.onEvent(event.event);
    }
    const job = await store.get(id);
    if (!job) throw new HiltError("NOT_FOUND", `job ${id} is gone`, { hint: "run the tool again" });
    // Events stored before the final status are read on the next turn, then the job is done.
    if (FINAL.has(job.status) && (await store.events(id, seq, 1)).length === 0) return job;
    await sleep(POLL_MS);
  }
}

/**
 * The job's result as the tool's: the result document, or, when the run failed before building
 * (the CLI's error document, or a result with a top-level error), that error as a tool error,
 * as the same call answers over stdio.
 */
function outcome(job: Job): { jobId: string; result: unknown } {
  const result = job.result as { error?: Record<string, unknown> } | undefined;
  if (result?.error && typeof result.error === "object") {
    const { code, message, hint } = result.error;
    throw new HiltError(String(code) as never, String(message), {
      ...(typeof hint === "string" ? { hint } : {}),
      ...(typeof job.exitCode === "number" ? { exitCode: job.exitCode as never } : {}),
    });
  }
  if (result === undefined)
    throw new HiltError("INTERRUPTED", `job ${job.id} ended ${job.status} without a result`, {
      hint: `GET /jobs/${job.id} and its events tell what happened`,
    });
  return { jobId: job.id, result };
}
