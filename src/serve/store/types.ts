/**
 * The durable job queue behind `hilt serve`: one contract, two stores (SQLite embedded,
 * PostgreSQL shared by several instances). Every method that changes state resolves only after
 * the change is durable, so an accepted job survives `kill -9`.
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
}

/** What happens on start-up to jobs a dead instance left `running`. */
export type RecoveryPolicy = "interrupt" | "requeue";

export interface JobStore {
  submit(request: JobRequest, options: SubmitOptions): Promise<{ job: Job; created: boolean }>;
  get(id: string): Promise<Job | undefined>;
  list(filter: JobFilter): Promise<JobPage>;
  /** Atomically moves the oldest queued job to running for `worker`; each job is claimed once. */
  claim(worker: string): Promise<Job | undefined>;
  appendEvent(jobId: string, event: Record<string, unknown>): Promise<number>;
  /** Events with seq > afterSeq, in order. */
  events(jobId: string, afterSeq: number, limit?: number): Promise<JobEvent[]>;
  finish(jobId: string, options: FinishOptions): Promise<void>;
  /** Queued → cancelled at once; running → cancelRequested (the runner aborts it). */
  cancel(jobId: string): Promise<Job | undefined>;
  /** Keeps `worker` alive; a worker silent for longer than the lease is dead. */
  heartbeat(worker: string): Promise<void>;
  /** Running jobs of dead workers (or of `worker` itself after a restart) per the policy. */
  recover(worker: string, policy: RecoveryPolicy): Promise<number>;
  close(): Promise<void>;
}
