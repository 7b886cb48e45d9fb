import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import { HiltError } from "../../errors.js";
import {
  afterSeqOf,
  checkSubmit,
  DEFAULT_LEASE_MS,
  eventLimit,
  isJobId,
  type JobRow,
  listQuery,
  pruneQuery,
  recoveredStatus,
  recoveryEvent,
  resultText,
  toJob,
  toPage,
} from "./rows.js";
import type {
  FinishOptions,
  Job,
  JobEvent,
  JobFilter,
  JobPage,
  JobRequest,
  JobStore,
  RecoverOptions,
  RecoveryPolicy,
  RetentionPolicy,
  StoreOptions,
  SubmitOptions,
} from "./types.js";

/** Each entry moves the schema one version up; never edit one that has shipped. */
const MIGRATIONS = [
  `CREATE TABLE jobs (
     pos INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     kind TEXT NOT NULL,
     status TEXT NOT NULL,
     request TEXT NOT NULL,
     owner TEXT NOT NULL,
     idempotency_key TEXT,
     created_at TEXT NOT NULL,
     started_at TEXT,
     finished_at TEXT,
     result TEXT,
     exit_code INTEGER,
     cancel_requested INTEGER NOT NULL DEFAULT 0,
     worker TEXT,
     event_count INTEGER NOT NULL DEFAULT 0,
     UNIQUE (owner, idempotency_key)
   );
   CREATE INDEX jobs_status ON jobs (status, pos);
   CREATE INDEX jobs_owner ON jobs (owner, pos);
   CREATE TABLE events (
     job_id TEXT NOT NULL REFERENCES jobs (id),
     seq INTEGER NOT NULL,
     json TEXT NOT NULL,
     PRIMARY KEY (job_id, seq)
   ) WITHOUT ROWID;
   CREATE TABLE workers (
     id TEXT PRIMARY KEY,
     heartbeat_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL
   );`,
];
const VERSION = MIGRATIONS.length;

type Database = BetterSqlite3.Database;

async function loadDriver(): Promise<typeof BetterSqlite3> {
  try {
    return (await import("better-sqlite3")).default;
  } catch (error) {
    throw new HiltError("QUEUE_UNAVAILABLE", "the SQLite job queue needs better-sqlite3", {
      cause: error,
      hint: "install better-sqlite3 (npm install better-sqlite3) or pass --queue postgres://…",
    });
  }
}

/** Opens (creating and migrating if needed) the SQLite job queue at `path` (or ":memory:"). */
export async function openSqliteStore(
  path: string,
  options: StoreOptions = {},
): Promise<SqliteJobStore> {
  const Driver = await loadDriver();
  let db: Database | undefined;
  try {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    db = new Driver(path, { timeout: 10_000 });
    // WAL, and an fsync at every commit: a job is on disk before submit() resolves.
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.pragma("foreign_keys = ON");
    migrate(db);
  } catch (error) {
    db?.close();
    if (error instanceof HiltError) throw error;
    throw new HiltError("QUEUE_UNAVAILABLE", `cannot open the SQLite job queue ${path}`, {
      cause: error,
      hint: `check that ${path} is a Hilt job queue (or absent) in a writable folder: ${
        error instanceof Error ? error.message : String(error)
      }`,
    });
  }
  return new SqliteJobStore(db, options.leaseMs ?? DEFAULT_LEASE_MS);
}

function migrate(db: Database): void {
  db.transaction(() => {
    db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
    const row = db.prepare("SELECT version FROM schema_version").get() as
      | { version: number }
      | undefined;
    const current = row?.version ?? 0;
    if (current > VERSION) {
      throw new HiltError(
        "QUEUE_UNAVAILABLE",
        `the job queue ${db.name} was made by a newer Hilt (schema version ${current})`,
        {
          hint: `this one reads up to ${VERSION}: upgrade, or use another --queue`,
        },
      );
    }
    for (const sql of MIGRATIONS.slice(current)) db.exec(sql);
    if (!row) db.prepare("INSERT INTO schema_version (version) VALUES (?)").run(0);
    db.prepare("UPDATE schema_version SET version = ?").run(VERSION);
  }).immediate();
}

const now = (): string => new Date().toISOString();

export class SqliteJobStore implements JobStore {
  private readonly db: Database;
  private readonly leaseMs: number;
  private readonly sql;

