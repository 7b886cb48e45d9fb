import { describe, expect, it } from "vitest";
import { createApp } from "../../src/serve/app.js";
import { JobFeed, JobSignals, sseMessage } from "../../src/serve/events-bus.js";
import { MemoryStore } from "../../src/serve/memory-store.js";
import { tempRepo } from "../helpers/cli.js";

/** A MemoryStore that counts its reads of events and jobs. */
class CountingStore extends MemoryStore {
  eventReads = 0;
  jobReads = 0;
  override async events(jobId: string, afterSeq: number, limit?: number) {
    this.eventReads++;
    return super.events(jobId, afterSeq, limit);
  }
  override async get(id: string) {
    this.jobReads++;
    return super.get(id);
  }
}

function setup() {
  const root = tempRepo({ "repo/catalog.yaml": "schemaVersion: 1\nimages: {}\n" });
  const store = new CountingStore();
  const signals = new JobSignals(50);
  const app = createApp({
    store,
    signals,
    root,
    version: "test",
    tokens: [],
    corsOrigins: [],
    rateLimit: { burst: 100_000, perSecond: 100_000 },
    maxBodyBytes: 4096,
    log: () => {},
  });
  /** Follows the job's SSE stream to its end; resolves to the ids seen and the end line. */
  const follow = async (id: string, lastEventId?: string) => {
    const response = await app.request(`/jobs/${id}/events`, {
      headers: lastEventId ? { "Last-Event-ID": lastEventId } : {},
    });
    const text = await response.text();
    const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    return { ids, text, end: /event: end\ndata: (.*)/.exec(text)?.[1] };
  };
  /** What the runner does: a job claimed here, its events stored then published, its end. */
  const running = async () => {
    const { job } = await store.submit(
      { kind: "detect", workspace: ".", options: {} },
      { owner: "local" },
    );
    await store.claim("w");
    signals.open(job.id);
    const emit = async (n: number) => {
      const event = { event: "log", message: `m${n}` };
      signals.publish(job.id, await store.appendEvent(job.id, event), JSON.stringify(event));
    };
    const end = async () => {
      await store.finish(job.id, { status: "succeeded", exitCode: 0 });
      signals.close(job.id, "succeeded");
    };
    return { job, emit, end };
  };
  const tick = () => new Promise((r) => setTimeout(r, 5));
  return { store, signals, follow, running, tick };
}

describe("hilt serve: SSE followers of a job running here", () => {
  it("serves many followers from the job's feed: no store read per event or per follower", async () => {
    const { store, follow, running, tick } = setup();
    const { job, emit, end } = await running();
    await emit(1);
    const followers = Array.from({ length: 50 }, () => follow(job.id));
    await tick();
    const before = store.eventReads;
    for (let n = 2; n <= 30; n++) {
      await emit(n);
      if (n % 5 === 0) await tick();
    }
    await end();
    const seen = await Promise.all(followers);
    const expected = Array.from({ length: 30 }, (_, i) => i + 1);
    for (const { ids, end: last } of seen) {
      expect(ids).toEqual(expected);
      expect(JSON.parse(last ?? "{}")).toEqual({ id: job.id, status: "succeeded" });
    }
    // Each follower read the store once on arrival (event 1 came before the feed had it all
    // for them); the 29 later events reached all 50 without another read.
    expect(store.eventReads).toBe(before);
    expect(before).toBeLessThanOrEqual(50);
  });

  it("sends each event exactly as a follower reading the store gets it", async () => {
    const { follow, running, tick, signals } = setup();
    const { job, emit, end } = await running();
    const live = follow(job.id);
    await tick();
    for (const n of [1, 2, 3]) await emit(n);
    await end();
    const fromFeed = await live;
    await new Promise((r) => setTimeout(r, 80)); // the feed lingers 50 ms in this setup
    expect(signals.feed(job.id)).toBeUndefined();
    const fromStore = await follow(job.id);
    expect(fromFeed.text).toBe(fromStore.text);
  });

  it("resumes from the store when Last-Event-ID is older than the feed holds, without gaps", async () => {
    const { follow, running, signals } = setup();
    const { job, emit, end } = await running();
    for (let n = 1; n <= 10; n++) await emit(n);
    signals.feed(job.id)?.events.splice(0, 6); // as if trimmed: the feed keeps 7..10
    const late = follow(job.id, "2");
    await emit(11);
    await end();
    expect((await late).ids).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it("ends a follower of a job that finished here with no events, with the stored status", async () => {
    const { follow, running } = setup();
    const { job, end } = await running();
    const waiting = follow(job.id);
    await end();
    const { ids, end: last } = await waiting;
    expect(ids).toEqual([]);
    expect(JSON.parse(last ?? "{}").status).toBe("succeeded");
  });

  it("falls back to the store when the runner could not tell the final status", async () => {
    const { store, signals, follow, running } = setup();
    const { job, emit } = await running();
    await emit(1);
    const waiting = follow(job.id);
    await store.finish(job.id, { status: "failed", exitCode: 4 });
    signals.close(job.id, undefined);
    expect(signals.size).toBe(0);
    const { ids, end } = await waiting;
    expect(ids).toEqual([1]);
    expect(JSON.parse(end ?? "{}").status).toBe("failed");
  });
});

describe("JobSignals", () => {
  it("wakes many followers a slice per turn of the event loop, every one of them", async () => {
    const signals = new JobSignals();
    const woken: number[] = [];
    const waits = Array.from({ length: 100 }, (_, i) =>
      signals.next("job", 60_000).then(() => woken.push(i)),
    );
    signals.changed("job");
    await Promise.resolve();
    expect(woken.length).toBe(25);
    await new Promise((r) => setImmediate(r));
    expect(woken.length).toBeLessThan(100);
    await Promise.all(waits);
    expect(woken.sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it("forgets a follower that timed out or left, and wakes only that job's", async () => {
    const signals = new JobSignals();
    const gone = new AbortController();
    const left = signals.next("a", 60_000, gone.signal);
    gone.abort();
    await left;
    await signals.next("a", 5);
    let other = false;
    const waiting = signals.next("b", 50).then(() => {
      other = true;
    });
    signals.changed("a");
    await new Promise((r) => setTimeout(r, 10));
    expect(other).toBe(false);
    await waiting;
    expect(other).toBe(true);
  });
});

describe("JobFeed", () => {
  const add = (feed: JobFeed, seq: number) => feed.add({ seq, message: sseMessage(seq, "{}") });

  it("keeps the recent events in order and says which resume points it covers", () => {
    const feed = new JobFeed();
    expect(feed.covers(0)).toBe(false);
    for (const seq of [4, 5, 6]) add(feed, seq);
    expect(feed.covers(2)).toBe(false);
    expect(feed.covers(3)).toBe(true);
    expect(feed.after(4).map((e) => e.seq)).toEqual([5, 6]);
    expect(feed.after(6)).toEqual([]);
    expect(feed.last).toBe(6);
  });

  it("starts over at a gap (an event stored by someone else), so followers read the store", () => {
    const feed = new JobFeed();
    for (const seq of [1, 2, 3, 5]) add(feed, seq);
    expect(feed.events.map((e) => e.seq)).toEqual([5]);
    expect(feed.covers(3)).toBe(false);
  });

  it("holds at most 2000 events", () => {
    const feed = new JobFeed();
    for (let seq = 1; seq <= 2500; seq++) add(feed, seq);
    expect(feed.events.length).toBe(2000);
    expect(feed.events[0]?.seq).toBe(501);
  });
});
