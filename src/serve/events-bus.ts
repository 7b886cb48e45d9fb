import type { JobStatus } from "./store/types.js";

/** One stored event as its SSE message, encoded once for every follower. */
export interface FeedEvent {
  seq: number;
  message: Uint8Array;
}

/** How many recent events a running job keeps in memory; older ones are read from the store. */
const RING = 2000;
const RING_BYTES = 4 * 1024 * 1024;
/** A finished job's feed stays this long, for the followers that are still catching up. */
const LINGER_MS = 10_000;
/**
 * Followers woken per turn of the event loop: hundreds writing at once would hold the server's
 * thread for tens of milliseconds, and a status read arriving then would wait for all of them.
 */
const WAKE_SLICE = 25;

const encoder = new TextEncoder();

/** The SSE message of one event: `id:` its seq, one `data:` line with the NDJSON event. */
export const sseMessage = (seq: number, json: string): Uint8Array =>
  encoder.encode(`data: ${json}\nid: ${seq}\n\n`);

/**
 * The recent events of a job running on this instance, in seq order without gaps: a follower
 * whose next event is here is served from memory, one store read per event shared by all.
 */
export class JobFeed {
  readonly events: FeedEvent[] = [];
  /** Set when the job ended here (every event of this run is in the feed or the store by then). */
  final: JobStatus | undefined;
  private bytes = 0;

  /** The feed has every event after `seq` (the ones this run stored so far). */
  covers(seq: number): boolean {
    const first = this.events[0]?.seq;
    return first !== undefined && first <= seq + 1;
  }

  get last(): number {
    return this.events.at(-1)?.seq ?? 0;
  }

  /** Events with seq > `seq` (the caller checked covers()). */
  after(seq: number): FeedEvent[] {
    const first = this.events[0]?.seq ?? 0;
    return this.events.slice(Math.max(seq + 1 - first, 0));
  }

  add(event: FeedEvent): void {
    // A gap (an event stored by someone else, e.g. another instance's recovery) would be skipped
    // by followers served from here: start over, and they read the store up to the new event.
    if (this.events.length > 0 && event.seq !== this.last + 1) this.clear();
    this.events.push(event);
    this.bytes += event.message.byteLength;
    while (this.events.length > RING || this.bytes > RING_BYTES) {
      const dropped = this.events.shift();
      this.bytes -= dropped?.message.byteLength ?? 0;
    }
  }

  private clear(): void {
    this.events.length = 0;
    this.bytes = 0;
  }
}

/**
 * This instance's live view of its jobs: wakes SSE followers when the runner stored an event or
 * finished a job, and keeps each running job's recent events (JobFeed) so that hundreds of
 * followers are served without a store read each. Followers of jobs running elsewhere (a shared
 * PostgreSQL queue) still read the store, slowly.
 */
export class JobSignals {
  private readonly waiting = new Map<string, Set<() => void>>();
  private readonly feeds = new Map<string, JobFeed>();
  private readonly lingering = new Set<NodeJS.Timeout>();

  constructor(private readonly lingerMs = LINGER_MS) {}

  /** Wakes the job's followers, a slice per turn of the event loop (requests answered between). */
  changed(jobId: string): void {
    const waiters = this.waiting.get(jobId);
    if (!waiters) return;
    this.waiting.delete(jobId);
    const all = [...waiters];
    const wake = (from: number) => {
      for (const done of all.slice(from, from + WAKE_SLICE)) done();
      if (from + WAKE_SLICE < all.length) setImmediate(wake, from + WAKE_SLICE);
    };
    wake(0);
  }

  /** The runner started the job here: its events will be published. */
  open(jobId: string): void {
    if (!this.feeds.has(jobId)) this.feeds.set(jobId, new JobFeed());
  }

  /** The runner stored event `seq` of the job (`json`: the event as stored). */
  publish(jobId: string, seq: number, json: string): void {
    this.feeds.get(jobId)?.add({ seq, message: sseMessage(seq, json) });
    this.changed(jobId);
  }

  /**
   * The job ended here with `status` (undefined: unknown, followers ask the store). Its feed
   * stays a few seconds for followers still catching up.
   */
  close(jobId: string, status: JobStatus | undefined): void {
    const feed = this.feeds.get(jobId);
    if (feed && status) feed.final = status;
    else this.feeds.delete(jobId);
    this.changed(jobId);
    if (!feed || !status) return;
    const timer = setTimeout(() => {
      this.lingering.delete(timer);
      if (this.feeds.get(jobId) === feed) this.feeds.delete(jobId);
    }, this.lingerMs);
    timer.unref();
    this.lingering.add(timer);
  }

  feed(jobId: string): JobFeed | undefined {
    return this.feeds.get(jobId);
  }

  /** How many jobs have a feed (tests: finished ones are dropped). */
  get size(): number {
    return this.feeds.size;
  }

  /** Resolves at the next change of the job, or after `ms`, or when `signal` aborts. */
  next(jobId: string, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const waiters = this.waiting.get(jobId) ?? new Set<() => void>();
      this.waiting.set(jobId, waiters);
      const done = () => {
        clearTimeout(timer);
        const current = this.waiting.get(jobId);
        current?.delete(done);
        if (current?.size === 0) this.waiting.delete(jobId);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      waiters.add(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }
}