  constructor(db: Database, leaseMs: number) {
    this.db = db;
    this.leaseMs = leaseMs;
    this.sql = {
      insert: db.prepare(
        `INSERT INTO jobs (id, kind, status, request, owner, idempotency_key, created_at)
         VALUES (?, ?, 'queued', ?, ?, ?, ?)
         ON CONFLICT (owner, idempotency_key) DO NOTHING RETURNING *`,
      ),
      byKey: db.prepare("SELECT * FROM jobs WHERE owner = ? AND idempotency_key = ?"),
      byId: db.prepare("SELECT * FROM jobs WHERE id = ?"),
      anyQueued: db.prepare("SELECT 1 FROM jobs WHERE status = 'queued' LIMIT 1"),
      claim: db.prepare(
        `UPDATE jobs SET status = 'running', worker = ?, started_at = ?
         WHERE status = 'queued'
           AND pos = (SELECT pos FROM jobs WHERE status = 'queued' ORDER BY pos LIMIT 1)
         RETURNING *`,
      ),
      nextSeq: db.prepare(
        "UPDATE jobs SET event_count = event_count + 1 WHERE id = ? RETURNING event_count AS seq",
      ),
      insertEvent: db.prepare("INSERT INTO events (job_id, seq, json) VALUES (?, ?, ?)"),
      events: db.prepare(
        "SELECT seq, json FROM events WHERE job_id = ? AND seq > ? ORDER BY seq LIMIT ?",
      ),
      finish: db.prepare(
        `UPDATE jobs SET status = ?, result = ?, exit_code = ?, finished_at = ?
         WHERE id = ? AND status IN ('queued', 'running') AND (? IS NULL OR worker = ?)`,
      ),
      cancel: db.prepare(
        `UPDATE jobs SET
           status = CASE status WHEN 'queued' THEN 'cancelled' ELSE status END,
           finished_at = CASE status WHEN 'queued' THEN ? ELSE finished_at END,
           cancel_requested = CASE status WHEN 'running' THEN 1 ELSE cancel_requested END
         WHERE id = ? RETURNING *`,
      ),
      heartbeat: db.prepare(
        `INSERT INTO workers (id, heartbeat_at, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (id) DO UPDATE
         SET heartbeat_at = excluded.heartbeat_at, expires_at = excluded.expires_at`,
      ),
      orphans: db.prepare(
        `SELECT * FROM jobs WHERE status = 'running' AND (
           (worker = ? AND ?) OR
           (worker IS NOT ? AND NOT EXISTS
             (SELECT 1 FROM workers w WHERE w.id = jobs.worker AND w.expires_at > ?)))`,
      ),
      deleteEvents: db.prepare("DELETE FROM events WHERE job_id = ?"),
      deleteJob: db.prepare("DELETE FROM jobs WHERE id = ?"),
      recover: db.prepare(
        `UPDATE jobs SET status = ?, finished_at = ?,
           worker = CASE ? WHEN 'queued' THEN NULL ELSE worker END,
           started_at = CASE ? WHEN 'queued' THEN NULL ELSE started_at END
         WHERE id = ?`,
      ),
    };
  }

  async submit(request: JobRequest, options: SubmitOptions) {
    checkSubmit(options);
    const key = options.idempotencyKey ?? null;
    return this.db
      .transaction(() => {
        const row = this.sql.insert.get(
          randomUUID(),
          request.kind,
          JSON.stringify(request),
          options.owner,
          key,
          now(),
        ) as JobRow | undefined;
        if (row) return { job: toJob(row), created: true };
        const first = this.sql.byKey.get(options.owner, key) as JobRow;
        return { job: toJob(first), created: false };
      })
      .immediate();
  }

  async get(id: string): Promise<Job | undefined> {
    if (!isJobId(id)) return undefined;
    const row = this.sql.byId.get(id) as JobRow | undefined;
    return row && toJob(row);
  }

  async list(filter: JobFilter): Promise<JobPage> {
    const { sql, params, size } = listQuery(filter, () => "?");
    return toPage(this.db.prepare(sql).all(...params) as JobRow[], size);
  }

