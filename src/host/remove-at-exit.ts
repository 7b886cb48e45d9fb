import { rmSync } from "node:fs";

// Removed at exit even when Hilt is ended before its cleanup ran (an EPIPE exit, a crash).
const liveDirs = new Set<string>();
let exitHookInstalled = false;

/** Removes `dir` when the process exits, unless `forgetAtExit` said it is gone already. */
export function removeAtExit(dir: string): void {
  liveDirs.add(dir);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const d of liveDirs) rmSync(d, { recursive: true, force: true });
  });
}

export function forgetAtExit(dir: string): void {
  liveDirs.delete(dir);
}
