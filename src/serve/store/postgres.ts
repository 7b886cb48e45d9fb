import { randomUUID } from "node:crypto";
import pg from "pg";
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
     pos bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     id text NOT NULL UNIQUE,
     kind text NOT NULL,
     status text NOT NULL,
     request text NOT NULL,
     owner text NOT NULL,
     idempotency_key text,
     created_at timestamptz NOT NULL DEFAULT now(),
     started_at timestamptz,
     finished_at timestamptz,
     result text,
     exit_code integer,
     cancel_requested boolean NOT NULL DEFAULT false,
     worker text,
     event_count integer NOT NULL DEFAULT 0,
     UNIQUE (owner, idempotency_key)
   );
   CREATE INDEX jobs_status ON jobs (status, pos);
   CREATE INDEX jobs_owner ON jobs (owner, pos);
   CREATE TABLE events (
     job_id text NOT NULL REFERENCES jobs (id),
     seq integer NOT NULL,
     json text NOT NULL,
     PRIMARY KEY (job_id, seq)
   );
   CREATE TABLE workers (
     id text PRIMARY KEY,
     heartbeat_at timestamptz NOT NULL,
     expires_at timestamptz NOT NULL
   );`,
];
const VERSION = MIGRATIONS.length;

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Bumps the job's event counter and stores the event under it, in one statement. The job row
 * stays locked until commit, so seqs commit in order: a reader never sees 7 before 6.
 */
const APPEND_EVENT = `WITH next AS (
    UPDATE jobs SET event_count = event_count + 1 WHERE id = $1 RETURNING event_count
  )
  INSERT INTO events (job_id, seq, json) SELECT $1, event_count, $2 FROM next RETURNING seq`;

const HEARTBEAT = `INSERT INTO workers (id, heartbeat_at, expires_at)
  VALUES ($1, now(), now() + $2 * interval '1 millisecond')
  ON CONFLICT (id) DO UPDATE
  SET heartbeat_at = excluded.heartbeat_at, expires_at = excluded.expires_at`;

/**
 * Connects to the PostgreSQL job queue at `url` and migrates it. `?schema=NAME` in the URL keeps
 * the tables in that schema (created if needed), so several queues can share one database.
 */
export async function openPostgresStore(
  url: string,
  options: StoreOptions = {},
): Promise<PostgresJobStore> {
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  if (!parsed) {
    throw new HiltError("INVALID_ARGUMENT", "the PostgreSQL job queue URL cannot be parsed", {
      hint: "pass postgres://user@host:5432/database (percent-encode special characters)",
    });
  }
  const schema = parsed.searchParams.get("schema") ?? undefined;
  parsed.searchParams.delete("schema");
  const where = `${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new HiltError("INVALID_ARGUMENT", `the queue URL's schema "${schema}" is not valid`, {
      hint: "use lower-case letters, digits and _ (for example ?schema=hilt)",
    });
  }
  const pool = new pg.Pool({
    connectionString: parsed.toString(),
    max: 8,
    connectionTimeoutMillis: 10_000,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on("error", () => {});
  const store = new PostgresJobStore(pool, options.leaseMs ?? DEFAULT_LEASE_MS);
  try {
    await store.migrate(schema);
  } catch (error) {
    await pool.end().catch(() => {});
    if (error instanceof HiltError) throw error;
    throw new HiltError("QUEUE_UNAVAILABLE", `cannot use the PostgreSQL job queue at ${where}`, {
      cause: error,
      hint: `check that the server answers and the user may create tables there: ${
        error instanceof Error ? error.message : String(error)
      }`,
    });
  }
  return store;
}

type Client = pg.Pool | pg.PoolClient;

export class PostgresJobStore implements JobStore {
  private readonly pool: pg.Pool;
  private readonly leaseMs: number;

  constructor(pool: pg.Pool, leaseMs: number) {
    this.pool = pool;
    this.leaseMs = leaseMs;
  }

  /** Applies missing migrations; an advisory lock keeps concurrent start-ups from racing. */
  async migrate(schema: string | undefined): Promise<void> {
    await this.tx(async (c) => {
      await c.query("SELECT pg_advisory_xact_lock(hashtext('hilt job queue schema'))");
      if (schema) await c.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await c.query("CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)");
      const { rows } = await c.query<{ version: number }>("SELECT version FROM schema_version");
      const current = rows[0]?.version ?? 0;
      if (current > VERSION) {
        throw new HiltError(
          "QUEUE_UNAVAILABLE",
          `the PostgreSQL job queue was made by a newer Hilt (schema version ${current})`,
          {
            hint: `this one reads up to ${VERSION}: upgrade, or use another ?schema=`,
          },
        );
      }
      for (const sql of MIGRATIONS.slice(current)) await c.query(sql);
      if (rows.length === 0) await c.query("INSERT INTO schema_version (version) VALUES (0)");
      await c.query("UPDATE schema_version SET version = $1", [VERSION]);
    });
  }

  async submit(request: JobRequest, options: SubmitOptions) {
    checkSubmit(options);
    const key = options.idempotencyKey ?? null;
    const inserted = await this.pool.query<JobRow>(
      `INSERT INTO jobs (id, kind, status, request, owner, idempotency_key)
       VALUES ($1, $2, 'queued', $3, $4, $5)
       ON CONFLICT (owner, idempotency_key) DO NOTHING RETURNING *`,
      [randomUUID(), request.kind, JSON.stringify(request), options.owner, key],
    );
    const row = inserted.rows[0];
    if (row) return { job: toJob(row), created: true };
    // The conflicting insert has committed by now (ON CONFLICT waited for it): read it.
    const first = await this.pool.query<JobRow>(
      "SELECT * FROM jobs WHERE owner = $1 AND idempotency_key = $2",
      [options.owner, key],
    );
    return { job: toJob(first.rows[0] as JobRow), created: false };
  }

  async get(id: string): Promise<Job | undefined> {
    if (!isJobId(id)) return undefined;
    const { rows } = await this.pool.query<JobRow>("SELECT * FROM jobs WHERE id = $1", [id]);
    return rows[0] && toJob(rows[0]);
  }

  async list(filter: JobFilter): Promise<JobPage> {
    const { sql, params, size } = listQuery(filter, (n) => `$${n}`);
    const { rows } = await this.pool.query<JobRow>(sql, params);
    return toPage(rows, size);
  }

  async claim(worker: string): Promise<Job | undefined> {
    // One statement, so one round trip and one transaction. SKIP LOCKED: concurrent claimers
    // each take a different queued job instead of waiting for each other.
    const { rows } = await this.pool.query<JobRow>(
      `WITH beat AS (${HEARTBEAT})
       UPDATE jobs SET status = 'running', worker = $1, started_at = now()
       WHERE status = 'queued' AND pos = (SELECT pos FROM jobs WHERE status = 'queued'
                                          ORDER BY pos LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [worker, this.leaseMs],
    );
    return rows[0] && toJob(rows[0]);
  }

  async appendEvent(jobId: string, event: Record<string, unknown>): Promise<number> {
    return this.append(this.pool, jobId, JSON.stringify(event));
  }

  async events(jobId: string, afterSeq: number, limit?: number): Promise<JobEvent[]> {
    const after = afterSeqOf(afterSeq);
    if (!isJobId(jobId) || after === undefined) return [];
    const { rows } = await this.pool.query<{ seq: number; json: string }>(
      "SELECT seq, json FROM events WHERE job_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
      [jobId, after, eventLimit(limit)],
    );
    return rows.map((row) => ({ jobId, seq: row.seq, event: JSON.parse(row.json) }));
  }

  async finish(jobId: string, options: FinishOptions): Promise<void> {
    if (!isJobId(jobId)) return;
    await this.pool.query(
      `UPDATE jobs SET status = $1, result = $2, exit_code = $3, finished_at = now()
       WHERE id = $4 AND status IN ('queued', 'running') AND ($5::text IS NULL OR worker = $5)`,
      [
        options.status,
        resultText(options.result),
        options.exitCode ?? null,
        jobId,
        options.worker ?? null,
      ],
    );
  }

  async cancel(jobId: string): Promise<Job | undefined> {
    if (!isJobId(jobId)) return undefined;
    const { rows } = await this.pool.query<JobRow>(
      `UPDATE jobs SET
         status = CASE status WHEN 'queued' THEN 'cancelled' ELSE status END,
         finished_at = CASE status WHEN 'queued' THEN now() ELSE finished_at END,
         cancel_requested = cancel_requested OR status = 'running'
       WHERE id = $1 RETURNING *`,
      [jobId],
    );
    return rows[0] && toJob(rows[0]);
  }

  async heartbeat(worker: string): Promise<void> {
    await this.pool.query(HEARTBEAT, [worker, this.leaseMs]);
  }

  async recover(
    worker: string,
    policy: RecoveryPolicy,
    options: RecoverOptions = {},
  ): Promise<number> {
    return this.tx(async (c) => {
      // Row locks: when two instances recover at once, each job changes state once.
      const { rows } = await c.query<JobRow>(
        `SELECT * FROM jobs WHERE status = 'running' AND (
           (worker = $1 AND $2) OR
           (worker IS DISTINCT FROM $1 AND NOT EXISTS
             (SELECT 1 FROM workers w WHERE w.id = jobs.worker AND w.expires_at > now())))
         FOR UPDATE SKIP LOCKED`,
        [worker, options.own ?? true],
      );
      for (const row of rows) {
        const status = recoveredStatus(policy, row.cancel_requested === true);
        await c.query(
          `UPDATE jobs SET status = $1,
             finished_at = CASE WHEN $1 = 'queued' THEN NULL ELSE now() END,
             worker = CASE WHEN $1 = 'queued' THEN NULL ELSE worker END,
             started_at = CASE WHEN $1 = 'queued' THEN NULL ELSE started_at END
           WHERE id = $2`,
          [status, row.id],
        );
        await this.append(c, row.id, recoveryEvent(status, row.worker));
      }
      await c.query(HEARTBEAT, [worker, this.leaseMs]);
      return rows.length;
    });
  }

  async prune(policy: RetentionPolicy): Promise<number> {
    const query = pruneQuery(
      policy,
      (n) => `$${n}`,
      (time) => time,
    );
    if (!query) return 0;
    // One statement: the events and their jobs go together (the foreign key is checked at its end).
    const { rowCount } = await this.pool.query(
      `WITH doomed AS (${query.sql}),
         gone AS (DELETE FROM events WHERE job_id IN (SELECT id FROM doomed))
       DELETE FROM jobs WHERE id IN (SELECT id FROM doomed)`,
      query.params,
    );
    return rowCount ?? 0;
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }

  private async append(c: Client, jobId: string, json: string): Promise<number> {
    const { rows } = isJobId(jobId)
      ? await c.query<{ seq: number }>(APPEND_EVENT, [jobId, json])
      : { rows: [] };
    if (!rows[0])
      throw new HiltError(
        "INVALID_ARGUMENT",
        `no job ${JSON.stringify(jobId.slice(0, 64))} to add an event to`,
      );
    return rows[0].seq;
  }

  private async tx<T>(work: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      const result = await work(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }
}