  async claim(worker: string): Promise<Job | undefined> {
    // The runner asks twice a second: an empty queue costs a read, not a write and its fsync
    // on the server's thread (the heartbeat timer keeps the worker alive meanwhile).
    if (!this.sql.anyQueued.get()) return undefined;
    return this.db
      .transaction(() => {
        this.beat(worker);
        const row = this.sql.claim.get(worker, now()) as JobRow | undefined;
        return row && toJob(row);
      })
      .immediate();
  }

  /**
   * Events commit without their own fsync (synchronous=NORMAL: in the OS's hands, so they survive
   * kill -9) and reach the disk with the next job state change's fsync, which covers the whole
   * WAL. A build's every progress line would otherwise cost an fsync on the server's one thread.
   */
  async appendEvent(jobId: string, event: Record<string, unknown>): Promise<number> {
    this.db.pragma("synchronous = NORMAL");
    try {
      return this.db.transaction(() => this.append(jobId, JSON.stringify(event))).immediate();
    } finally {
      this.db.pragma("synchronous = FULL");
    }
  }

  async events(jobId: string, afterSeq: number, limit?: number): Promise<JobEvent[]> {
    const after = afterSeqOf(afterSeq);
    if (!isJobId(jobId) || after === undefined) return [];
    const rows = this.sql.events.all(jobId, after, eventLimit(limit)) as {
      seq: number;
      json: string;
    }[];
    return rows.map((row) => ({ jobId, seq: row.seq, event: JSON.parse(row.json) }));
  }

  async finish(jobId: string, options: FinishOptions): Promise<void> {
    if (!isJobId(jobId)) return;
    const worker = options.worker ?? null;
    this.sql.finish.run(
      options.status,
      resultText(options.result),
      options.exitCode ?? null,
      now(),
      jobId,
      worker,
      worker,
    );
  }

  async cancel(jobId: string): Promise<Job | undefined> {
    if (!isJobId(jobId)) return undefined;
    const row = this.sql.cancel.get(now(), jobId) as JobRow | undefined;
    return row && toJob(row);
  }

  /** Not fsynced on its own (a heartbeat lost to a power cut only shortens the lease). */
  async heartbeat(worker: string): Promise<void> {
    this.db.pragma("synchronous = NORMAL");
    try {
      this.beat(worker);
    } finally {
      this.db.pragma("synchronous = FULL");
    }
  }

  async recover(
    worker: string,
    policy: RecoveryPolicy,
    options: RecoverOptions = {},
  ): Promise<number> {
    return this.db
      .transaction(() => {
        const own = (options.own ?? true) ? 1 : 0;
        const rows = this.sql.orphans.all(worker, own, worker, Date.now()) as JobRow[];
        for (const row of rows) {
          const status = recoveredStatus(policy, Boolean(row.cancel_requested));
          const finishedAt = status === "queued" ? null : now();
          this.sql.recover.run(status, finishedAt, status, status, row.id);
          this.append(row.id, recoveryEvent(status, row.worker));
        }
        this.beat(worker);
        return rows.length;
      })
      .immediate();
  }

  /** Not fsynced on its own: a prune lost to a power cut is done again by the next one. */
  async prune(policy: RetentionPolicy): Promise<number> {
    const query = pruneQuery(
      policy,
      () => "?",
      (time) => time.toISOString(),
    );
    if (!query) return 0;
    this.db.pragma("synchronous = NORMAL");
    try {
      return this.db
        .transaction(() => {
          const ids = this.db
            .prepare(query.sql)
            .pluck()
            .all(...query.params) as string[];
          for (const id of ids) {
            this.sql.deleteEvents.run(id);
            this.sql.deleteJob.run(id);
          }
          return ids.length;
        })
        .immediate();
    } finally {
      this.db.pragma("synchronous = FULL");
    }
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  private beat(worker: string): void {
    const at = Date.now();
    this.sql.heartbeat.run(worker, at, at + this.leaseMs);
  }

  private append(jobId: string, json: string): number {
    const next = isJobId(jobId)
      ? (this.sql.nextSeq.get(jobId) as { seq: number } | undefined)
      : undefined;
    if (!next)
      throw new HiltError(
        "INVALID_ARGUMENT",
        `no job ${JSON.stringify(jobId.slice(0, 64))} to add an event to`,
      );
    this.sql.insertEvent.run(jobId, next.seq, json);
    return next.seq;
  }
}
