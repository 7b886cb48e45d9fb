import { HiltError } from "../../errors.js";
import {
  JOB_KINDS,
  JOB_STATUSES,
  type Job,
  type JobFilter,
  type JobKind,
  type JobStatus,
  type RecoveryPolicy,
  type RetentionPolicy,
  type SubmitOptions,
} from "./types.js";

/** A `jobs` row as both stores return it (SQLite: text and integers; PostgreSQL: Date, boolean). */
export interface JobRow {
  pos: number | string;
  id: string;
  kind: string;
  status: string;
  request: string;
  owner: string;
  idempotency_key: string | null;
  created_at: string | Date;
  started_at: string | Date | null;
  finished_at: string | Date | null;
  result: string | null;
  exit_code: number | null;
  cancel_requested: number | boolean;
  worker: string | null;
}

export const DEFAULT_LEASE_MS = 30_000;
export const MAX_PAGE = 500;
const MAX_EVENTS = 10_000;

const iso = (value: string | Date): string => (value instanceof Date ? value.toISOString() : value);

export function toJob(row: JobRow): Job {
  const job: Job = {
    id: row.id,
    kind: row.kind as JobKind,
    status: row.status as JobStatus,
    request: JSON.parse(row.request),
    owner: row.owner,
    createdAt: iso(row.created_at),
    cancelRequested: Boolean(row.cancel_requested),
  };
  if (row.idempotency_key !== null) job.idempotencyKey = row.idempotency_key;
  if (row.started_at !== null) job.startedAt = iso(row.started_at);
  if (row.finished_at !== null) job.finishedAt = iso(row.finished_at);
  if (row.result !== null) job.result = JSON.parse(row.result);
  if (row.exit_code !== null) job.exitCode = row.exit_code;
  if (row.worker !== null) job.worker = row.worker;
  return job;
}

const KEY_MAX = 200;

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are the point
const unprintable = (value: string): boolean => /[\u0000-\u001f\u007f]/.test(value);

/**
 * The idempotency key (1 to 200 characters) and the owner (up to 200) go into the database as
 * text without control characters: PostgreSQL refuses NUL in text, and both stores refuse alike.
 */
export function checkSubmit(options: SubmitOptions): void {
  const bad = (value: string) => value.length > KEY_MAX || unprintable(value);
  const key = options.idempotencyKey;
  if (key !== undefined && (key === "" || bad(key))) {
    throw new HiltError(
      "INVALID_ARGUMENT",
      "the idempotency key is empty, too long or unprintable",
      {
        hint: `use 1 to ${KEY_MAX} printable characters (a UUID is a good idempotency key)`,
      },
    );
  }
  if (bad(options.owner)) {
    throw new HiltError("INVALID_ARGUMENT", "the job owner is too long or unprintable", {
      hint: `a token id of at most ${KEY_MAX} printable characters`,
    });
  }
}

/** Job ids are UUIDs: anything else names no job (and never reaches SQL, where NUL fails). */
export const isJobId = (id: string): boolean =>
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id);

/** A job's result as stored: the JSON text, or NULL when there is none. */
export const resultText = (result: unknown): string | null =>
  result === undefined ? null : JSON.stringify(result);

/** The `next` cursor: the position of the last job of a page, opaque to callers. */
export const encodeCursor = (pos: number | string): string =>
  Buffer.from(`p${pos}`).toString("base64url");

export function decodeCursor(cursor: string): number {
  const text = Buffer.from(cursor, "base64url").toString();
  if (!/^p[1-9][0-9]{0,15}$/.test(text)) {
    throw new HiltError("INVALID_ARGUMENT", "the job list cursor is not one this server gave", {
      hint: "pass the `next` value of the previous page unchanged, or no cursor for page one",
    });
  }
  return Number(text.slice(1));
}

export const pageSize = (filter: JobFilter): number =>
  Math.min(Math.max(Math.trunc(filter.limit) || 1, 1), MAX_PAGE);

/** `afterSeq` as both databases take it (a Last-Event-ID is the client's); undefined: none after. */
export function afterSeqOf(afterSeq: number): number | undefined {
  const after = Math.max(Math.trunc(afterSeq), 0);
  return Number.isFinite(after) && after < 2 ** 31 - 1 ? after : undefined;
}

