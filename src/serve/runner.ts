import { accessSync, constants } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { toHiltError } from "../errors.js";
import { exec } from "../host/exec.js";
import { failureResult } from "../report/result-schema.js";
import type { JobSignals } from "./events-bus.js";
import { jobCommand } from "./job-command.js";
import { WORKER_ENV } from "./orphans.js";
import {
  FINAL_STATUSES,
  type FinishOptions,
  type Job,
  type JobStatus,
  type JobStore,
  type RecoveryPolicy,
} from "./store/types.js";

/** How Hilt's own CLI is started: the same entry as the server (bundle, or sources under tsx). */
export interface CliEntry {
  command: string;
  args: string[];
}

export function currentCli(): CliEntry {
  const args = process.execArgv.map((arg, i) =>
    LOADER_FLAGS.has(process.execArgv[i - 1] ?? "") ? absoluteSpecifier(arg) : arg,
  );
  return { command: process.execPath, args: [...args, path.resolve(process.argv[1] ?? "")] };
}

/**
 * The CLI at a lower scheduling priority (`nice -n 10`, where there is one): a job's start-up and
 * its output parsing then wait for the server's thread, which answers status reads and streams.
 */
export function niceCli(cli: CliEntry): CliEntry {
  if (process.platform === "win32") return cli;
  const nice = ["/usr/bin/nice", "/bin/nice"].find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  return nice ? { command: nice, args: ["-n", "10", cli.command, ...cli.args] } : cli;
}

const LOADER_FLAGS = new Set(["--import", "--require", "-r", "--loader"]);

/**
 * `--import tsx` resolves from the working directory, and jobs run in their own folder: the
 * package is resolved here, once, from the server's.
 */
function absoluteSpecifier(specifier: string): string {
  if (/^(\.|\/|file:|node:|data:)/.test(specifier)) return specifier;
  try {
    const resolved = createRequire(path.join(process.cwd(), "noop.js")).resolve(specifier);
    return pathToFileURL(resolved).href;
  } catch {
    return specifier;
  }
}

export interface RunnerOptions {
  store: JobStore;
  worker: string;
  concurrency: number;
  /** The workspace root (a real path): every job's folder is confined to it. */
  root: string;
  cli: CliEntry;
  signals: JobSignals;
  policy: RecoveryPolicy;
  log: (entry: Record<string, unknown>) => void;
  /** Environment variables the CLI children must not see (the server's tokens). */
  hiddenEnv: string[];
  leaseMs?: number;
  pollMs?: number;
  /** Git and archive sources (src/serve/sources): fetched before, removed after a job. */
  sources?: {
    prepare(
      job: Job,
      signal: AbortSignal,
      append: (event: Record<string, unknown>) => void,
    ): Promise<ReturnType<typeof jobCommand> | undefined>;
    release(job: Job): void;
  };
}

const MAX_LOG_LINE = 2000;
/** Tokens the child (Hilt itself) needs to push; exec() hides them from children by default. */
const PASSED_SECRETS = ["HILT_REGISTRY_PASSWORD", "GHCR_TOKEN", "GITHUB_TOKEN", "NPM_TOKEN"];

interface Running {
  controller: AbortController;
  /** Why it was aborted: a cancel, or this server stopping. */
  reason?: "cancel" | "shutdown";
}

/** Claims queued jobs (up to `concurrency` at once) and runs each as a `hilt … --json` child. */
export class Runner {
  private readonly running = new Map<string, Running>();
  private readonly finished = new Set<Promise<void>>();
  private stopped = false;
  private wakeUp: (() => void) | undefined;
  private timers: NodeJS.Timeout[] = [];
  private loop: Promise<void> | undefined;

  constructor(private readonly options: RunnerOptions) {}

  get active(): number {
    return this.running.size;
  }

  start(): void {
    const lease = this.options.leaseMs ?? 30_000;
    const { store, worker, policy } = this.options;
    this.timers.push(
      setInterval(() => void store.heartbeat(worker).catch(this.storeError), lease / 3),
      // Jobs of instances that died while this one runs (a shared PostgreSQL queue).
      setInterval(
        () => void store.recover(worker, policy, { own: false }).catch(this.storeError),
        lease,
      ),
      setInterval(() => void this.checkCancels(), 1000),
    );
    this.loop = this.claimLoop();
  }

  /** A job was submitted here: claim it now rather than at the next poll. */
  wake(): void {
    this.wakeUp?.();
  }

  /** Aborts the job if it runs here (the store already holds the cancel request). */
  cancel(id: string): void {
    const running = this.running.get(id);
    if (!running || running.reason) return;
    running.reason = "cancel";
    running.controller.abort();
  }

