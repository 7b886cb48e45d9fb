import { randomUUID } from "node:crypto";
import {
  FINAL_STATUSES,
  type FinishOptions,
  type Job,
  type JobEvent,
  type JobFilter,
  type JobPage,
  type JobRequest,
  type JobStore,
  type RecoveryPolicy,
  type RetentionPolicy,
  type SubmitOptions,
} from "./store/types.js";

/**
 * A JobStore in memory: for unit tests of the HTTP layer and the runner only (nothing survives
 * the process; `hilt serve` always uses a durable store from store/open.ts).
 */
export class MemoryStore implements JobStore {
  private readonly jobs = new Map<string, Job>();
  private readonly log = new Map<string, JobEvent[]>();
  private order = 0;
  private readonly created = new Map<string, number>();

  async submit(request: JobRequest, options: SubmitOptions) {
    if (options.idempotencyKey !== undefined)
      for (const job of this.jobs.values())
        if (job.owner === options.owner && job.idempotencyKey === options.idempotencyKey)
          return { job: structuredClone(job), created: false };
    const job: Job = {
      id: randomUUID(),
      kind: request.kind,
      status: "queued",
      request: structuredClone(request),
      owner: options.owner,
      ...(options.idempotencyKey !== undefined ? { idempotencyKey: options.idempotencyKey } : {}),
      createdAt: new Date().toISOString(),
      cancelRequested: false,
    };
    this.jobs.set(job.id, job);
    this.created.set(job.id, this.order++);
    this.log.set(job.id, []);
    return { job: structuredClone(job), created: true };
  }

  async get(id: string) {
    const job = this.jobs.get(id);
    return job && structuredClone(job);
  }

  async list(filter: JobFilter): Promise<JobPage> {
    const start = filter.cursor === undefined ? Number.POSITIVE_INFINITY : Number(filter.cursor);
    const all = [...this.jobs.values()]
      .filter((j) => (this.created.get(j.id) ?? 0) < start)
      .filter((j) => !filter.status || j.status === filter.status)
      .filter((j) => !filter.kind || j.kind === filter.kind)
      .filter((j) => !filter.owner || j.owner === filter.owner)
      .sort((a, b) => (this.created.get(b.id) ?? 0) - (this.created.get(a.id) ?? 0));
    const jobs = all.slice(0, filter.limit);
    const last = jobs.at(-1);
    return {
      jobs: structuredClone(jobs),
      ...(all.length > filter.limit && last ? { next: String(this.created.get(last.id)) } : {}),
    };
  }

  async claim(worker: string) {
    const queued = [...this.jobs.values()]
      .filter((j) => j.status === "queued")
      .sort((a, b) => (this.created.get(a.id) ?? 0) - (this.created.get(b.id) ?? 0))[0];
    if (!queued) return undefined;
    Object.assign(queued, { status: "running", worker, startedAt: new Date().toISOString() });
    return structuredClone(queued);
  }

  async appendEvent(jobId: string, event: Record<string, unknown>) {
    const events = this.log.get(jobId) ?? [];
    const seq = events.length + 1;
    events.push({ jobId, seq, event });
    this.log.set(jobId, events);
    return seq;
  }

  async events(jobId: string, afterSeq: number, limit = 1000) {
    return (this.log.get(jobId) ?? []).filter((e) => e.seq > afterSeq).slice(0, limit);
  }

  async finish(jobId: string, options: FinishOptions) {
    const job = this.jobs.get(jobId);
    if (!job || ["succeeded", "failed", "cancelled", "interrupted"].includes(job.status)) return;
    if (options.worker !== undefined && job.worker !== options.worker) return;
    Object.assign(job, {
      status: options.status,
      finishedAt: new Date().toISOString(),
      ...(options.result !== undefined ? { result: options.result } : {}),
      ...(options.exitCode !== undefined ? { exitCode: options.exitCode } : {}),
    });
  }

  async cancel(jobId: string) {
    const job = this.jobs.get(jobId);
    if (!job) return undefined;
    if (job.status === "queued")
      Object.assign(job, { status: "cancelled", finishedAt: new Date().toISOString() });
    else if (job.status === "running") job.cancelRequested = true;
    return structuredClone(job);
  }

  async heartbeat(_worker: string) {}

  async recover(worker: string, policy: RecoveryPolicy) {
    let count = 0;
    for (const job of this.jobs.values())
      if (job.status === "running" && job.worker === worker) {
        count++;
        if (policy === "interrupt")
          Object.assign(job, { status: "interrupted", finishedAt: new Date().toISOString() });
        else Object.assign(job, { status: "queued" });
        await this.appendEvent(job.id, { event: "recovered", policy });
      }
    return count;
  }

  async prune(policy: RetentionPolicy) {
    const final = [...this.jobs.values()]
      .filter((j) => FINAL_STATUSES.has(j.status))
      .sort((a, b) => (this.created.get(b.id) ?? 0) - (this.created.get(a.id) ?? 0));
    const doomed = final.filter(
      (job, newest) =>
        (policy.finishedBefore &&
          Date.parse(job.finishedAt ?? job.createdAt) < policy.finishedBefore.getTime()) ||
        (policy.keepNewest !== undefined && newest >= policy.keepNewest),
    );
    for (const job of doomed.slice(0, policy.limit ?? 500)) {
      this.jobs.delete(job.id);
      this.log.delete(job.id);
    }
    return Math.min(doomed.length, policy.limit ?? 500);
  }

  async close() {}
}
