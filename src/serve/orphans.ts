import { readdirSync, readFileSync } from "node:fs";

/** Set in every job's CLI child: after a `kill -9`, the next start finds them by it. */
export const WORKER_ENV = "HILT_SERVE_WORKER";

/**
 * Ends (SIGTERM, so they still clean up) the CLI children, and what they started, that an earlier
 * run of this worker left behind when it was killed without a chance to end them. Linux only
 * (it reads /proc/PID/environ of the same user's processes); returns how many were signalled.
 */
export function endOrphans(worker: string): number {
  if (process.platform !== "linux") return 0;
  const marker = `\0${WORKER_ENV}=${worker}\0`;
  let ended = 0;
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return 0;
  }
  for (const name of pids) {
    const pid = Number(name);
    if (pid === process.pid) continue;
    let environ: string;
    try {
      environ = `\0${readFileSync(`/proc/${name}/environ`, "latin1")}`;
    } catch {
      continue;
    }
    if (!environ.includes(marker)) continue;
    try {
      process.kill(pid, "SIGTERM");
      ended++;
    } catch {
      // Gone meanwhile.
    }
  }
  return ended;
}
