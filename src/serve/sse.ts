import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import { HiltError } from "../errors.js";
import { type JobSignals, sseMessage } from "./events-bus.js";
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

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  return Buffer.concat(chunks);
}

/**
 * A job's events as Server-Sent Events: each event is one `data:` line holding the NDJSON event,
 * with `id:` its seq. It ends, after a final `event: end` carrying the job's status, once the
 * job is final and every event was sent.
 *
 * A job running on this instance is followed from its in-memory feed (one encoding of each
 * event, shared by every follower); the store serves what the feed does not hold: events from
 * before this run or older than the feed keeps, and jobs queued or running elsewhere.
 */
export function followJob(c: Context, jobId: string, after: number, options: SseOptions) {
  const { store, signals } = options;
  return streamSSE(c, async (stream) => {
    const gone = new AbortController();
    stream.onAbort(() => gone.abort());
    let seq = after;
    let lastWrite = Date.now();
    const keepAlive = options.keepAliveMs ?? 15_000;
    const send = async (chunks: Uint8Array[], last: number) => {
      await stream.write(concat(chunks));
      seq = last;
      lastWrite = Date.now();
    };
    const end = (status: string) =>
      stream.writeSSE({ event: "end", data: JSON.stringify({ id: jobId, status }) });
    const idle = async (ms: number) => {
      if (Date.now() - lastWrite >= keepAlive) {
        await stream.write(": keep-alive\n\n");
        lastWrite = Date.now();
      }
      await signals.next(jobId, Math.min(ms, keepAlive), gone.signal);
    };
    while (!gone.signal.aborted) {
      const feed = signals.feed(jobId);
      if (feed?.covers(seq)) {
        const batch = feed.after(seq);
        const last = batch.at(-1);
        if (last)
          await send(
            batch.map((e) => e.message),
            last.seq,
          );
        else if (feed.final) return end(feed.final);
        else await idle(keepAlive);
        continue;
      }
      // Status first: a job seen final has stored all its events, so the read below gets them.
      const job = feed ? undefined : await store.get(jobId);
      const events = await store.events(jobId, seq, PAGE);
      const last = events.at(-1);
      if (last)
        await send(
          events.map((e) => sseMessage(e.seq, JSON.stringify(e.event))),
          last.seq,
        );
      if (events.length === PAGE) continue;
      if (feed) {
        // Caught up with the store: the feed takes over from its next event.
        if (feed.final && feed.last <= seq) return end(feed.final);
        if (feed.last <= seq || events.length === 0) await idle(options.pollMs ?? 1000);
        continue;
      }
      if (!job || FINAL_STATUSES.has(job.status)) return end(job?.status ?? "unknown");
      await idle(options.pollMs ?? 1000);
    }
  });
}
