import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import { HiltError } from "../errors.js";
import type { JobSignals } from "./events-bus.js";
import { FINAL_STATUSES, type JobStore } from "./store/types.js";

export interface SseOptions {
  store: JobStore;
  signals: JobSignals;
  /** A comment line this often keeps proxies from closing an idle stream. */
  keepAliveMs?: number;
  /** How often the store is asked when nothing woke the follower (another instance's job). */
  pollMs?: number;
}

const PAGE = 500;

/** Where a follower resumes: `Last-Event-ID` (an earlier event's id = its seq), else 0. */
export function resumeAfter(header: string | undefined): number {
  if (header === undefined) return 0;
  if (!/^\d{1,15}$/.test(header.trim()))
    throw new HiltError("INVALID_REQUEST", "Last-Event-ID: not an event id (a whole number)", {
      hint: "send the id of the last event received, or nothing to start from the first",
    });
  return Number(header.trim());
}

/**
 * A job's events as Server-Sent Events: each event is one `data:` line holding the NDJSON event,
 * with `id:` its seq. It ends, after a final `event: end` carrying the job's status, once the
 * job is final and every event was sent.
 */
export function followJob(c: Context, jobId: string, after: number, options: SseOptions) {
  const { store, signals } = options;
  return streamSSE(c, async (stream) => {
    const gone = new AbortController();
    stream.onAbort(() => gone.abort());
    let seq = after;
    let lastWrite = Date.now();
    const keepAlive = options.keepAliveMs ?? 15_000;
    while (!gone.signal.aborted) {
      // Status first: a job seen final has stored all its events, so the read below gets them.
      const job = await store.get(jobId);
      const events = await store.events(jobId, seq, PAGE);
      for (const { seq: id, event } of events) {
        await stream.writeSSE({ id: String(id), data: JSON.stringify(event) });
        seq = id;
        lastWrite = Date.now();
      }
      if (events.length === PAGE) continue;
      if (!job || FINAL_STATUSES.has(job.status)) {
        await stream.writeSSE({
          event: "end",
          data: JSON.stringify({ id: jobId, status: job?.status ?? "unknown" }),
        });
        return;
      }
      if (Date.now() - lastWrite >= keepAlive) {
        await stream.write(": keep-alive\n\n");
        lastWrite = Date.now();
      }
      await signals.next(jobId, Math.min(options.pollMs ?? 1000, keepAlive), gone.signal);
    }
  });
}
