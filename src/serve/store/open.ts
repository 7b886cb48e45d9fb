import { HiltError } from "../../errors.js";
import { guard } from "./guard.js";
import type { JobStore, StoreOptions } from "./types.js";

/**
 * Opens the job queue `location` names: `postgres://…` / `postgresql://…` (optionally
 * `?schema=NAME`), `sqlite:PATH`, or a plain file path (SQLite). Each driver is loaded only
 * when its queue is used. A database that cannot be reached or written is QUEUE_UNAVAILABLE.
 */
export async function openJobStore(
  location: string,
  options: StoreOptions = {},
): Promise<JobStore> {
  if (/^postgres(ql)?:\/\//i.test(location)) {
    const { openPostgresStore } = await import("./postgres.js");
    return guard(await openPostgresStore(location, options));
  }
  const path = location.replace(/^sqlite:(\/\/(?=\/))?/i, "");
  if (path === "" || /^[a-z][a-z0-9+.-]*:\/\//i.test(path)) {
    throw new HiltError(
      "INVALID_ARGUMENT",
      `unsupported job queue location ${redactLocation(location)}`,
      {
        hint: "pass sqlite:/path/to/jobs.db (or a file path) or postgres://user@host:5432/db",
      },
    );
  }
  const { openSqliteStore } = await import("./sqlite.js");
  return guard(await openSqliteStore(path, options));
}

/** The location without credentials, for messages and logs. */
export function redactLocation(location: string): string {
  try {
    const url = new URL(location);
    if (url.password) url.password = "***";
    return url.toString();
  } catch {
    return location.slice(0, 200);
  }
}
