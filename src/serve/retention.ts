import { toHiltError } from "../errors.js";
import type { LogLine } from "./access-log.js";
import type { JobStore } from "./store/types.js";

/** How long and how many finished jobs `hilt serve` keeps (0: no such limit). */
export interface Retention {
  days: number;
  jobs: number;
}

export const DEFAULT_RETENTION: Retention = { days: 30, jobs: 10_000 };

const DAY_MS = 86_400_000;
/** How often the store is pruned while the server runs (and once at start). */
export const PRUNE_EVERY_MS = 10 * 60_000;

/**
 * Deletes the finished jobs (and their events) the retention no longer keeps, a batch at a time
 * with a turn of the event loop in between, so that requests are answered meanwhile. Returns
 * how many; a store error is logged, not thrown (the next round tries again).
 */
export async function pruneJobs(store: JobStore, retention: Retention, log: LogLine) {
  if (retention.days === 0 && retention.jobs === 0) return 0;
  const policy = {
    ...(retention.days > 0
      ? { finishedBefore: new Date(Date.now() - retention.days * DAY_MS) }
      : {}),
    ...(retention.jobs > 0 ? { keepNewest: retention.jobs } : {}),
    limit: 200,
  };
  let pruned = 0;
  try {
    for (;;) {
      const batch = await store.prune(policy);
      pruned += batch;
      if (batch < policy.limit) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
  } catch (error) {
    log({ level: "error", msg: "job store", error: toHiltError(error).message });
  }
  if (pruned > 0) log({ level: "info", msg: "pruned jobs", count: pruned, ...retention });
  return pruned;
}

/** Prunes now and every PRUNE_EVERY_MS; the returned function stops it (and waits for a round). */
export function startRetention(
  store: JobStore,
  retention: Retention,
  log: LogLine,
  everyMs = PRUNE_EVERY_MS,
): () => Promise<void> {
  let round = pruneJobs(store, retention, log);
  const timer = setInterval(() => {
    round = round.then(() => pruneJobs(store, retention, log));
  }, everyMs);
  return async () => {
    clearInterval(timer);
    await round;
  };
}