export const eventLimit = (limit: number | undefined): number =>
  Math.min(Math.max(Math.trunc(limit ?? MAX_EVENTS) || 1, 1), MAX_EVENTS);

/**
 * What recovery does to a job its dead worker left running: interrupt it, or queue it again
 * (a job whose cancel was asked for ends cancelled instead of running again).
 */
export const recoveredStatus = (policy: RecoveryPolicy, cancelRequested: boolean): JobStatus =>
  policy === "interrupt" ? "interrupted" : cancelRequested ? "cancelled" : "queued";

/** The event a recovered job gets, in the shape of the `--events` NDJSON events. */
export const recoveryEvent = (status: JobStatus, worker: string | null): string =>
  JSON.stringify({
    event: `job-${status === "queued" ? "requeued" : status}`,
    reason: "the server running the job stopped before it finished",
    worker,
    time: new Date().toISOString(),
  });

/** The list query of both stores; `placeholder(n)` spells the n-th parameter (`?` or `$n`). */
export function listQuery(
  filter: JobFilter,
  placeholder: (n: number) => string,
): { sql: string; params: unknown[]; size: number } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (column: string, op: string, value: unknown) => {
    params.push(value);
    where.push(`${column} ${op} ${placeholder(params.length)}`);
  };
  const unknown =
    (filter.status && !JOB_STATUSES.includes(filter.status)) ||
    (filter.kind && !JOB_KINDS.includes(filter.kind)) ||
    (filter.owner !== undefined && unprintable(filter.owner));
  if (unknown) {
    throw new HiltError("INVALID_ARGUMENT", "the job list filter has an unknown status or kind", {
      hint: `status: ${JOB_STATUSES.join(", ")}; kind: ${JOB_KINDS.join(", ")}`,
    });
  }
  if (filter.status) add("status", "=", filter.status);
  if (filter.kind) add("kind", "=", filter.kind);
  if (filter.owner !== undefined) add("owner", "=", filter.owner);
  if (filter.cursor !== undefined) add("pos", "<", decodeCursor(filter.cursor));
  const size = pageSize(filter);
  params.push(size + 1);
  const clause = where.length > 0 ? `WHERE ${where.join(" AND ")} ` : "";
  const sql = `SELECT * FROM jobs ${clause}ORDER BY pos DESC LIMIT ${placeholder(params.length)}`;
  return { sql, params, size };
}

/** Splits a page fetched with one row more than asked into jobs and the next cursor. */
export function toPage(rows: JobRow[], size: number): { jobs: Job[]; next?: string } {
  const jobs = rows.slice(0, size).map(toJob);
  const last = rows[size - 1];
  return rows.length > size && last ? { jobs, next: encodeCursor(last.pos) } : { jobs };
}

export const PRUNE_BATCH = 500;

/**
 * The ids prune() removes, as a query both stores run (`placeholder(n)` spells the n-th
 * parameter): finished jobs finished before the cutoff, or beyond the newest `keepNewest`.
 */
export function pruneQuery(
  policy: RetentionPolicy,
  placeholder: (n: number) => string,
  time: (value: Date) => unknown,
): { sql: string; params: unknown[] } | undefined {
  const params: unknown[] = [];
  const add = (value: unknown) => {
    params.push(value);
    return placeholder(params.length);
  };
  const final = "status IN ('succeeded', 'failed', 'cancelled', 'interrupted')";
  const reasons: string[] = [];
  if (policy.finishedBefore)
    reasons.push(`COALESCE(finished_at, created_at) < ${add(time(policy.finishedBefore))}`);
  if (policy.keepNewest !== undefined)
    reasons.push(
      `pos < COALESCE((SELECT MIN(pos) FROM (SELECT pos FROM jobs WHERE ${final}
         ORDER BY pos DESC LIMIT ${add(Math.max(Math.trunc(policy.keepNewest), 0))}) newest),
         ${Number.MAX_SAFE_INTEGER})`,
    );
  if (reasons.length === 0) return undefined;
  const limit = add(Math.max(Math.trunc(policy.limit ?? PRUNE_BATCH), 1));
  return {
    sql: `SELECT id FROM jobs WHERE ${final} AND (${reasons.join(" OR ")}) ORDER BY pos LIMIT ${limit}`,
    params,
  };
}