  /**
   * Stops claiming and ends the running children. With the interrupt policy their jobs are
   * finished as interrupted now; with requeue they are left running in the store, for the next
   * start's recover() to queue again.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    this.wake();
    for (const running of this.running.values()) {
      running.reason ??= "shutdown";
      running.controller.abort();
    }
    await this.loop;
    while (this.finished.size > 0) await Promise.allSettled([...this.finished]);
  }

  private readonly storeError = (error: unknown) => {
    this.options.log({ level: "error", msg: "job store", error: toHiltError(error).message });
  };

  private async claimLoop(): Promise<void> {
    const { store, worker, concurrency } = this.options;
    while (!this.stopped) {
      let job: Job | undefined;
      if (this.running.size < concurrency) {
        try {
          job = await store.claim(worker);
        } catch (error) {
          this.storeError(error);
        }
      }
      if (job && !this.stopped) {
        this.track(job);
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.pollMs ?? 500);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeUp = undefined;
    }
  }

  private track(job: Job): void {
    const running: Running = { controller: new AbortController() };
    this.running.set(job.id, running);
    this.options.signals.open(job.id);
    const done = this.run(job, running)
      .catch((error) => {
        this.storeError(error);
        return undefined;
      })
      .then((status) => {
        this.running.delete(job.id);
        this.finished.delete(done);
        this.options.signals.close(job.id, status);
        this.wake();
      });
    this.finished.add(done);
    this.options.signals.changed(job.id);
    if (job.cancelRequested) this.cancel(job.id);
  }

  private async checkCancels(): Promise<void> {
    for (const id of this.running.keys()) {
      const job = await this.options.store.get(id).catch(() => undefined);
      if (job?.cancelRequested) this.cancel(id);
    }
  }

  /** Runs the job to its end; resolves to its final status as stored (undefined: not final). */
  private async run(job: Job, running: Running): Promise<JobStatus | undefined> {
    const { store, worker, log, signals } = this.options;
    const started = Date.now();
    log({ level: "info", msg: "job started", job: job.id, kind: job.kind });
    let appended: Promise<unknown> = Promise.resolve();
    const append = (event: Record<string, unknown>) => {
      const json = JSON.stringify(event);
      appended = appended
        .then(() => store.appendEvent(job.id, event))
        .then((seq) => signals.publish(job.id, seq, json))
        .catch(this.storeError);
    };
    const outcome = await this.execute(job, running, append);
    if (running.reason !== "shutdown" || this.options.policy !== "requeue")
      this.options.sources?.release(job);
    await appended;
    const finish: FinishOptions = { ...outcome, worker };
    if (running.reason === "shutdown" && this.options.policy === "requeue") {
      log({ level: "info", msg: "job left for requeue", job: job.id });
      return undefined;
    }
    await store.finish(job.id, finish);
    // As stored: a job cancelled meanwhile, or taken over by another instance, keeps its status.
    const stored = (await store.get(job.id))?.status;
    log({
      level: "info",
      msg: "job finished",
      job: job.id,
      status: finish.status,
      exitCode: finish.exitCode,
      ms: Date.now() - started,
    });
    return stored && FINAL_STATUSES.has(stored) ? stored : undefined;
  }

  private async execute(
    job: Job,
    running: Running,
    append: (event: Record<string, unknown>) => void,
  ): Promise<Omit<FinishOptions, "worker">> {
    const { cli, root } = this.options;
    let command: ReturnType<typeof jobCommand>;
    try {
      command =
        (await this.options.sources?.prepare(job, running.controller.signal, append)) ??
        jobCommand(root, job.request);
    } catch (error) {
      const e = toHiltError(error);
      const status =
        running.reason === "cancel" ? "cancelled" : running.reason ? "interrupted" : "failed";
      return { status, exitCode: e.exitCode, result: errorDocument(job, e) };
    }
    let pending = "";
    const onLine = (line: string) => {
      if (line.trim() === "") return;
      append(parseEvent(line));
    };
    const env: Record<string, string | undefined> = { [WORKER_ENV]: this.options.worker };
    for (const name of this.options.hiddenEnv) env[name] = undefined;
    for (const name of PASSED_SECRETS) if (process.env[name]) env[name] = process.env[name];
    Object.assign(env, command.env);
    const result = await exec({
      command: cli.command,
      args: [...cli.args, ...command.args],
      cwd: command.cwd,
      env,
      signal: running.controller.signal,
      onStderr: (chunk) => {
        const lines = (pending + chunk.toString("utf8")).split("\n");
        pending = lines.pop() ?? "";
        for (const line of lines) onLine(line);
      },
    });
    onLine(pending);
    let document: unknown;
    try {
      document = JSON.parse(result.stdout);
    } catch {
      document = undefined;
    }
    const exitCode = result.exitCode ?? 130;
    const status =
      running.reason === "cancel"
        ? "cancelled"
        : running.reason === "shutdown"
          ? "interrupted"
          : exitCode === 0
            ? "succeeded"
            : "failed";
    if (document === undefined) {
      const e = toHiltError(
        result.spawnError ??
          new Error(`the CLI printed no JSON (exit ${result.exitCode ?? result.signal})`),
      );
      document = errorDocument(job, e);
    }
    return { status, exitCode, result: document };
  }
}

/** One line of the child's stderr: an `--events` JSON event, or a log line. */
function parseEvent(line: string): Record<string, unknown> {
  if (line.startsWith("{")) {
    try {
      const value = JSON.parse(line) as unknown;
      if (typeof value === "object" && value !== null && !Array.isArray(value))
        return value as Record<string, unknown>;
    } catch {
      // Not JSON after all: kept as a log line.
    }
  }
  return { event: "log", message: line.slice(0, MAX_LOG_LINE), time: new Date().toISOString() };
}

/** What a job that could not start reports: the document its CLI command would have printed. */
function errorDocument(job: Job, e: ReturnType<typeof toHiltError>): unknown {
  const error = { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
  if (job.kind === "build" || job.kind === "build-all") return failureResult(error);
  return { schemaVersion: 1, kind: "hilt.error", ok: false, error, diagnostics: [] };
}
