import { HiltError } from "../../errors.js";
import type { JobStore } from "./types.js";

/** PostgreSQL SQLSTATE classes and codes that say "the server, not the query": try again later. */
const PG_UNAVAILABLE = /^(08|53|57P0[123]|40001|40P01)/;
const NET_ERRORS = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENOTFOUND", "EPIPE"]);
/** SQLite result codes (extended ones share the prefix) that say the same of the file. */
const SQLITE_UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|READONLY|CANTOPEN|CORRUPT|NOTADB)/;
/** pg's own messages for a lost or unreachable server (they carry no SQLSTATE). */
const DRIVER_MESSAGES = /connection terminated|timeout exceeded when trying to connect/i;

/**
 * A database failure as Hilt reports it: one that says the queue cannot be reached or written
 * (server down, disk full, file locked too long) becomes QUEUE_UNAVAILABLE (exit 4, HTTP 503);
 * anything else is left as it is (a bug: INTERNAL).
 */
export function queueError(error: unknown): unknown {
  if (error instanceof HiltError || !(error instanceof Error)) return error;
  const code = String((error as { code?: unknown }).code ?? "");
  const unavailable =
    PG_UNAVAILABLE.test(code) ||
    NET_ERRORS.has(code) ||
    SQLITE_UNAVAILABLE.test(code) ||
    DRIVER_MESSAGES.test(error.message);
  if (!unavailable) return error;
  return new HiltError("QUEUE_UNAVAILABLE", `the job queue is unavailable: ${error.message}`, {
    cause: error,
    hint: "retry in a moment; if it lasts, check the queue's database server or disk",
  });
}

/** The store with every failure passed through queueError. */
export function guard(store: JobStore): JobStore {
  const wrap =
    <A extends unknown[], R>(method: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> =>
      method.apply(store, args).catch((error: unknown) => {
        throw queueError(error);
      });
  return {
    submit: wrap(store.submit),
    get: wrap(store.get),
    list: wrap(store.list),
    claim: wrap(store.claim),
    appendEvent: wrap(store.appendEvent),
    events: wrap(store.events),
    finish: wrap(store.finish),
    cancel: wrap(store.cancel),
    heartbeat: wrap(store.heartbeat),
    recover: wrap(store.recover),
    prune: wrap(store.prune),
    close: wrap(store.close),
  };
}
