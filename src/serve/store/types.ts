/**
 * The durable job queue behind `hilt serve`: one contract, two stores (SQLite embedded,
 * PostgreSQL shared by several instances). Every method that changes state resolves only after
 * the change is durable, so an accepted job survives `kill -9`.
 *
 * Changes since the first commit, all additive (no signature changed): FinishOptions.worker,
 * recover()'s optional third argument, StoreOptions (open.ts), prune() (retention).
 */

export const JOB_KINDS = ["build", "build-all", "plan", "detect"] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export const JOB_STATUSES = [
  "queued",
  "running",
  "succeeded",
  "failed",
  "cancelled",
  "interrupted",
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const FINAL_STATUSES: ReadonlySet<JobStatus> = new Set([
  "succeeded",
  "failed",
  "cancelled",
  "interrupted",
]);

/** What the caller asked for, validated by the HTTP layer before it reaches the store. */
export interface JobRequest {
  kind: JobKind;
  /** Folder relative to the server's workspace root (already confined by the HTTP layer). */
  workspace: string;
  /** Command options, the same names as the CLI flags (camelCase). */
  options: Record<string, unknown>;
}

export interface Job {
  id: string;
  kind: JobKind;
  status: JobStatus;
  request: JobRequest;
  /** Token id (never the token) of the submitter. */
  owner: string;
  idempotencyKey?: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  /** The result JSON exactly as the CLI prints it on stdout. */
  result?: unknown;
  exitCode?: number;
  /** Set when a cancel was asked for while the job was running. */
  cancelRequested: boolean;
  /** Instance that claimed the job (for recovery after a crash). */
  worker?: string;
}

/** One `--events` NDJSON event of a job, numbered from 1 (the SSE id). */
export interface JobEvent {
  jobId: string;
  seq: number;
  event: Record<string, unknown>;
}

export interface JobFilter {
  status?: JobStatus;
  kind?: JobKind;
  owner?: string;
  /** Newest first; `cursor` is the opaque `next` of the previous page. */
  limit: number;
  cursor?: string;
}

export interface JobPage {
  jobs: Job[];
  next?: string;
}

export interface SubmitOptions {
  owner: string;
  /** A retried submit with the same key and owner returns the first job (created: false). */
  idempotencyKey?: string;
}

export interface FinishOptions {
  status: Extract<JobStatus, "succeeded" | "failed" | "cancelled" | "interrupted">;
  result?: unknown;
  exitCode?: number;
  /**
   * When given, the job is finished only while this worker still holds it (a worker whose job
   * was recovered and re-queued elsewhere cannot overwrite the new run).
   */
  worker?: string;
}

export interface RecoverOptions {
  /**
   * Also take back `worker`'s own running jobs (true, the default: a restart after `kill -9`
   * reuses its worker id). Pass false for a periodic sweep of dead peers by a live instance.
   */
  own?: boolean;
}

export interface StoreOptions {
  /** How long a heartbeat keeps a worker alive (default 30 s); heartbeat at a third of it. */
  leaseMs?: number;
}

/** Which finished jobs prune() removes (with their events); queued and running jobs never. */
export interface RetentionPolicy {
  /** Finished jobs that finished before this time. */
  finishedBefore?: Date;
  /** All but the newest N finished jobs (by submit order). */
  keepNewest?: number;
  /** At most this many jobs per call (default 500), so one call never holds the queue long. */
  limit?: number;
}

/** What happens on start-up to jobs a dead instance left `running`. */
export type RecoveryPolicy = "interrupt" | "requeue";

export interface JobStore {
  submit(request: JobRequest, options: SubmitOptions): Promise<{ job: Job; created: boolean }>;
  get(id: string): Promise<Job | undefined>;
  list(filter: JobFilter): Promise<JobPage>;
  /**
   * Atomically moves the oldest queued job to running for `worker`; each job is claimed once,
   * also across processes sharing the queue. Also heartbeats `worker` (SQLite: only when a job
   * is queued, so that an idle poll writes nothing).
   */
  claim(worker: string): Promise<Job | undefined>;
  /**
   * Stores the event with the job's next seq (1, 2, 3…) and returns that seq. Durable against
   * a crash of the process at once; SQLite syncs events to the disk with the job's next state
   * change (an fsync per progress line would stall the server), PostgreSQL at once.
   */
  appendEvent(jobId: string, event: Record<string, unknown>): Promise<number>;
  /** Events with seq > afterSeq, in order. */
  events(jobId: string, afterSeq: number, limit?: number): Promise<JobEvent[]>;
  /** Sets a final status, unless the job already has one (a cancelled job stays cancelled). */
  finish(jobId: string, options: FinishOptions): Promise<void>;
  /** Queued → cancelled at once; running → cancelRequested (the runner aborts it). */
  cancel(jobId: string): Promise<Job | undefined>;
  /** Keeps `worker` alive; a worker silent for longer than the lease is dead. */
  heartbeat(worker: string): Promise<void>;
  /**
   * Running jobs of dead workers (or of `worker` itself after a restart) become `interrupted`
   * (finishedAt set) or `queued` again per the policy, each with an event saying so; returns how
   * many. Also heartbeats `worker`. Call it at start-up before claiming.
   */
  recover(worker: string, policy: RecoveryPolicy, options?: RecoverOptions): Promise<number>;
  /**
   * Deletes finished jobs (and their events) the policy names, never a queued or running one;
   * returns how many (at most `limit`: call again while it returns `limit`). A pruned job's
   * idempotency key may be used again.
   */
  prune(policy: RetentionPolicy): Promise<number>;
  close(): Promise<void>;
}
