import { mkdirSync } from "node:fs";
import type { Server } from "node:http";
import { homedir, hostname } from "node:os";
import path from "node:path";
import { serve as listen } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import { ExitCode, HiltError } from "../errors.js";
import { realRoot } from "../fs/untrusted.js";
import { type LogLine, stderrLog } from "./access-log.js";
import { createApp, type ServeApp } from "./app.js";
import { dashboardRoutes } from "./dashboard/routes.js";
import { JobSignals } from "./events-bus.js";
import { isLoopback } from "./loopback.js";
import { endOrphans } from "./orphans.js";
import { DEFAULT_RETENTION, startRetention } from "./retention.js";
import { type CliEntry, currentCli, niceCli, Runner } from "./runner.js";
import { defaultSourcesDir, JobSources, SOURCE_DEFAULTS } from "./sources/job-sources.js";
import { openJobStore, redactLocation } from "./store/open.js";
import type { RecoveryPolicy } from "./store/types.js";
import { loadTokens } from "./tokens.js";

export interface ServeFlags {
  port?: number;
  host?: string;
  workspace?: string;
  queue?: string;
  concurrency?: number;
  tokensFile?: string;
  corsOrigin?: string[];
  onRestart?: RecoveryPolicy;
  rateLimit?: number;
  maxBody?: number;
  workerId?: string;
  /** Retention of finished jobs: days and count (0: no such limit). */
  retainDays?: number;
  retainJobs?: number;
  // job sources (src/serve/sources)
  sourcesDir?: string;
  gitTimeout?: number;
  gitAllowInsecureHost?: string[];
  gitAllowHost?: string[];
  sourceMaxBytes?: number;
  archiveMaxEntries?: number;
}

export interface ServeOptions {
  version: string;
  log?: LogLine;
  cli?: CliEntry;
  /** Public routes mounted before the API; default: the dashboard at `/`. */
  mount?: (app: ServeApp) => void;
  /** Resolves to stop the server (the CLI passes a SIGINT/SIGTERM listener). */
  stopped: Promise<unknown>;
}

/** Variables only the server reads: the CLI children it runs never see them. */
const SERVER_ONLY_ENV = ["HILT_SERVE_TOKENS"];

function defaultQueue(): string {
  const state = process.env.XDG_STATE_HOME || path.join(homedir(), ".local", "state");
  const dir = path.join(state, "hilt");
  mkdirSync(dir, { recursive: true });
  return `sqlite:${path.join(dir, "serve.db")}`;
}

/**
 * `hilt serve`: opens the job queue, recovers what a previous run of this worker left running,
 * starts the runner and listens until `stopped` resolves; then stops listening, ends running
 * jobs per the restart policy and closes the queue. Resolves to the exit code.
 */
export async function runServer(flags: ServeFlags, options: ServeOptions): Promise<number> {
  const log = options.log ?? stderrLog;
  const root = realRoot(flags.workspace ?? ".");
  const host = flags.host ?? "127.0.0.1";
  const tokens = loadTokens({ file: flags.tokensFile, env: process.env.HILT_SERVE_TOKENS });
  if (tokens.length === 0 && !isLoopback(host))
    throw new HiltError("SERVE_TOKENS_REQUIRED", `no tokens: refusing to serve on ${host}`, {
      hint: "set HILT_SERVE_TOKENS=TOKEN (or TOKEN:read) or pass --tokens-file, or listen on 127.0.0.1",
    });
  const policy = flags.onRestart ?? "interrupt";
  const port = flags.port ?? 8080;
  const worker = flags.workerId ?? process.env.HILT_SERVE_WORKER_ID ?? `${hostname()}:${port}`;
  const queue = flags.queue ?? defaultQueue();
  const store = await openJobStore(queue);
  let stopRetention: (() => Promise<void>) | undefined;
  try {
    // Children of a killed earlier run would keep building (and pushing) with nobody to report to.
    const orphans = endOrphans(worker);
    const recovered = await store.recover(worker, policy);
    const sources = new JobSources({
      dir: flags.sourcesDir ?? defaultSourcesDir(queue),
      timeoutMs: (flags.gitTimeout ?? SOURCE_DEFAULTS.timeoutMs / 1000) * 1000,
      maxBytes: flags.sourceMaxBytes ?? SOURCE_DEFAULTS.maxBytes,
      maxEntries: flags.archiveMaxEntries ?? SOURCE_DEFAULTS.maxEntries,
      insecureHosts: flags.gitAllowInsecureHost ?? [],
      allowedHosts: flags.gitAllowHost ?? [],
    });
    await sources.sweep(store);
    const signals = new JobSignals();
    const runner = new Runner({
      store,
      worker,
      concurrency: flags.concurrency ?? 2,
      root,
      cli: options.cli ?? niceCli(currentCli()),
      signals,
      policy,
      log,
      hiddenEnv: SERVER_ONLY_ENV,
      sources,
    });
    const app = createApp({
      store,
      signals,
      root,
      version: options.version,
      tokens,
      corsOrigins: flags.corsOrigin ?? [],
      rateLimit: { perSecond: flags.rateLimit ?? 50, burst: (flags.rateLimit ?? 50) * 2 },
      maxBodyBytes: flags.maxBody ?? 1024 * 1024,
      sources,
      log,
      queued: () => runner.wake(),
      cancelled: (id) => runner.cancel(id),
      peer: (c) => getConnInfo(c).remote.address ?? "unknown",
      mount: options.mount ?? ((app) => app.route("/", dashboardRoutes())),
    });
    const server = await new Promise<Server>((resolve, reject) => {
      const s = listen({ fetch: app.fetch, port, hostname: host }, () => resolve(s as Server));
      s.once("error", (error: NodeJS.ErrnoException) =>
        reject(
          new HiltError("INVALID_ARGUMENT", `cannot listen on ${host}:${port}: ${error.code}`, {
            cause: error,
            hint: "choose another --port or --host (0 picks a free port)",
          }),
        ),
      );
    });
    runner.start();
    const retention = {
      days: flags.retainDays ?? DEFAULT_RETENTION.days,
      jobs: flags.retainJobs ?? DEFAULT_RETENTION.jobs,
    };
    stopRetention = startRetention(store, retention, log);
    const address = server.address();
    const actual = typeof address === "object" && address ? address.port : port;
    const shown = host.includes(":") ? `[${host}]` : host;
    log({
      msg: "listening",
      url: `http://${shown}:${actual}`,
      workspace: root,
      queue: redactLocation(queue),
      worker,
      recovered,
      orphans,
      retention,
      auth: tokens.length > 0 ? `${tokens.length} token(s)` : "none (loopback only)",
    });
    await options.stopped;
    log({ msg: "stopping", running: runner.active });
    server.close();
    await runner.stop();
    // Followers of finished jobs got their `end`; whatever stream is left is cut.
    server.closeAllConnections();
    return ExitCode.interrupted;
  } finally {
    await stopRetention?.();
    await store.close();
  }
}
